-- Shipped migration: never edit. Add a new numbered file instead.
CREATE TABLE events (
    global_pos     INTEGER PRIMARY KEY,
    stream_type    TEXT    NOT NULL,
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    event_id       TEXT    NOT NULL UNIQUE,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    occurred_at    INTEGER NOT NULL,
    stream_seq     INTEGER,
    superseded     INTEGER NOT NULL DEFAULT 0,
    command_id     TEXT,
    UNIQUE (stream_type, stream_id, version)
);

CREATE TABLE outbox (
    event_id      TEXT    PRIMARY KEY REFERENCES events (event_id),
    global_pos    INTEGER NOT NULL,
    stream_type   TEXT    NOT NULL,
    stream_id     TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    published_seq INTEGER,
    published_at  INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (global_pos) WHERE published_seq IS NULL;
CREATE INDEX outbox_stream ON outbox (stream_type, stream_id);

CREATE TABLE commands (
    id          TEXT    PRIMARY KEY,
    stream_type TEXT    NOT NULL,
    stream_id   TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    base_seq    INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'published', 'rejected')),
    created_at  INTEGER NOT NULL
);
CREATE INDEX commands_stream ON commands (stream_type, stream_id, status);

CREATE TABLE inbox (
    event_id    TEXT    PRIMARY KEY,
    stream_seq  INTEGER NOT NULL,
    subject     TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('applied', 'echo', 'parked')),
    raw         TEXT
);
CREATE INDEX inbox_seq ON inbox (stream_seq);

CREATE TABLE checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE snapshots (
    stream_type TEXT    NOT NULL,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    taken_at    INTEGER NOT NULL,
    PRIMARY KEY (stream_type, stream_id)
);

CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    stream_type TEXT    NOT NULL,
    stream_id   TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
