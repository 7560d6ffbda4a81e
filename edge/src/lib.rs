//! # mallbots-edge
//!
//! The one use-case API that the kiosk, the store-manager app and the `mallbots` CLI call:
//! load → decide → append, plus the queries they show. Not the Tauri shell, not the transport
//! (the relay and inbox consumer live in `mallbots-sync` and use [`Edge::writer`] and
//! [`projections::project`]).
//!
//! Every command is decided by a pure domain aggregate and committed in ONE SQLite transaction:
//! events + outbox rows (subjects per docs/architecture.md §5, see [`Subjects`]) + the `commands` row + the
//! read-model updates. The edge generates UUIDv7 ids and reads the clock ([`Clock`]).
//!
//! ## Public API (all methods on [`Edge`], errors are [`EdgeError`] with a stable `code()`)
//! * open: `Edge::open(path, EdgeConfig { device_id, subject_root, role, idle_cart_ms,
//!   snapshot_every, user })` (the database's one writer: `edge.database_in_use` if another
//!   process holds its `<db>.lock`; abandons idle carts at open),
//!   `Edge::open_with_clock(path, config, Arc<dyn Clock>)`, `Edge::open_read_only(path, config)`
//!   (queries while another process writes; commands get `edge.read_only`),
//!   `Edge::open_with_access(path, config, clock, Access)`, `is_writer()`, `config()`,
//!   `subjects()`, `now()`, `path()`, `writer()`, `clear_cache()`.
//! * device ([`device`]): `device() -> Option<DeviceIdentity>`, `role()`,
//!   `init_device(DeviceIdentity) -> DeviceIdentity`, `user()`, `set_user(Option<&str>)`,
//!   `require_user()`, `authorize_desk_edit()`; [`Enrollment::load`] reads the credentials file
//!   of `mallbots-central enroll --out FILE`. Codes: `device.mismatch`,
//!   `catalog.kiosk_forbidden`, `catalog.depot_forbidden`, `catalog.not_your_store`,
//!   `manager.user_required`, `desk.kiosk_forbidden`, `device.invalid_enrollment`.
//! * abandonment: `spawn_abandonment(self: &Arc<Self>, period) -> AbandonmentTimer`,
//!   `abandonment_period()`, `abandon_tick()`.
//! * kiosk: `register_customer(name, phone) -> CustomerView`, `start_cart(Option<CustomerId>)
//!   -> CartView`, `add_item(cart, product, qty) -> CartView`, `remove_item(cart, product, qty)
//!   -> CartView`, `cancel_cart(cart) -> CartView`, `abandon_idle(now) -> Vec<CartView>`,
//!   `checkout(cart, card_token, Option<CustomerId>) -> OrderView` (durable: FULL),
//!   `request_order_cancellation(order, reason) -> OrderView`.
//! * manager: `create_store(name, location) -> StoreView`, `rebrand_store(store, name)`,
//!   `set_participation(store, on)`, `set_automated_shopping(store, on)`, `remove_store(store)`,
//!   `add_product(NewProduct) -> ProductView`, `rebrand_product(product, name, description)`,
//!   `reprice_product(product, price_cents)`, `remove_product(product)`,
//!   `import_products_csv(store, impl Read) -> ImportReport`.
//! * queries: `stores()`, `store(id)`, `product(id)`, `products(Option<StoreId>, Option<&str>)`,
//!   `catalog(search, participating_only) -> CatalogView`, `cart(id)`, `customer(id)`,
//!   `order(id)`, `order_synced(id)`, `orders(Option<StoreId>)`, `sales_per_day(store)`.
//! * a desk's view of the mall's orders (central's order lines of its stores):
//!   `manager_orders(&OrderFilter) -> Vec<ManagerOrderView>`, `manager_order(order) ->
//!   Option<ManagerOrderDetail>`; `sales_per_day` reads them on a manager or depot desk.
//!   Days are UTC (`utc_day`, `utc_day_start`).
//! * depot (a manager desk, from central's `<root>.ev.depot.>`): `depot() -> DepotView`,
//!   `depot_bots() -> Vec<BotView>`, `depot_lists(limit) -> Vec<ShoppingListView>`.
//! * maintenance: `rebuild_read_models()`, `dump_read_models()`, `export_events(impl Write)`,
//!   `import_events(impl BufRead) -> EventImportReport`, `local_counts()`,
//!   `deliver(RawMessage) -> Received` (one message of central's stream through the inbox, as
//!   sync does; [`central_message`] builds one).
//!
//! * desk (a manager or depot desk; central decides, see [`manager::desk`]):
//!   `request_pickup(order) -> DeskRequestView` (`OrderPickupRequested` on
//!   `R.ev.desk.<device>.pickupreq.<order>`), `mark_stop_prepared(list, store)` (`StopPrepared`
//!   on `R.ev.desk.<device>.stopreq.<request>`), `pickup_request(order)`,
//!   `stop_request(list, store)`, `desk_requests()` (central's refusals from
//!   `R.ev.deskans.<device>.<id>`), `order_line_status(order)`.

pub mod calendar;
pub mod cli;
pub mod config;
pub mod csv_import;
pub mod days;
pub mod device;
pub mod engine;
pub mod error;
pub mod kiosk;
pub mod mall_settings;
pub mod manager;
pub mod projections;
pub mod queries;
pub mod subjects;
pub mod sync;
pub mod views;

/// The domain this API runs (ids, events), for callers that depend on this crate only.
pub use mallbots_domain as domain;
/// The sync engine the Tauri shell starts and holds (docs/architecture.md §2: the shell depends on this crate
/// only); build one with [`sync::engine`].
pub use mallbots_sync::engine::{ConflictView, NatsTarget, QuarantinedRow, SyncEngine, SyncHandle};

pub use config::{Clock, EdgeConfig, ManualClock, Role, SystemClock};
pub use csv_import::{ImportReport, RowError};
pub use days::{utc_day, utc_day_start};
pub use device::{DeviceIdentity, Enrollment};
pub use engine::{Access, Edge};
pub use error::EdgeError;
pub use kiosk::abandonment::AbandonmentTimer;
pub use manager::products::NewProduct;
pub use queries::delivery::{central_message, RawMessage, Received};
pub use queries::depot::DEPOT_LISTS;
pub use queries::maintenance::{EventImportReport, LocalCounts, Progress};
pub use subjects::Subjects;
pub use views::*;
