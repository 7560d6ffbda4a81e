-- Shipped migration: never edit. Add a new numbered file instead.
-- Desk read models (set "edge_desk" v1): this desk's pickup and stop-prepared requests with
-- central's answers (`<root>.ev.deskans.<device>.<id>`), and "prepared at counter" on the
-- depot's stops. Projected by projections::desk.
ALTER TABLE rm_depot_stops ADD COLUMN prepared INTEGER NOT NULL DEFAULT 0;

CREATE TABLE rm_desk_requests (
    request_key  TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('pickup', 'stop')),
    order_id     TEXT,
    list_id      TEXT,
    store_id     TEXT,
    user_name    TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL CHECK (status IN ('requested', 'refused')),
    code         TEXT,
    reason       TEXT,
    requested_at INTEGER,
    answered_at  INTEGER,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX rm_desk_requests_status ON rm_desk_requests (status, updated_at);
