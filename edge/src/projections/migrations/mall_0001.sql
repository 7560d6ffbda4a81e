-- The mall's settings the device's read models depend on: its time zone (sales and order
-- days are the mall's business days). One row per setting.
CREATE TABLE edge_mall_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
