-- One-time links that tie a staff account to a Telegram chat (`hdnd staff link <login>` prints
-- `https://t.me/<bot>?start=<token>`). Only the token's SHA-256 is kept, so a copy of the
-- database links nobody; a link expires, and is used at most once (`used_at`).
CREATE TABLE staff_links (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE INDEX staff_links_staff ON staff_links (staff_id);

-- Which account a Telegram chat belongs to: the bot asks on every staff message.
CREATE INDEX staff_contacts_address ON staff_contacts (kind, address);
