-- A messenger chat as the bot knows it: the language its reader chose and the dialogue in
-- progress (JSON, NULL outside a dialogue), so that a restart or another instance goes on with
-- the same conversation. The chat id is personal data, as in citizen_contacts.
CREATE TABLE bot_chats (
    chat_id    TEXT PRIMARY KEY,
    language   TEXT NOT NULL,
    dialogue   TEXT,
    -- flood protection: the start of the current one-minute window and the messages in it
    window_start TIMESTAMPTZ,
    window_count BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The complainant's address, which the law needs to identify them (Luật Khiếu nại art. 8):
-- personal data, never public. A denouncer's lives in the sealed identity instead.
ALTER TABLE cases ADD COLUMN citizen_address TEXT;
