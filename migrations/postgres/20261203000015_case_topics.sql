-- A staff group's topic for each case (a Telegram supergroup with topics): created by the first
-- message posted about the case, so that everything about it stays in one thread. A topic
-- belongs to one case, and a case has one topic in a group.
CREATE TABLE case_topics (
    chat_id    TEXT NOT NULL,
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    thread_id  BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chat_id, case_id)
);
CREATE UNIQUE INDEX case_topics_thread ON case_topics (chat_id, thread_id);

-- The topic an outgoing Telegram message goes into (JSON: a case's topic, or one known by its
-- id); NULL for a private chat.
ALTER TABLE outbox ADD COLUMN telegram_thread TEXT;
