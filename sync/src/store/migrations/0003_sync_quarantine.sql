-- Shipped migration: never edit. Add a new numbered file instead.
--
-- 1. Quarantine: an outbox row the server refuses (a subject the device may not publish, a
--    payload over the server's max_payload, a message the stream rejects) is set aside at once
--    with a coded reason (`sync.forbidden_subject`, `sync.too_large`, `sync.rejected`); it stays
--    unpublished, later rows of its aggregate wait behind it, the rest of the outbox flows.
-- 2. The sync engine's connection state (`online`, `offline`, `not_enrolled`, `refused`) with
--    its problem, one row, written once per change, so `mallbots status` in another process
--    and the app's indicator show the same thing.
ALTER TABLE outbox ADD COLUMN quarantine_code TEXT;
ALTER TABLE outbox ADD COLUMN quarantine_reason TEXT;
ALTER TABLE outbox ADD COLUMN quarantined_at INTEGER;
CREATE INDEX outbox_quarantined ON outbox (global_pos) WHERE quarantine_code IS NOT NULL;

CREATE TABLE sync_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    state   TEXT    NOT NULL,
    code    TEXT,
    message TEXT,
    since   INTEGER NOT NULL
);
