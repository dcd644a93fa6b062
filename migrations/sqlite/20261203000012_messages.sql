-- Internal messages between staff (tin nhắn nội bộ): `/msg` to a colleague, a unit, a role or
-- everyone. A reply names its thread's root (`thread_id`; NULL on a root). The body is what a
-- member wrote: personal data, never in a log line, a `Debug` output or an outbox key.
-- `audience` says whom the sender addressed, as `staff:<id>`, `unit:<code>`, `role:<role>`,
-- `all`, or `thread:<root id>` for a reply; the recipients are resolved once, when it is sent.
-- `source_ref` names the inbound message it came in (`inbound:<row id>`), unique, so that a
-- replayed Telegram update cannot send it twice.
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    sender_id  INTEGER NOT NULL REFERENCES staff (id),
    audience   TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    source_ref TEXT    UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_sender ON messages (sender_id, id);

-- Who a message went to, one row each, and when they read it: by the "đã đọc" button on
-- Telegram or by opening the read link of their email (`read_via`). Only the SHA-256 of the
-- link's token is kept, so a copy of the database opens no message.
CREATE TABLE message_recipients (
    message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    staff_id        INTEGER NOT NULL REFERENCES staff (id),
    read_token_hash TEXT    NOT NULL UNIQUE,
    read_at         INTEGER,
    read_via        TEXT,
    PRIMARY KEY (message_id, staff_id)
);

CREATE INDEX message_recipients_staff ON message_recipients (staff_id, message_id);
