-- Shipped migration: never edit. Add a new numbered file instead.
-- Order lines (set "edge_order_lines" v1): central's `<root>.ev.store.<store>.orderline.<order>`
-- as a manager or depot desk sees them, one row per (order, store) holding the newest state
-- (highest order_seq), and each status with its time. Projected by projections::order_lines.
CREATE TABLE rm_order_lines (
    order_id      TEXT    NOT NULL,
    store_id      TEXT    NOT NULL,
    device_id     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    order_seq     INTEGER NOT NULL,
    items         TEXT    NOT NULL,
    item_count    INTEGER NOT NULL,
    total_cents   INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    payment       TEXT,
    invoice       TEXT,
    phone_last4   TEXT,
    phone_seq     INTEGER,
    placed_at     INTEGER,
    placed_day    TEXT    NOT NULL,
    first_seen_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    sold_at       INTEGER,
    sold_day      TEXT,
    PRIMARY KEY (order_id, store_id)
) WITHOUT ROWID;
CREATE INDEX rm_order_lines_store_day ON rm_order_lines (store_id, placed_day);
CREATE INDEX rm_order_lines_day ON rm_order_lines (placed_day);
CREATE INDEX rm_order_lines_sold ON rm_order_lines (store_id, sold_day) WHERE sold_day IS NOT NULL;

CREATE TABLE rm_order_line_history (
    order_id  TEXT    NOT NULL,
    store_id  TEXT    NOT NULL,
    order_seq INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (order_id, store_id, order_seq)
) WITHOUT ROWID;
