-- The code the customer shows at the depot, on the kiosk that placed the order (NULL for
-- orders placed before codes existed; a rebuild fills it from OrderCreated).
ALTER TABLE rm_orders ADD COLUMN pickup_code TEXT;
