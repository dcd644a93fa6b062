-- Open311 GeoReport v2 clients (`hdnd open311 key <name>` prints a key once). Only the key's
-- SHA-256 is kept, so a copy of the database lets nobody file a case as a client. Issuing a
-- key for a name that has one replaces it; a revoked client keeps its row (`revoked_at`), so
-- that the cases it filed (source_ref `open311:<id>:…`) still name who sent them.
CREATE TABLE open311_clients (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE,
    key_hash   TEXT        NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- The hourly quota of a client counts its cases by source_ref prefix and receipt time.
CREATE INDEX open311_cases_by_channel ON cases (channel, received_at);
