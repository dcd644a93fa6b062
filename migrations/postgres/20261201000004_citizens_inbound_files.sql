-- Foundation III: citizens and their contact points, the inbound store, leader leases and the
-- index of stored files. Instants are timestamptz.

CREATE TABLE citizens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    display_name TEXT,
    language     TEXT    NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

-- One row per way to reach a citizen; a value (a normalised email, a chat id, an E.164 phone)
-- belongs to one citizen only.
CREATE TABLE citizen_contacts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    citizen_id  BIGINT NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    -- unverified, verified or unreachable (with its reason and time)
    state       TEXT    NOT NULL,
    reason      TEXT,
    state_at    TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (kind, value)
);

CREATE INDEX citizen_contacts_citizen ON citizen_contacts (citizen_id);

-- A denunciation never links to a citizen: its denouncer is found by keyed hashes of their
-- contact points (HMAC with a secret from settings), so no plaintext index of denouncers exists.
-- The language the case was filed in; the citizen's own, once linked, takes precedence.
ALTER TABLE cases ADD COLUMN language TEXT NOT NULL DEFAULT 'vi';
ALTER TABLE cases ADD COLUMN citizen_id BIGINT REFERENCES citizens (id);
CREATE INDEX cases_citizen ON cases (citizen_id);

CREATE TABLE denouncer_contact_hashes (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    hash    TEXT    NOT NULL,
    PRIMARY KEY (hash, case_id)
);

-- Every inbound message (a Telegram update, a mail, a form, an Open311 POST), stored under its
-- source's own key before it is acknowledged, then processed under a lease like the outbox.
CREATE TABLE inbound (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       TEXT    NOT NULL,
    external_key TEXT    NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    -- new, processing, done, failed (with its error) or dead
    status       TEXT    NOT NULL,
    attempts     BIGINT NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    lease_token  TEXT,
    lease_until  TIMESTAMPTZ,
    claimed_by   TEXT,
    last_error   TEXT,
    -- NULL once purged: at once for a sealed row, after the retention for the others.
    payload      BYTEA,
    -- May be a denunciation: the payload goes as soon as the row is processed.
    sealed       BOOLEAN NOT NULL,
    processed_at TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (source, external_key)
);

CREATE INDEX inbound_due ON inbound (status, due_at);
CREATE INDEX inbound_processed ON inbound (processed_at) WHERE payload IS NOT NULL;

-- Leader leases: one holder per name (the Telegram poller, the IMAP poller), renewed by it and
-- taken over by a standby once expired. `generation` grows with each new holder.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    generation BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- What is known of each stored file; the bytes live in the file store under `hash`, once for
-- the same content however often it is uploaded.
CREATE TABLE files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         TEXT    NOT NULL,
    size_bytes   BIGINT NOT NULL,
    -- sniffed from the bytes, never the sender's word
    content_type TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    -- files of a denunciation are as secret as the case
    sealed       BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX files_hash ON files (hash);

ALTER TABLE case_attachments ADD COLUMN file_id BIGINT REFERENCES files (id);
-- A file belongs to one case at most (NULL for attachments recorded without an upload).
CREATE UNIQUE INDEX case_attachments_file ON case_attachments (file_id);
