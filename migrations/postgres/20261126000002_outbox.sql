-- The transactional outbox: one row per (event, recipient, channel), rendered at enqueue, sent
-- by workers that claim rows with a lease (FOR UPDATE SKIP LOCKED).

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key       TEXT        NOT NULL UNIQUE,
    channel          TEXT        NOT NULL,
    address          TEXT        NOT NULL,
    -- The address belongs to a sealed identity: operators' listings mask it.
    sealed           BOOLEAN     NOT NULL,
    category         TEXT        NOT NULL,
    urgent           BOOLEAN     NOT NULL,
    case_id          BIGINT REFERENCES cases (id),
    subject          TEXT        NOT NULL,
    body_text        TEXT        NOT NULL,
    body_html        TEXT,
    message_id       TEXT,
    in_reply_to      TEXT,
    reference_ids    TEXT        NOT NULL,
    list_unsubscribe TEXT,
    -- The recipient's next channels, tried in order after a permanent failure: JSON
    -- [["email","a@example.org"], ...].
    fallback         TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    attempts         BIGINT      NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    lease_token      TEXT,
    -- The instance (host:pid) that claimed the row last.
    claimed_by       TEXT,
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_case ON outbox (case_id);

-- Pacing shared by every instance: the earliest moment the next send under each key may go.
CREATE TABLE pacing (
    key     TEXT PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);
