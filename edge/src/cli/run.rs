//! Dispatch: one [`Command`] → one use case or query on the [`Edge`] → an [`Outcome`].

use super::args::Toggle;
use super::args::{
    CartCmd, Command, CustomerCmd, DepotCmd, LoadgenArgs, OrderCmd, ProductCmd, StoreCmd,
};
use super::{parse_id, render, Outcome};
use crate::{Edge, EdgeError, NewProduct};
use serde_json::json;
use std::io::Write;

/// Runs one command.
pub fn run(edge: &Edge, command: Command) -> Result<Outcome, EdgeError> {
    match command {
        Command::Store(cmd) => store(edge, cmd),
        Command::Product(cmd) => product(edge, cmd),
        Command::Catalog {
            search,
            participating,
        } => {
            let c = edge.catalog(search.as_deref(), participating)?;
            Outcome::new(&c, render::catalog(&c))
        }
        Command::Customer(CustomerCmd::Register { name, phone }) => {
            let c = edge.register_customer(&name, &phone)?;
            Outcome::new(&c, render::customer(&c))
        }
        Command::Customer(CustomerCmd::Show { customer }) => {
            let c = edge.customer(parse_id("customer", &customer)?)?;
            Outcome::new(&c, render::customer(&c))
        }
        Command::Cart(cmd) => cart(edge, cmd),
        Command::Checkout {
            cart,
            card,
            customer,
        } => {
            let customer = customer.map(|c| parse_id("customer", &c)).transpose()?;
            let o = edge.checkout(parse_id("cart", &cart)?, &card, customer)?;
            Outcome::new(&o, render::order(&o))
        }
        Command::Order(OrderCmd::Show { order }) => order_show(edge, parse_id("order", &order)?),
        Command::Order(OrderCmd::Cancel { order, reason }) => {
            let o = edge.request_order_cancellation(parse_id("order", &order)?, &reason)?;
            Outcome::new(&o, render::order(&o))
        }
        Command::Order(OrderCmd::Pickup { order, code }) => {
            let r = edge.request_pickup(parse_id("order", &order)?, &code)?;
            Outcome::new(&r, render::desk_request(&r))
        }
        Command::Order(OrderCmd::History { order, csv }) => {
            let trail = edge.order_trail(parse_id("order", &order)?)?;
            Outcome::new(&trail, render::trail(&trail, csv)?)
        }
        Command::Order(OrderCmd::PickupStatus { order }) => {
            let order = parse_id("order", &order)?;
            let r = edge
                .pickup_request(order)?
                .ok_or_else(|| EdgeError::not_found("pickup request", order))?;
            Outcome::new(&r, render::desk_request(&r))
        }
        Command::Orders {
            store,
            status,
            from,
            to,
            phone,
        } => {
            let store = store.map(|s| parse_id("store", &s)).transpose()?;
            let search = status.is_some() || from.is_some() || to.is_some() || phone.is_some();
            if search || !matches!(edge.config().role, crate::Role::Kiosk) {
                let filter = crate::OrderFilter {
                    status: status.map(|s| order_status(&s)).transpose()?,
                    from_day: from,
                    to_day: to,
                    phone_suffix: phone,
                    store,
                };
                let orders = edge.manager_orders(&filter).map_err(flag_names)?;
                return Outcome::new(&orders, render::manager_orders(&orders));
            }
            let orders = edge.orders(store)?;
            let text = orders.iter().map(render::order).collect::<Vec<_>>();
            Outcome::new(&orders, text.join("\n"))
        }
        Command::Depot(DepotCmd::Bots) => {
            let bots = edge.depot_bots()?;
            Outcome::new(&bots, render::bots(&bots))
        }
        Command::Depot(DepotCmd::Lists { limit }) => {
            let lists = edge.depot_lists(limit)?;
            Outcome::new(&lists, render::lists(&lists))
        }
        Command::Depot(DepotCmd::StopPrepared { list, store }) => {
            let (list, store) = (parse_id("list", &list)?, parse_id("store", &store)?);
            edge.mark_stop_prepared(list, store)?;
            let r = edge
                .stop_request(list, store)?
                .ok_or_else(|| EdgeError::not_found("stop request", list))?;
            Outcome::new(&r, render::desk_request(&r))
        }
        Command::Depot(DepotCmd::History { bot, day, csv }) => {
            // The mall's day (its time zone), from its first to its last instant.
            let calendar = edge.read(|r| Ok(crate::calendar::of_database(r.connection())?))?;
            let day = day.unwrap_or_else(|| calendar.day(edge.now().0));
            let bad = || EdgeError::invalid("--day", format!("`{day}` is not YYYY-MM-DD"));
            let since = calendar.day_start(&day).ok_or_else(bad)?;
            let next = calendar.day(since + 36 * 3_600_000);
            let until = calendar.day_start(&next).ok_or_else(bad)?;
            let mut trail = edge.bot_trail(parse_id("bot", &bot)?, since)?;
            trail.retain(|e| e.at < until);
            Outcome::new(&trail, render::trail(&trail, csv)?)
        }
        Command::Depot(DepotCmd::Requests) => {
            let all = edge.desk_requests()?;
            let text = all.iter().map(render::desk_request).collect::<Vec<_>>();
            Outcome::new(&all, text.join("\n"))
        }
        Command::Sales { store } => {
            let days = edge.sales_per_day(parse_id("store", &store)?)?;
            Outcome::new(&days, render::sales(&days))
        }
        Command::Export { file } => {
            let out = std::fs::File::create(&file)
                .map_err(|e| EdgeError::io(format!("create {}", file.display()), e))?;
            let mut out = std::io::BufWriter::new(out);
            let events = edge.export_events(&mut out)?;
            out.flush().map_err(|e| EdgeError::io("flush export", e))?;
            Outcome::new(
                &json!({ "events": events }),
                format!("exported {events} events"),
            )
        }
        Command::Import { file } => {
            let input = std::fs::File::open(&file)
                .map_err(|e| EdgeError::io(format!("open {}", file.display()), e))?;
            let bar = super::progress::bar("importing");
            let r = edge.import_events_reporting(
                std::io::BufReader::new(input),
                super::progress::reporter(&bar),
            )?;
            bar.finish_and_clear();
            let text = format!(
                "imported {} events, {} already present, {} out of order",
                r.imported, r.skipped, r.out_of_order
            );
            Outcome::new(&r, text)
        }
        Command::Rebuild => {
            let bar = super::progress::bar("rebuilding");
            let events = edge.rebuild_read_models_reporting(super::progress::reporter(&bar))?;
            bar.finish_and_clear();
            Outcome::new(
                &json!({ "events": events }),
                format!("re-projected {events} events"),
            )
        }
        Command::TimeZone { zone } => {
            let changed = match &zone {
                Some(zone) => edge.set_time_zone(zone)?,
                None => false,
            };
            let zone = edge.time_zone()?;
            Outcome::new(
                &json!({ "time_zone": zone, "changed": changed }),
                if changed {
                    format!("time zone {zone} (read models rebuilt)")
                } else {
                    format!("time zone {zone}")
                },
            )
        }
        Command::Currency { code } => {
            let changed = match &code {
                Some(code) => edge.set_currency(code)?,
                None => false,
            };
            let currency = edge.currency()?;
            Outcome::new(
                &json!({ "currency": currency.as_str(), "changed": changed }),
                format!("currency {}", currency.as_str()),
            )
        }
        Command::PhoneFormat { format } => {
            let changed = match &format {
                Some(format) => edge.set_phone_format(format)?,
                None => false,
            };
            let format = edge.phone_format()?;
            Outcome::new(
                &json!({ "phone_format": format, "changed": changed }),
                format!("phone format {format}"),
            )
        }
        Command::Device(cmd) => super::device::run(edge, cmd),
        Command::Sync(args) => {
            let v = super::sync::run_sync(edge, &args)?;
            Ok(Outcome {
                text: v.to_string(),
                json: v,
            })
        }
        Command::Status(args) => {
            let v = super::sync::run_status(edge, &args)?;
            Ok(Outcome {
                text: super::sync::status_text(&v),
                json: v,
            })
        }
        Command::Loadgen(args) => loadgen(edge, args),
    }
}

/// `order show`: the order taken here, else the order as central's order lines report it to
/// this desk, else `not_found`.
fn order_show(edge: &Edge, id: mallbots_domain::OrderId) -> Result<Outcome, EdgeError> {
    match edge.order(id) {
        Ok(o) => Outcome::new(&o, render::order(&o)),
        Err(e) if e.code() == "not_found" => match edge.manager_order(id)? {
            Some(d) => Outcome::new(&d, render::manager_order(&d)),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// An order status by its name, or `invalid_input` naming `--status`.
fn order_status(name: &str) -> Result<mallbots_domain::ordering::OrderStatus, EdgeError> {
    serde_json::from_value(json!(name.trim())).map_err(|_| {
        EdgeError::invalid(
            "--status",
            format!(
                "`{}` is not a status (pending, approved, in_progress, ready, completed, \
                 rejected, canceled)",
                name.chars().take(64).collect::<String>()
            ),
        )
    })
}

/// The filter's field names in an `invalid_input` as the flags that set them.
fn flag_names(e: EdgeError) -> EdgeError {
    match e {
        EdgeError::InvalidInput { field, message } => {
            let flag = match field.as_str() {
                "from_day" => "--from",
                "to_day" => "--to",
                "phone_suffix" => "--phone",
                other => other,
            };
            EdgeError::invalid(flag, message)
        }
        other => other,
    }
}

fn store(edge: &Edge, cmd: StoreCmd) -> Result<Outcome, EdgeError> {
    let s = match cmd {
        StoreCmd::Create { name, location } => edge.create_store(&name, &location)?,
        StoreCmd::Rebrand { store, name } => {
            edge.rebrand_store(parse_id("store", &store)?, &name)?
        }
        StoreCmd::Participate { store, state } => {
            edge.set_participation(parse_id("store", &store)?, state == Toggle::On)?
        }
        StoreCmd::Automated { store, state } => {
            edge.set_automated_shopping(parse_id("store", &store)?, state == Toggle::On)?
        }
        StoreCmd::Place { store, level, x, y } => {
            edge.place_store(parse_id("store", &store)?, level, x, y)?
        }
        StoreCmd::Remove { store } => edge.remove_store(parse_id("store", &store)?)?,
        StoreCmd::Show { store } => edge.store(parse_id("store", &store)?)?,
        StoreCmd::List => {
            let stores = edge.stores()?;
            let text = stores.iter().map(render::store).collect::<Vec<_>>();
            return Outcome::new(&stores, text.join("\n"));
        }
    };
    Outcome::new(&s, render::store(&s))
}

fn product(edge: &Edge, cmd: ProductCmd) -> Result<Outcome, EdgeError> {
    let p = match cmd {
        ProductCmd::Add {
            store,
            sku,
            name,
            price_cents,
            description,
        } => edge.add_product(NewProduct {
            store_id: parse_id("store", &store)?,
            sku,
            name,
            description,
            price_cents,
        })?,
        ProductCmd::Rebrand {
            product,
            name,
            description,
        } => edge.rebrand_product(parse_id("product", &product)?, &name, &description)?,
        ProductCmd::Reprice {
            product,
            price_cents,
        } => edge.reprice_product(parse_id("product", &product)?, price_cents)?,
        ProductCmd::Remove { product } => edge.remove_product(parse_id("product", &product)?)?,
        ProductCmd::Import { store, file } => {
            let input = std::fs::File::open(&file)
                .map_err(|e| EdgeError::io(format!("open {}", file.display()), e))?;
            let report = edge.import_products_csv(parse_id("store", &store)?, input)?;
            return Outcome::new(&report, render::import(&report));
        }
        ProductCmd::History { product, csv } => {
            let trail = edge.product_trail(parse_id("product", &product)?)?;
            return Outcome::new(&trail, render::trail(&trail, csv)?);
        }
    };
    Outcome::new(&p, render::product(&p))
}

fn cart(edge: &Edge, cmd: CartCmd) -> Result<Outcome, EdgeError> {
    let c = match cmd {
        CartCmd::Start { customer } => {
            edge.start_cart(customer.map(|c| parse_id("customer", &c)).transpose()?)?
        }
        CartCmd::Add { cart, product, qty } => edge.add_item(
            parse_id("cart", &cart)?,
            parse_id("product", &product)?,
            qty,
        )?,
        CartCmd::Remove { cart, product, qty } => edge.remove_item(
            parse_id("cart", &cart)?,
            parse_id("product", &product)?,
            qty,
        )?,
        CartCmd::Cancel { cart } => edge.cancel_cart(parse_id("cart", &cart)?)?,
        CartCmd::Show { cart } => edge.cart(parse_id("cart", &cart)?)?,
        CartCmd::AbandonIdle => {
            let carts = edge.abandon_idle(edge.now())?;
            let text = format!("abandoned {} idle carts", carts.len());
            return Outcome::new(&carts, text);
        }
    };
    Outcome::new(&c, render::cart(&c))
}

/// Takes orders in a loop, printing each order's JSON line only after its commit returned.
fn loadgen(edge: &Edge, args: LoadgenArgs) -> Result<Outcome, EdgeError> {
    let product = parse_id("product", &args.product)?;
    let customer = parse_id("customer", &args.customer)?;
    let background = match &args.nats {
        Some(url) => Some(super::sync::Background::start(
            edge,
            url,
            &args.stream,
            args.create_consumers,
        )?),
        None => None,
    };
    let mut stdout = std::io::stdout().lock();
    for _ in 0..args.orders {
        let cart = edge.start_cart(Some(customer))?;
        edge.add_item(cart.cart_id, product, 2)?;
        let order = edge.checkout(cart.cart_id, "tok_loadgen", None)?;
        let line = json!({ "order_id": order.order_id, "total_cents": order.total_cents });
        writeln!(stdout, "{line}")
            .and_then(|_| stdout.flush())
            .map_err(|e| EdgeError::io("write stdout", e))?;
    }
    if let Some(background) = background {
        background.finish();
    }
    Outcome::new(&json!({ "orders": args.orders }), String::new())
}
