-- Staff work: tasks, calendar events with attendees, notification preferences, quiet hours
-- and one-click unsubscribe tokens. Instants are INTEGER milliseconds; dates TEXT.

ALTER TABLE staff ADD COLUMN quiet_hours TEXT;

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    assignee_id INTEGER NOT NULL REFERENCES staff (id),
    due_on      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    case_id     INTEGER REFERENCES cases (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX tasks_open_due ON tasks (status, due_on);

CREATE TABLE calendar_events (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER,
    place      TEXT,
    public     BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX calendar_events_starts ON calendar_events (starts_at);

CREATE TABLE event_attendees (
    event_id INTEGER NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    PRIMARY KEY (event_id, staff_id)
);

-- A missing row means enabled.
CREATE TABLE preferences (
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    category TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (staff_id, category, channel)
);

CREATE TABLE unsubscribe_tokens (
    token    TEXT    PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    category TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    UNIQUE (staff_id, category, channel)
);
