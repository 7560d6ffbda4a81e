-- Shipped migration: never edit. Add a new numbered file instead.
-- Read models of the edge (set "edge_read_models"), rebuilt from the log by projections::rebuild.
CREATE TABLE rm_stores (
    store_id      TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    location      TEXT    NOT NULL,
    participating INTEGER NOT NULL DEFAULT 0,
    automated     INTEGER NOT NULL DEFAULT 0,
    removed       INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE rm_products (
    product_id  TEXT    PRIMARY KEY,
    store_id    TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_lower  TEXT    NOT NULL,
    description TEXT    NOT NULL,
    price_cents INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    removed     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX rm_products_store ON rm_products (store_id, name_lower);

CREATE TABLE rm_customers (
    customer_id   TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    sms_number    TEXT    NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    registered_at INTEGER NOT NULL
);

CREATE TABLE rm_carts (
    basket_id     TEXT    PRIMARY KEY,
    customer_id   TEXT,
    device_id     TEXT,
    status        TEXT    NOT NULL,
    cancel_reason TEXT,
    total_cents   INTEGER NOT NULL DEFAULT 0,
    currency      TEXT    NOT NULL DEFAULT 'USD',
    item_count    INTEGER NOT NULL DEFAULT 0,
    next_position INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER NOT NULL,
    last_activity INTEGER NOT NULL
);
CREATE INDEX rm_carts_status ON rm_carts (status);

CREATE TABLE rm_cart_lines (
    basket_id    TEXT    NOT NULL,
    product_id   TEXT    NOT NULL,
    store_id     TEXT    NOT NULL,
    store_name   TEXT    NOT NULL,
    product_name TEXT    NOT NULL,
    price_cents  INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (basket_id, product_id)
) WITHOUT ROWID;

CREATE TABLE rm_orders (
    order_id       TEXT    PRIMARY KEY,
    customer_id    TEXT    NOT NULL,
    device_id      TEXT,
    status         TEXT    NOT NULL,
    total_cents    INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    reason         TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE rm_order_items (
    order_id     TEXT    NOT NULL,
    product_id   TEXT    NOT NULL,
    store_id     TEXT    NOT NULL,
    store_name   TEXT    NOT NULL,
    product_name TEXT    NOT NULL,
    price_cents  INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX rm_order_items_store ON rm_order_items (store_id, order_id);

CREATE TABLE rm_sales_daily (
    store_id    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    orders      INTEGER NOT NULL DEFAULT 0,
    items       INTEGER NOT NULL DEFAULT 0,
    total_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, currency)
);
