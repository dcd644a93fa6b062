-- Staff work: tasks, calendar events with attendees, notification preferences, quiet hours
-- and one-click unsubscribe tokens. Instants are timestamptz; dates DATE.

ALTER TABLE staff ADD COLUMN quiet_hours TEXT;

CREATE TABLE tasks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       TEXT    NOT NULL,
    assignee_id BIGINT NOT NULL REFERENCES staff (id),
    due_on      DATE    NOT NULL,
    status      TEXT    NOT NULL,
    case_id     BIGINT REFERENCES cases (id),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX tasks_open_due ON tasks (status, due_on);

CREATE TABLE calendar_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ,
    place      TEXT,
    public     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX calendar_events_starts ON calendar_events (starts_at);

CREATE TABLE event_attendees (
    event_id BIGINT NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    PRIMARY KEY (event_id, staff_id)
);

-- A missing row means enabled.
CREATE TABLE preferences (
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    category TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (staff_id, category, channel)
);

CREATE TABLE unsubscribe_tokens (
    token    TEXT    PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    category TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    UNIQUE (staff_id, category, channel)
);
