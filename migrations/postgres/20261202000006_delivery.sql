-- Delivery shaped per channel: each row carries the rendering of every channel it may go out on
-- (its own and its fallbacks'), what the provider called each part it accepted, and how many
-- parts of a split message went out, so that a retry resumes at the next part.

-- Whether subject, body_text and the headers hold an email rendering.
ALTER TABLE outbox ADD COLUMN has_email BOOLEAN NOT NULL DEFAULT TRUE;
-- The Telegram rendering: a JSON array of HTML parse-mode parts, each at most 4096 UTF-16
-- units; NULL without one.
ALTER TABLE outbox ADD COLUMN telegram_parts TEXT;
-- The inline keyboard under the last part: JSON rows of buttons; NULL for none.
ALTER TABLE outbox ADD COLUMN telegram_keyboard TEXT;
ALTER TABLE outbox ADD COLUMN parts_sent BIGINT NOT NULL DEFAULT 0;
-- A JSON array: Telegram message_id of each part sent, or the SMTP server's answer line.
ALTER TABLE outbox ADD COLUMN provider_ids TEXT NOT NULL DEFAULT '[]';

-- A denouncer's address is read from the sealed identity when the row is claimed; copies made
-- before go.
UPDATE outbox SET address = '' WHERE sealed;

-- Claims take urgent rows first, then by due time; only rows waiting to be sent are indexed.
CREATE INDEX outbox_claim ON outbox (urgent DESC, due_at, id) WHERE status IN ('queued', 'sending');
