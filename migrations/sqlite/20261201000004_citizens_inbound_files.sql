-- Foundation III: citizens and their contact points, the inbound store, leader leases and the
-- index of stored files. Instants are INTEGER milliseconds since the epoch.

CREATE TABLE citizens (
    id           INTEGER PRIMARY KEY,
    display_name TEXT,
    language     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- One row per way to reach a citizen; a value (a normalised email, a chat id, an E.164 phone)
-- belongs to one citizen only.
CREATE TABLE citizen_contacts (
    id          INTEGER PRIMARY KEY,
    citizen_id  INTEGER NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    -- unverified, verified or unreachable (with its reason and time)
    state       TEXT    NOT NULL,
    reason      TEXT,
    state_at    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
);

CREATE INDEX citizen_contacts_citizen ON citizen_contacts (citizen_id);

-- A denunciation never links to a citizen: its denouncer is found by keyed hashes of their
-- contact points (HMAC with a secret from settings), so no plaintext index of denouncers exists.
-- The language the case was filed in; the citizen's own, once linked, takes precedence.
ALTER TABLE cases ADD COLUMN language TEXT NOT NULL DEFAULT 'vi';
ALTER TABLE cases ADD COLUMN citizen_id INTEGER REFERENCES citizens (id);
CREATE INDEX cases_citizen ON cases (citizen_id);

CREATE TABLE denouncer_contact_hashes (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    hash    TEXT    NOT NULL,
    PRIMARY KEY (hash, case_id)
);

-- Every inbound message (a Telegram update, a mail, a form, an Open311 POST), stored under its
-- source's own key before it is acknowledged, then processed under a lease like the outbox.
CREATE TABLE inbound (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    external_key TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    -- new, processing, done, failed (with its error) or dead
    status       TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    lease_token  TEXT,
    lease_until  INTEGER,
    claimed_by   TEXT,
    last_error   TEXT,
    -- NULL once purged: at once for a sealed row, after the retention for the others.
    payload      BLOB,
    -- May be a denunciation: the payload goes as soon as the row is processed.
    sealed       BOOLEAN NOT NULL,
    processed_at INTEGER,
    updated_at   INTEGER NOT NULL,
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
    generation INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- What is known of each stored file; the bytes live in the file store under `hash`, once for
-- the same content however often it is uploaded.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    hash         TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    -- sniffed from the bytes, never the sender's word
    content_type TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    -- files of a denunciation are as secret as the case
    sealed       BOOLEAN NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX files_hash ON files (hash);

ALTER TABLE case_attachments ADD COLUMN file_id INTEGER REFERENCES files (id);
-- A file belongs to one case at most (NULL for attachments recorded without an upload).
CREATE UNIQUE INDEX case_attachments_file ON case_attachments (file_id);
