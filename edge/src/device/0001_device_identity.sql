-- The device this edge database belongs to (one row at most): written by `mallbots device init`
-- (or `Edge::init_device`), read at every open. Not a read model: a rebuild never touches it.
CREATE TABLE device_identity (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id       TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('kiosk', 'manager', 'depot')),
    stores          TEXT    NOT NULL DEFAULT '[]',
    subject_root    TEXT    NOT NULL,
    events_stream   TEXT,
    nats_url        TEXT,
    enrollment_path TEXT,
    initialized_at  INTEGER NOT NULL
);
