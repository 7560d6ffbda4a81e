-- Shipped migration: never edit. Add a new numbered file instead.
-- Mall map read models (set "edge_map" v1): each store's place on the floor plan
-- (`StorePlaced`, projected by projections::catalog) and each robot's current walk
-- (`BotDeparted`, projected by projections::depot): from a store (NULL = the depot) to a store
-- (NULL = the depot), left at `walk_at`, expected at `walk_eta`. `walk_at` NULL = not walking.
ALTER TABLE rm_stores ADD COLUMN place_level INTEGER;
ALTER TABLE rm_stores ADD COLUMN place_x INTEGER;
ALTER TABLE rm_stores ADD COLUMN place_y INTEGER;

ALTER TABLE rm_depot_bots ADD COLUMN walk_from TEXT;
ALTER TABLE rm_depot_bots ADD COLUMN walk_to TEXT;
ALTER TABLE rm_depot_bots ADD COLUMN walk_at INTEGER;
ALTER TABLE rm_depot_bots ADD COLUMN walk_eta INTEGER;
