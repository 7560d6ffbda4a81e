// Generated from the Rust types by src-tauri/src/ui_types.rs; do not edit.
// Regenerate: UPDATE_UI_TYPES=1 cargo test -p mallbots-app ui_types

export type OrderStatus = "pending" | "approved" | "in_progress" | "ready" | "completed" | "rejected" | "canceled";
export type BasketStatus = "not_started" | "open" | "checked_out" | "canceled";
export type BotStatus = "offline" | "idle" | "assigned" | "shopping" | "returning";
export type ListStatus = "created" | "available" | "assigned" | "in_progress" | "completed" | "canceled";
export type SyncState = "online" | "offline" | "not_enrolled" | "refused" | "error";
export type Topic = "catalog" | "baskets" | "orders" | "depot" | "sync";
export type Place = { 
/**
 * 0 = ground floor.
 */
level: number, 
/**
 * Plan units from the left edge.
 */
x: number, 
/**
 * Plan units from the top edge.
 */
y: number, };
export type Store = { 
/**
 * Store id (UUID text).
 */
store_id: string, 
/**
 * Display name.
 */
name: string, 
/**
 * Where in the mall, in words, e.g. `Level 1, east wing`.
 */
location: string, 
/**
 * Whether kiosk customers can order from it.
 */
participating: boolean, 
/**
 * Whether bots may shop there.
 */
automated_shopping: boolean, 
/**
 * Whether it left the mall.
 */
removed: boolean, 
/**
 * Where the store is on the mall's floor plan; `None` until a manager placed it (the map
 * lays such stores out itself).
 */
place: Place | null, };
export type Product = { 
/**
 * Product id (UUID text).
 */
product_id: string, 
/**
 * The store selling it.
 */
store_id: string, 
/**
 * Stock-keeping unit, unique per store.
 */
sku: string, 
/**
 * Display name.
 */
name: string, 
/**
 * One-line description.
 */
description: string, 
/**
 * Unit price in minor units (cents).
 */
price_cents: number, 
/**
 * ISO-4217 code of the price, e.g. `USD`.
 */
currency: string, 
/**
 * Whether it was taken off sale.
 */
removed: boolean, };
export type StoreCatalog = { 
/**
 * The store.
 */
store: Store, 
/**
 * Its products on sale, by name.
 */
products: Array<Product>, };
export type CartLine = { 
/**
 * The product.
 */
product_id: string, 
/**
 * The store selling it.
 */
store_id: string, 
/**
 * The store's name when it was added.
 */
store_name: string, 
/**
 * The product's name when it was added.
 */
product_name: string, 
/**
 * Unit price when it was added, in minor units of the cart's currency.
 */
price_cents: number, 
/**
 * How many.
 */
quantity: number, 
/**
 * `price_cents × quantity`.
 */
line_total_cents: number, };
export type Cart = { 
/**
 * Cart id; the order id after checkout.
 */
cart_id: string, 
/**
 * The registered customer, if any.
 */
customer_id: string | null, 
/**
 * The kiosk it was started on.
 */
device_id: string | null, 
/**
 * `open`, `checked_out` or `canceled`.
 */
status: BasketStatus, 
/**
 * `customer` or `abandoned` when canceled.
 */
cancel_reason: string | null, 
/**
 * Sum of the lines, in minor units.
 */
total_cents: number, 
/**
 * ISO-4217 code of every amount in it.
 */
currency: string, 
/**
 * Units in it.
 */
item_count: number, 
/**
 * Lines in the order they were first added.
 */
lines: Array<CartLine>, 
/**
 * Its last change (ms since the Unix epoch).
 */
last_activity_at: number, 
/**
 * Products of an open cart this device's catalog no longer sells (removed, or their store
 * removed or out of kiosk ordering): checkout is refused until they are taken out. Filled
 * by [`crate::Edge::cart`]; empty in the view a command returns.
 */
unavailable: string[], };
export type Order = { 
/**
 * Order id (= the cart's id).
 */
order_id: string, 
/**
 * The customer.
 */
customer_id: string, 
/**
 * The kiosk that took it.
 */
device_id: string | null, 
/**
 * `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected`, `canceled`.
 */
status: OrderStatus, 
/**
 * Amount authorized at checkout, in minor units.
 */
total_cents: number, 
/**
 * ISO-4217 code of every amount in it.
 */
currency: string, 
/**
 * The lines ordered.
 */
items: Array<CartLine>, 
/**
 * The stores it is shopped in.
 */
store_ids: string[], 
/**
 * Whether OrderCreated has been acknowledged by central (false = "waiting to sync").
 */
synced: boolean, cancellation_requested: boolean, 
/**
 * The latest reason: cancellation request, refusal, rejection or cancel.
 */
reason: string | null, 
/**
 * The code the customer shows at the depot (six digits; on the kiosk that placed it,
 * `None` for orders from before codes existed).
 */
pickup_code: string | null, 
/**
 * When it was placed (ms since the Unix epoch).
 */
created_at: number, 
/**
 * Its last change (ms since the Unix epoch).
 */
updated_at: number, };
export type KioskOrder = { 
/**
 * The customer's SMS number.
 */
sms_number: string, 
/**
 * The pickup code as a QR code, for the customer to photograph: an SVG drawn here, as a
 * `data:` URL for an `<img>` (the windows never insert markup).
 */
pickup_qr: string | null, 
/**
 * Order id (= the cart's id).
 */
order_id: string, 
/**
 * The customer.
 */
customer_id: string, 
/**
 * The kiosk that took it.
 */
device_id: string | null, 
/**
 * `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected`, `canceled`.
 */
status: OrderStatus, 
/**
 * Amount authorized at checkout, in minor units.
 */
total_cents: number, 
/**
 * ISO-4217 code of every amount in it.
 */
currency: string, 
/**
 * The lines ordered.
 */
items: Array<CartLine>, 
/**
 * The stores it is shopped in.
 */
store_ids: string[], 
/**
 * Whether OrderCreated has been acknowledged by central (false = "waiting to sync").
 */
synced: boolean, cancellation_requested: boolean, 
/**
 * The latest reason: cancellation request, refusal, rejection or cancel.
 */
reason: string | null, 
/**
 * The code the customer shows at the depot (six digits; on the kiosk that placed it,
 * `None` for orders from before codes existed).
 */
pickup_code: string | null, 
/**
 * When it was placed (ms since the Unix epoch).
 */
created_at: number, 
/**
 * Its last change (ms since the Unix epoch).
 */
updated_at: number, };
export type CheckoutInput = { 
/**
 * The open basket.
 */
basket_id: string, 
/**
 * Customer phone number for the SMS notifications.
 */
sms_number: string, 
/**
 * Token of the (simulated) card swipe.
 */
card_token: string, };
export type NewStore = { 
/**
 * Display name, not blank.
 */
name: string, 
/**
 * Location in the mall, not blank.
 */
location: string, };
export type NewProduct = { 
/**
 * The store selling it.
 */
store_id: string, 
/**
 * Unique per store; the product id is UUIDv5(store, SKU).
 */
sku: string, 
/**
 * Display name.
 */
name: string, 
/**
 * Free text; may be empty.
 */
description: string, 
/**
 * Unit price in cents, in the mall's currency ([`Edge::currency`]).
 */
price_cents: number, };
export type LineError = { 
/**
 * 1-based line in the file.
 */
line: number, 
/**
 * Machine-readable code (`invalid_input` for parse errors, else the rule's code).
 */
code: string, 
/**
 * What is wrong.
 */
message: string, };
export type ImportReport = { 
/**
 * Products added.
 */
imported: Array<Product>, 
/**
 * Rows rejected, by line.
 */
errors: Array<LineError>, };
export type ManagerSession = { 
/**
 * User name.
 */
user: string, };
export type AppInfo = { 
/**
 * The app's version.
 */
version: string, 
/**
 * The label of the calling window (`kiosk` or `manager`).
 */
window: string, 
/**
 * The edge database of the window's device.
 */
db_path: string, 
/**
 * The window's device id.
 */
device_id: string, 
/**
 * Seconds without a touch after which the kiosk resets to its start screen.
 */
kiosk_idle_secs: number, 
/**
 * The mall's phone format for the kiosk's number pad (`north_american`, `international`).
 */
phone_format: string, };
export type OrderQuery = { 
/**
 * One status, e.g. `ready`.
 */
status?: OrderStatus | null, 
/**
 * First day, `YYYY-MM-DD` (UTC), inclusive.
 */
from_day?: string | null, 
/**
 * Last day, `YYYY-MM-DD` (UTC), inclusive.
 */
to_day?: string | null, 
/**
 * The last digits of the customer's phone number.
 */
phone_digits?: string | null, 
/**
 * One store (UUID text).
 */
store_id?: string | null, };
export type DeskRequest = { 
/**
 * `pickup` or `stop`.
 */
kind: string, 
/**
 * The order (pickup).
 */
order_id: string | null, 
/**
 * The list (stop).
 */
list_id: string | null, 
/**
 * The stop's store (stop).
 */
store_id: string | null, 
/**
 * The user who asked.
 */
user: string, 
/**
 * `requested` (sent or waiting for central), `refused` (see `code`), or for a pickup
 * `completed` once the order lines here say so (handed over).
 */
status: string, 
/**
 * The refusal's code (`pickup.not_ready`, `pickup.already_completed`,
 * `pickup.not_your_store`, `pickup.unknown_order`, `pickup.wrong_code`, `stop.…`).
 */
code: string | null, 
/**
 * The refusal's reason.
 */
reason: string | null, 
/**
 * When the last request was made (ms).
 */
requested_at: number | null, 
/**
 * When central refused it (ms).
 */
answered_at: number | null, };
export type ManagerOrder = { 
/**
 * Order id (UUID text).
 */
order_id: string, 
/**
 * The newest status seen: `approved`, `in_progress`, `ready`, `completed`, `rejected`,
 * `canceled`.
 */
status: OrderStatus, 
/**
 * The kiosk that placed it.
 */
device_id: string, 
/**
 * This desk's stores in the order (only the filter's store when it names one).
 */
store_ids: string[], 
/**
 * Those stores' names (from the lines, else this desk's catalog, else the id).
 */
store_names: Array<string>, 
/**
 * This desk's hand-over request of the order and central's answer, if one was made.
 */
pickup: DeskRequest | null, 
/**
 * Units of those stores' lines.
 */
item_count: number, 
/**
 * Total of those stores' lines.
 */
total_cents: number, 
/**
 * ISO-4217 code of the total.
 */
currency: string, 
/**
 * `authorized`, `captured` or `voided`; `None` while unknown.
 */
payment: string | null, 
/**
 * `pending`, `paid` or `canceled`; `None` while unknown (no invoice before ready).
 */
invoice: string | null, 
/**
 * The last four digits of the customer's phone, when central sent them.
 */
phone_last4: string | null, 
/**
 * When the kiosk placed it (the first line's time if central did not say).
 */
placed_at: number, 
/**
 * The earliest line's time.
 */
first_seen_at: number, 
/**
 * The newest line's time.
 */
updated_at: number, };
export type ManagerOrderLine = { 
/**
 * The store.
 */
store_id: string, 
/**
 * From the lines (or this desk's catalog); empty when neither knows it.
 */
store_name: string, 
/**
 * The status of this store's newest line.
 */
status: string, 
/**
 * Its items.
 */
items: Array<CartLine>, 
/**
 * Units.
 */
item_count: number, 
/**
 * Total of the items, in minor units.
 */
total_cents: number, 
/**
 * ISO-4217 code of the total.
 */
currency: string, 
/**
 * Stream sequence of the order event the newest line reflects.
 */
order_seq: number, 
/**
 * When this desk first saw the line (ms).
 */
first_seen_at: number, 
/**
 * Its last change (ms).
 */
updated_at: number, };
export type StatusChange = { 
/**
 * `pending` (placed at the kiosk), then central's statuses.
 */
status: OrderStatus, 
/**
 * When (ms since the Unix epoch).
 */
at: number, 
/**
 * Stream sequence of the order event (0 for `pending`, the kiosk's OrderCreated).
 */
order_seq: number, };
export type ManagerOrderDetail = { 
/**
 * The order as listed.
 */
order: ManagerOrder, 
/**
 * One line per store of this desk in it.
 */
lines: Array<ManagerOrderLine>, 
/**
 * Its status changes, oldest first.
 */
history: Array<StatusChange>, };
export type Walk = { 
/**
 * The store it left; `None` = the depot.
 */
from: string | null, 
/**
 * The store it is heading to; `None` = the depot.
 */
to: string | null, 
/**
 * When it left (ms since the Unix epoch).
 */
departed_at: number, 
/**
 * When it is expected there (ms since the Unix epoch).
 */
eta: number, };
export type Bot = { 
/**
 * Bot id (UUID text).
 */
bot_id: string, 
/**
 * Empty when this desk has not seen the bot come online.
 */
name: string, 
/**
 * `offline`, `idle`, `assigned`, `shopping` or `returning`.
 */
status: BotStatus, 
/**
 * The shopping list it holds.
 */
list_id: string | null, 
/**
 * The store it is in, while shopping.
 */
store_id: string | null, 
/**
 * That store's name, when the catalog here knows it.
 */
store_name: string | null, 
/**
 * When its status last changed (ms since the Unix epoch).
 */
updated_at: number, 
/**
 * The walk the bot is on, if it is between places.
 */
walk: Walk | null, };
export type StopItem = { 
/**
 * Product id (UUID text).
 */
product_id: string, 
/**
 * The product's name as ordered.
 */
product_name: string, 
/**
 * Units of it.
 */
quantity: number, };
export type Stop = { 
/**
 * Store id (UUID text).
 */
store_id: string, 
/**
 * The store's name, when the catalog here knows it.
 */
store_name: string | null, 
/**
 * What to fetch there.
 */
items: Array<StopItem>, 
/**
 * Units to fetch here.
 */
quantity: number, 
/**
 * The bot has collected this stop's items.
 */
picked: boolean, 
/**
 * The store's manager prepared it at the counter (automated shopping off): the bot only
 * collects it.
 */
prepared: boolean, };
export type ShoppingList = { 
/**
 * List id (UUID text).
 */
list_id: string, 
/**
 * The order it fetches.
 */
order_id: string, 
/**
 * `created`, `available`, `assigned`, `in_progress`, `completed` or `canceled`.
 */
status: ListStatus, 
/**
 * The robot shopping it.
 */
bot_id: string | null, 
/**
 * The bot's name, when known here.
 */
bot_name: string | null, 
/**
 * The store the bot is at.
 */
current_stop: string | null, 
/**
 * Stops in walking order.
 */
stops: Array<Stop>, 
/**
 * When it was created (ms since the Unix epoch).
 */
created_at: number, 
/**
 * Last change (ms since the Unix epoch).
 */
updated_at: number, };
export type Depot = { 
/**
 * Every robot, by name.
 */
bots: Array<Bot>, 
/**
 * Open lists first, then recently finished ones.
 */
lists: Array<ShoppingList>, };
export type SalesDay = { 
/**
 * `YYYY-MM-DD` (UTC).
 */
day: string, 
/**
 * Orders counted that day.
 */
orders: number, 
/**
 * Units in them.
 */
items: number, 
/**
 * Their total, in minor units.
 */
total_cents: number, 
/**
 * ISO-4217 code of the total.
 */
currency: string, };
export type Conflict = { 
/**
 * Aggregate type.
 */
stream_type: string, 
/**
 * Aggregate id.
 */
stream_id: string, 
/**
 * Machine-readable reason.
 */
code: string, 
/**
 * Text for the user.
 */
message: string, 
/**
 * When, Unix ms.
 */
at: number, };
export type SyncProblem = { 
/**
 * Stable code the UI branches on, e.g. `sync.not_enrolled`.
 */
code: string, 
/**
 * What is wrong, for people (never a secret).
 */
message: string, 
/**
 * The command that fixes it, when there is one.
 */
fix: string | null, };
export type Quarantined = { 
/**
 * The event.
 */
event_id: string, 
/**
 * Its event type.
 */
event_type: string, 
/**
 * Aggregate type.
 */
stream_type: string, 
/**
 * Aggregate id.
 */
stream_id: string, 
/**
 * The subject it would go to.
 */
subject: string, 
/**
 * `sync.forbidden_subject`, `sync.too_large` or `sync.rejected`.
 */
code: string, 
/**
 * Text for the user.
 */
reason: string, 
/**
 * When, Unix ms.
 */
at: number, 
/**
 * Later events of the same aggregate (or subject) waiting behind it.
 */
blocked: number, };
export type SyncStatus = { 
/**
 * The device this status is about.
 */
device_id: string, 
/**
 * One word for the indicator.
 */
state: SyncState, 
/**
 * Connected to central right now.
 */
online: boolean, 
/**
 * Local events not yet acknowledged by central (the outbox).
 */
waiting: number, 
/**
 * When the oldest change still to send was made (ms since the Unix epoch): how far behind
 * central is; `None` with nothing to send.
 */
oldest_waiting_at: number | null, 
/**
 * Last successful exchange with central (ms since the Unix epoch), if any.
 */
last_sync_at: number | null, 
/**
 * Local changes central refused, newest first.
 */
conflicts: Array<Conflict>, 
/**
 * Why the device cannot sync, if it cannot.
 */
problem: SyncProblem | null, 
/**
 * Local changes the server refused and that were set aside, newest first.
 */
quarantined: Array<Quarantined>, };
export type Changed = { 
/**
 * What changed.
 */
topics: Array<Topic>, 
/**
 * The order concerned, when the change is about one order (the kiosk's status screen
 * reloads only its own).
 */
order_id?: string, 
/**
 * The window of the device that changed (`kiosk` or `manager`), set by [`emit_to`].
 */
window?: string, };
export type TrailEntry = { 
/**
 * When it happened (ms since the Unix epoch).
 */
at: number, 
/**
 * The event's type, e.g. `OrderApproved`.
 */
event_type: string, 
/**
 * The stream it is on: `basket`, `order`, `orderline`, `list`, `pickupreq`, `product`, …
 */
stream: string, 
/**
 * The device that wrote it (`central` for central's events), when known.
 */
device: string | null, 
/**
 * The signed-in user, for desk and manager actions.
 */
user: string | null, 
/**
 * What happened, in one line of plain words.
 */
summary: string, };
