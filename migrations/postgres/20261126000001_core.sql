-- Foundation: staff, cases with their timeline, the sealed identities of denouncers, the audit
-- log and the per-day case-code counters. Instants are timestamptz; council-local dates DATE.
-- Integers are BIGINT throughout, matching the i64 the SQLite schema decodes to.

CREATE TABLE staff (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login        TEXT        NOT NULL UNIQUE,
    display_name TEXT        NOT NULL,
    roles        TEXT        NOT NULL,
    unit         TEXT,
    lead_id      BIGINT REFERENCES staff (id),
    time_zone    TEXT        NOT NULL,
    language     TEXT        NOT NULL,
    active       BOOLEAN     NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff_contacts (
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    address  TEXT   NOT NULL,
    PRIMARY KEY (staff_id, position)
);

CREATE TABLE case_code_counters (
    prefix TEXT   NOT NULL,
    day    DATE   NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (prefix, day)
);

CREATE TABLE cases (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                TEXT        NOT NULL UNIQUE,
    access_token_hash   TEXT        NOT NULL UNIQUE,
    kind                TEXT        NOT NULL,
    complaint_round     TEXT,
    first_case_id       BIGINT REFERENCES cases (id),
    title               TEXT        NOT NULL,
    content             TEXT        NOT NULL,
    area                TEXT,
    category            TEXT,
    channel             TEXT        NOT NULL,
    citizen_name        TEXT,
    publication_consent BOOLEAN     NOT NULL,
    source_ref          TEXT UNIQUE,
    published           BOOLEAN     NOT NULL,
    complex             BOOLEAN     NOT NULL,
    remote_area         BOOLEAN     NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    received_on         DATE        NOT NULL,
    status              TEXT        NOT NULL,
    accepted_on         DATE,
    forwarded_on        DATE,
    forwarded_unit      TEXT,
    unit_accepted_on    DATE,
    assignee_id         BIGINT REFERENCES staff (id),
    answer              TEXT,
    closed_on           DATE,
    council_due         DATE,
    council_paused_on   DATE,
    statutory_due       DATE,
    public_title        TEXT,
    public_summary      TEXT,
    published_at        TIMESTAMPTZ,
    extensions          BIGINT      NOT NULL,
    version             BIGINT      NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX cases_received_at ON cases (received_at DESC, id DESC);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_published ON cases (published, published_at DESC);

CREATE TABLE case_contacts (
    case_id  BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    address  TEXT   NOT NULL,
    PRIMARY KEY (case_id, position)
);

CREATE TABLE case_attachments (
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    file_name    TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT   NOT NULL,
    PRIMARY KEY (case_id, position)
);

CREATE TABLE case_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT      NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT        NOT NULL,
    actor       TEXT        NOT NULL,
    staff_id    BIGINT REFERENCES staff (id),
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
);

CREATE INDEX case_events_case ON case_events (case_id, id);

-- The denouncer's identity (Luật Tố cáo art. 56): apart from the case body, read only through
-- the store method that audits the read.
CREATE TABLE denouncer_identities (
    case_id         BIGINT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    full_name       TEXT        NOT NULL,
    phone           TEXT,
    email           TEXT,
    address         TEXT,
    contact_kind    TEXT,
    contact_address TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL,
    staff_id BIGINT REFERENCES staff (id),
    action   TEXT        NOT NULL,
    subject  TEXT        NOT NULL,
    detail   TEXT
);
