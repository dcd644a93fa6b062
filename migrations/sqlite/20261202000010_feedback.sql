-- What the public says back. A citizen's ratings of the answer to their case, one row each (the
-- latest counts): a score 1-5, an optional comment (the citizen's own words: personal data,
-- never public) and whether they were not satisfied, and if so whether that reopened the case.
CREATE TABLE case_ratings (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment       TEXT,
    not_satisfied BOOLEAN NOT NULL,
    reopened      BOOLEAN NOT NULL,
    rated_at      INTEGER NOT NULL
);

CREATE INDEX case_ratings_case ON case_ratings (case_id, id);

-- Contacts following a published case: a Telegram chat id or an email address, normalised as
-- in citizen_contacts and, like them, personal data (never in a log line or an outbox key: a
-- follower's rows are keyed by the follow's id). The token is the secret of the one-click
-- unsubscribe link of the follow's emails.
CREATE TABLE case_follows (
    id                INTEGER PRIMARY KEY,
    case_id           INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL,
    address           TEXT    NOT NULL,
    unsubscribe_token TEXT    NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    UNIQUE (case_id, kind, address)
);

CREATE INDEX case_follows_contact ON case_follows (kind, address);
