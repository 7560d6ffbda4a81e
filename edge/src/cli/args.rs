//! The `mallbots` command line grammar (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "Examples:
  mallbots --db kiosk.db device init --id kiosk-1 --role kiosk
  mallbots --db desk.db device init --enrollment m1.creds.json
  mallbots --db desk.db --user alice product reprice PRODUCT --price-cents 300
  mallbots --db kiosk.db sync --watch --nats nats://127.0.0.1:4222
  mallbots --db shop.db --json store create --name 'Corner Deli' --location 'Level 1'
  mallbots --db shop.db store participate STORE on
  mallbots --db shop.db product add --store STORE --sku A-1 --name 'Apple juice' --price-cents 250
  mallbots --db shop.db product import --store STORE products.csv   (sku,name,description,price)
  mallbots --db shop.db catalog --search juice
  mallbots --db shop.db --device kiosk-1 customer register --name Ada --phone +15550100
  mallbots --db shop.db --device kiosk-1 cart start --customer CUSTOMER
  mallbots --db shop.db --device kiosk-1 cart add CART PRODUCT --qty 2
  mallbots --db shop.db --device kiosk-1 checkout CART --card tok_visa
  mallbots --db shop.db order show ORDER
  mallbots --db desk.db orders --status ready --from 2026-12-01 --to 2026-12-03 --phone 4477
  mallbots --db shop.db sales --store STORE
  mallbots --db shop.db --json depot lists";

/// MallBots edge: the kiosk and store-manager operations, offline, on one SQLite file.
///
/// Every command prints a short human line, or with --json one JSON document of stable fields
/// (ids, totals in cents, statuses). Errors exit non-zero and print `error: <code>: <message>`
/// on stderr (and `{"code": .., "message": ..}` on stdout with --json).
#[derive(Debug, Parser)]
#[command(name = "mallbots", version, about, long_about, after_help = EXAMPLES)]
pub struct Cli {
    /// A settings file (TOML, a table per section: `MALLBOTS__NATS__URL` is `url` in `[nats]`,
    /// e.g. `[device] db = "kiosk.db"`); flags and variables win over it.
    #[arg(long, env = "MALLBOTS_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The edge database file (created if missing).
    #[arg(
        long,
        env = "MALLBOTS__DEVICE__DB",
        global = true,
        default_value = "mallbots.db"
    )]
    pub db: PathBuf,
    /// This device's id (a NATS subject token) [default: the database's device (`device
    /// init`), else `local`]. A database's device refuses another id (`device.mismatch`).
    /// `--device-id`, as the app names it.
    #[arg(
        long,
        visible_alias = "device-id",
        env = "MALLBOTS__DEVICE__ID",
        global = true
    )]
    pub device: Option<String>,
    /// Subject root of outbox subjects [default: the database's device's, else `mallbots`].
    #[arg(long, env = "MALLBOTS__TOPOLOGY__SUBJECT_ROOT", global = true)]
    pub subject_root: Option<String>,
    /// The signed-in user recorded in event metadata (required for a manager or depot
    /// device's edits: `manager.user_required`).
    #[arg(long, env = "MALLBOTS__DEVICE__USER", global = true)]
    pub user: Option<String>,
    /// Idle time after which `cart abandon-idle` cancels a cart, in milliseconds.
    #[arg(
        long,
        env = "MALLBOTS__KIOSK__IDLE_CART_MS",
        global = true,
        default_value_t = 300_000
    )]
    pub idle_cart_ms: i64,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log lines (`sync --watch`, or any command with `RUST_LOG` set) as text or one JSON
    /// object per line.
    #[arg(
        long,
        value_enum,
        env = "MALLBOTS__LOG__FORMAT",
        global = true,
        default_value = "text"
    )]
    pub log_format: super::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// on / off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Enable.
    On,
    /// Disable.
    Off,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Stores: create, rebrand, participate, automated, place, remove, show, list.
    #[command(subcommand)]
    Store(StoreCmd),
    /// Products: add, rebrand, reprice, remove, import (CSV).
    #[command(subcommand)]
    Product(ProductCmd),
    /// The catalog of stores and products.
    Catalog {
        /// Case-insensitive search in product names.
        #[arg(long)]
        search: Option<String>,
        /// Only participating stores (what a kiosk shows).
        #[arg(long)]
        participating: bool,
    },
    /// Customers: register, show.
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Carts: start, add, remove, cancel, show, abandon-idle.
    #[command(subcommand)]
    Cart(CartCmd),
    /// Checks a cart out with a card token: the order is committed locally (pending).
    Checkout {
        /// The cart id.
        cart: String,
        /// The card token from the card swipe.
        #[arg(long)]
        card: String,
        /// The customer, if the cart has none.
        #[arg(long)]
        customer: Option<String>,
    },
    /// Orders: show, cancel (a request to central).
    #[command(subcommand)]
    Order(OrderCmd),
    /// Orders, newest first, optionally of one store. On a manager or depot desk, or with any
    /// of --status/--from/--to/--phone: the mall's orders central reported for the desk's stores.
    Orders {
        /// Only orders with lines of this store.
        #[arg(long)]
        store: Option<String>,
        /// Only orders in this status (approved, in_progress, ready, completed, rejected,
        /// canceled).
        #[arg(long)]
        status: Option<String>,
        /// Only orders placed on or after this UTC day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Only orders placed on or before this UTC day (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// Only orders whose customer's phone number ends with these digits (1 to 4).
        #[arg(long)]
        phone: Option<String>,
    },
    /// The depot: bots and shopping lists as central reported them (a manager desk).
    #[command(subcommand)]
    Depot(DepotCmd),
    /// A store's sales per day.
    Sales {
        /// The store.
        #[arg(long)]
        store: String,
    },
    /// Writes every event to FILE as JSON lines.
    Export {
        /// Output file.
        file: PathBuf,
    },
    /// Imports events from FILE (JSON lines, as written by export).
    Import {
        /// Input file.
        file: PathBuf,
    },
    /// Rebuilds every read model from the event log.
    Rebuild,
    /// The mall's time zone (sales and order days are its business days): shows it, or sets it
    /// to ZONE (an IANA name such as `Europe/Madrid`; the read models are rebuilt).
    TimeZone {
        /// The new zone; without one, the current one is shown.
        zone: Option<String>,
    },
    /// The mall's currency (new products are priced in it): shows it, or sets it to CODE
    /// (ISO-4217, e.g. `EUR`); products priced before keep theirs.
    Currency {
        /// The new currency; without one, the current one is shown.
        code: Option<String>,
    },
    /// The mall's phone format for the kiosk's number pad: shows it, or sets it to
    /// `north_american` (ten digits, `(555) 123-4567`) or `international` (8 to 15 digits).
    PhoneFormat {
        /// The new format; without one, the current one is shown.
        format: Option<String>,
    },
    /// This database's device: init (id, role, stores, or an enrollment file), show.
    #[command(subcommand)]
    Device(super::device::DeviceCmd),
    /// Synchronizes with central as this database's device (role, stores, enrollment).
    Sync(super::sync::SyncArgs),
    /// Sync status: online, events waiting, last sync, conflicts, parked, the device.
    Status(super::sync::StatusArgs),
    /// Takes orders in a loop (test and benchmark driver).
    #[command(hide = true)]
    Loadgen(LoadgenArgs),
}

/// `store ...`
#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Opens a new store (not participating).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Where in the mall.
        #[arg(long)]
        location: String,
    },
    /// Renames a store.
    Rebrand {
        /// The store.
        store: String,
        /// The new name.
        #[arg(long)]
        name: String,
    },
    /// Turns kiosk participation on or off.
    Participate {
        /// The store.
        store: String,
        /// on or off.
        state: Toggle,
    },
    /// Turns automated (bot) shopping on or off.
    Automated {
        /// The store.
        store: String,
        /// on or off.
        state: Toggle,
    },
    /// Puts a store on the mall's floor plan (the map): level 0 (ground floor) to 5, x 0 to 1000
    /// and y 0 to 600 plan units from the top-left corner.
    Place {
        /// The store.
        store: String,
        /// The level (0 = ground floor).
        #[arg(long)]
        level: u8,
        /// Plan units from the left edge (0 to 1000).
        #[arg(long)]
        x: u16,
        /// Plan units from the top edge (0 to 600).
        #[arg(long)]
        y: u16,
    },
    /// Removes a store for good.
    Remove {
        /// The store.
        store: String,
    },
    /// Shows one store.
    Show {
        /// The store.
        store: String,
    },
    /// Lists the stores.
    List,
}

/// `product ...`
#[derive(Debug, Subcommand)]
pub enum ProductCmd {
    /// Adds a product to a store.
    Add {
        /// The store.
        #[arg(long)]
        store: String,
        /// Stock keeping unit, unique per store.
        #[arg(long)]
        sku: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Unit price in cents.
        #[arg(long, allow_hyphen_values = true)]
        price_cents: i64,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Renames a product.
    Rebrand {
        /// The product.
        product: String,
        /// The new name.
        #[arg(long)]
        name: String,
        /// The new description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Changes a product's price.
    Reprice {
        /// The product.
        product: String,
        /// The new unit price in cents.
        #[arg(long, allow_hyphen_values = true)]
        price_cents: i64,
    },
    /// Removes a product.
    Remove {
        /// The product.
        product: String,
    },
    /// The product's history from the event log: added, renamed, repriced, removed, with the
    /// device and user of each change.
    History {
        /// The product.
        product: String,
        /// CSV (at, event_type, stream, device, user, summary) instead of lines of text.
        #[arg(long)]
        csv: bool,
    },
    /// Imports products from CSV (`sku,name,description,price`, price like 12.99).
    Import {
        /// The store.
        #[arg(long)]
        store: String,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `customer ...`
#[derive(Debug, Subcommand)]
pub enum CustomerCmd {
    /// Registers a customer.
    Register {
        /// Name.
        #[arg(long)]
        name: String,
        /// SMS number.
        #[arg(long)]
        phone: String,
    },
    /// Shows a customer.
    Show {
        /// The customer.
        customer: String,
    },
}

/// `cart ...`
#[derive(Debug, Subcommand)]
pub enum CartCmd {
    /// Starts a cart.
    Start {
        /// The customer, if known.
        #[arg(long)]
        customer: Option<String>,
    },
    /// Adds a product.
    Add {
        /// The cart.
        cart: String,
        /// The product.
        product: String,
        /// How many.
        #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
        qty: i64,
    },
    /// Removes a product.
    Remove {
        /// The cart.
        cart: String,
        /// The product.
        product: String,
        /// How many.
        #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
        qty: i64,
    },
    /// Cancels a cart.
    Cancel {
        /// The cart.
        cart: String,
    },
    /// Shows a cart.
    Show {
        /// The cart.
        cart: String,
    },
    /// Cancels every cart idle longer than --idle-cart-ms (reason `abandoned`).
    AbandonIdle,
}

/// `order ...`
#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// Shows an order and its status (a desk: as central's order lines report it).
    Show {
        /// The order.
        order: String,
    },
    /// Asks central to cancel an order.
    Cancel {
        /// The order.
        order: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Asks central to hand a ready order over (a manager or depot desk): central captures the
    /// payment, pays the invoice and completes the order, or refuses with a code
    /// (`pickup.wrong_code` when the code is not the order's).
    Pickup {
        /// The order.
        order: String,
        /// The pickup code the customer shows (six digits, on the kiosk's confirmation and in
        /// the ready SMS; spaces and dashes are ignored).
        #[arg(long)]
        code: String,
    },
    /// This desk's pickup request of an order: requested, refused (with its code) or completed.
    PickupStatus {
        /// The order.
        order: String,
    },
    /// The order's story from this device's event log: its cart, checkout, central's answers,
    /// the robot's shopping, the hand-over (time, device, user, one line each).
    History {
        /// The order.
        order: String,
        /// CSV (at, event_type, stream, device, user, summary) instead of lines of text.
        #[arg(long)]
        csv: bool,
    },
}

/// `depot ...`
#[derive(Debug, Subcommand)]
pub enum DepotCmd {
    /// Every bot with its status, list and store.
    Bots,
    /// Shopping lists with their status, bot and stops: open ones first, then finished ones.
    Lists {
        /// At most this many lists.
        #[arg(long, default_value_t = crate::queries::depot::DEPOT_LISTS)]
        limit: u32,
    },
    /// Marks a store's stop of a list prepared at the counter (automated shopping off); the bot
    /// then collects it.
    StopPrepared {
        /// The shopping list.
        list: String,
        /// The stop's store (managed by this desk).
        #[arg(long)]
        store: String,
    },
    /// This desk's pickup and stop requests with central's refusals, newest first.
    Requests,
    /// A robot's day from the event log: each list it took, each store it visited, back at the
    /// depot (since 00:00 UTC, or since `--day`).
    History {
        /// The robot.
        bot: String,
        /// The UTC day (`YYYY-MM-DD`), today by default.
        #[arg(long)]
        day: Option<String>,
        /// CSV (at, event_type, stream, device, user, summary) instead of lines of text.
        #[arg(long)]
        csv: bool,
    },
}

/// `loadgen ...`
#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// The product to order.
    #[arg(long)]
    pub product: String,
    /// The customer ordering.
    #[arg(long)]
    pub customer: String,
    /// Orders to take.
    #[arg(long, default_value_t = 1000)]
    pub orders: u64,
    /// Also sync with this NATS server in the same process while taking orders (the
    /// database's one writer: a separate `sync --watch` on the database is refused).
    #[arg(long)]
    pub nats: Option<String>,
    /// Events stream name, with --nats.
    #[arg(long, default_value = "EVENTS")]
    pub stream: String,
    /// Create the device's consumers if missing, with --nats (development only).
    #[arg(long)]
    pub create_consumers: bool,
}
