-- Shipped migration: never edit. Add a new numbered file instead.
-- Depot read models (set "edge_read_models" v2): central's bots and shopping lists as a
-- manager desk sees them, projected from `<root>.ev.depot.{bot,list}.<id>` by projections::depot.
CREATE TABLE rm_depot_bots (
    bot_id     TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    list_id    TEXT,
    store_id   TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE rm_depot_lists (
    list_id      TEXT    PRIMARY KEY,
    order_id     TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    bot_id       TEXT,
    current_stop TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX rm_depot_lists_status ON rm_depot_lists (status, updated_at);

CREATE TABLE rm_depot_stops (
    list_id   TEXT    NOT NULL,
    position  INTEGER NOT NULL,
    store_id  TEXT    NOT NULL,
    items     TEXT    NOT NULL,
    quantity  INTEGER NOT NULL,
    picked    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, position)
) WITHOUT ROWID;
