-- Shipped migration: never edit. Add a new numbered file instead.
--
-- 1. mark_published checks whether a command's events are all published: find them by command.
-- 2. The outbox becomes one B-tree keyed by the event's global position (its rowid): a commit
--    touches one outbox page instead of four (event_id key, pending and stream indexes), and a
--    scan in rowid order is log order, hence order per aggregate. Lookups by event id go through
--    events.event_id, which is unique.
CREATE INDEX events_command ON events (command_id) WHERE command_id IS NOT NULL;

CREATE TABLE outbox_v2 (
    global_pos    INTEGER PRIMARY KEY REFERENCES events (global_pos),
    event_id      TEXT    NOT NULL,
    stream_type   TEXT    NOT NULL,
    stream_id     TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    published_seq INTEGER,
    published_at  INTEGER,
    created_at    INTEGER NOT NULL
);
INSERT INTO outbox_v2 (global_pos, event_id, stream_type, stream_id, subject, attempts,
    last_error, published_seq, published_at, created_at)
SELECT global_pos, event_id, stream_type, stream_id, subject, attempts, last_error,
    published_seq, published_at, created_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
