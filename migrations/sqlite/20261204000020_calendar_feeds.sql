-- Each staff member's secret calendar URL (`hdnd staff calendar-link <login>` prints
-- `<portal>/lich/rieng/<token>.ics`). One row per member: issuing a new link replaces the row,
-- so the old URL stops working. Only the token's SHA-256 is kept, so a copy of the database
-- opens nobody's calendar.
CREATE TABLE calendar_feeds (
    staff_id   INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- The public calendar reads only public events, by start.
CREATE INDEX calendar_events_public_starts ON calendar_events (public, starts_at);
