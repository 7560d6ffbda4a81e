//! The invariants (docs/simulation.md): checked after every step ([`always`]) and once the mall
//! is quiet ([`at_quiescence`]).

use crate::central::orders;
use crate::world::{Placed, World};
use mallbots_domain::ordering::Order;
use mallbots_domain::products::{Product, ProductEvent};
use mallbots_domain::saga::payment_id_for;
use mallbots_domain::{Aggregate, SagaId};
use mallbots_edge::Role;

const FINAL: [&str; 3] = ["OrderCompleted", "OrderCanceled", "OrderRejected"];

/// Central's order as its subjects hold it.
fn central_order(world: &World, p: &Placed) -> Order {
    orders::load(&world.bus, &world.devices[p.kiosk].id, p.order)
}

/// Central's status of a placed order (`None`: central has not seen it).
pub fn central_status(world: &World, p: &Placed) -> Option<&'static str> {
    let order = central_order(world, p);
    order.exists().then(|| order.status().as_str())
}

/// What must hold after every step.
pub fn always(world: &World) -> Option<String> {
    let e = &world.effects;
    if let Some(v) = e.violations.first() {
        return Some(v.clone());
    }
    for (what, counts) in [
        ("authorized", &e.authorized),
        ("captured", &e.captured),
        ("voided", &e.voided),
    ] {
        if let Some((payment, n)) = counts.iter().find(|(_, n)| **n > 1) {
            return Some(format!(
                "effects at most once: payment {payment} {what} {n} times"
            ));
        }
    }
    if let Some(payment) = e.captured.keys().find(|p| e.voided.contains_key(*p)) {
        return Some(format!("payment {payment} both captured and voided"));
    }
    if let Some((text, n)) = e.sms.iter().find(|(_, n)| **n > 1) {
        return Some(format!("effects at most once: text {text} sent {n} times"));
    }
    let root = world.bus.root();
    for p in &world.placed {
        let subject = orders::central_subject(root, &world.devices[p.kiosk].id, p.order);
        let types: Vec<String> = world
            .bus
            .history(&subject)
            .iter()
            .filter_map(|m| {
                m.headers
                    .get("Mallbots-Event-Type")
                    .map(|v| v.as_str().to_owned())
            })
            .collect();
        let finals = types.iter().filter(|t| FINAL.contains(&t.as_str())).count();
        // After the final state only answers to late requests may follow (a refused
        // cancellation changes nothing).
        let after_final = types
            .iter()
            .position(|t| FINAL.contains(&t.as_str()))
            .is_some_and(|i| types[i + 1..].iter().any(|t| t != "OrderCancelRefused"));
        if finals > 1 || after_final {
            return Some(format!(
                "one final state: order {} on central went {}",
                p.order,
                types.join(" → ")
            ));
        }
    }
    None
}

/// Why the mall is not quiet yet (`None`: quiet).
pub fn busy(world: &World) -> Option<String> {
    for d in &world.devices {
        let pending = d.pending_outbox();
        if pending > 0 {
            return Some(format!(
                "{} has {pending} outbox rows waiting ({} set aside)",
                d.id,
                d.quarantined()
            ));
        }
    }
    for c in world.bus.consumer_names() {
        let backlog = world.bus.backlog(&c);
        if backlog > 0 {
            return Some(format!("consumer {c} has {backlog} messages waiting"));
        }
    }
    if world.bus.next_schedule_ms().is_some() {
        return Some("a timer is pending".into());
    }
    if let Some((bot, Some(list))) = world.bot_lists().into_iter().find(|(_, l)| l.is_some()) {
        return Some(format!("bot {bot} still holds list {list}"));
    }
    for p in &world.placed {
        match central_status(world, p) {
            Some("completed" | "canceled" | "rejected") => {}
            status => {
                let saga = world
                    .bus
                    .kv_get(crate::central::SAGAS_BUCKET, &p.order.to_string())
                    .and_then(|e| e.value)
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_else(|| "no saga".into());
                return Some(format!(
                    "order {} is {status:?} on central; saga: {saga}",
                    p.order
                ));
            }
        }
    }
    None
}

/// Whether nothing is left to do.
pub fn quiet(world: &World) -> bool {
    busy(world).is_none()
}

/// What must hold once the mall is quiet.
pub fn at_quiescence(world: &World) -> Option<String> {
    for p in &world.placed {
        let central = central_status(world, p).unwrap_or("unknown");
        let kiosk = &world.devices[p.kiosk];
        let seen = kiosk
            .edge()
            .order(p.order)
            .map(|o| o.status)
            .unwrap_or_else(|e| e.code().to_owned());
        if seen != central {
            return Some(format!(
                "kiosk converges: order {} is {central} on central but {seen} on {}",
                p.order, kiosk.id
            ));
        }
        // Every desk (the managers of all stores, the depot) shows the order's latest line
        // with central's status.
        for desk in world.devices.iter().filter(|d| d.role != Role::Kiosk) {
            let line = desk
                .edge()
                .order_line_status(p.order)
                .unwrap_or_else(|e| Some(e.code().to_owned()));
            if line.as_deref() != Some(central) {
                return Some(format!(
                    "desk converges: order {} is {central} on central but {line:?} on {}",
                    p.order, desk.id
                ));
            }
        }
        let payment = payment_id_for(SagaId::from(p.order)).to_string();
        let e = &world.effects;
        let (auth, captured, voided) = (
            e.authorized.get(&payment).copied().unwrap_or(0),
            e.captured.get(&payment).copied().unwrap_or(0),
            e.voided.get(&payment).copied().unwrap_or(0),
        );
        let ok = match central {
            "completed" => auth == 1 && captured == 1 && voided == 0,
            _ => captured == 0 && voided == auth,
        };
        if !ok {
            return Some(format!(
                "payments: order {} {central} with {auth} authorization(s), {captured} capture(s), {voided} void(s)",
                p.order
            ));
        }
    }
    for d in &world.devices {
        for id in d.outbox_event_ids() {
            let copies = world
                .bus
                .events_matching(&format!("{}.ev.>", world.bus.root()))
                .iter()
                .filter(|m| m.msg_id.as_deref() == Some(id.as_str()))
                .count();
            if copies != 1 {
                return Some(format!(
                    "nothing in an outbox is lost: event {id} of {} is on the server {copies} times",
                    d.id
                ));
            }
        }
    }
    for dead in &world.bus.dead_letters {
        // A refused desk request is dead-lettered by design (production's desk role), once its
        // refusal is answered on the desk's answer subject.
        if dead.consumer == "desk" && dead.reason.starts_with("refused pickup.") {
            let answers = dead.subject.replacen(".ev.desk.", ".ev.deskans.", 1);
            let answers = answers.replacen(".pickupreq.", ".", 1);
            if world.bus.history(&answers).is_empty() {
                return Some(format!(
                    "a refused pickup is answered: nothing on {answers} ({})",
                    dead.reason
                ));
            }
            continue;
        }
        return Some(format!(
            "no dead letters: {} dead-lettered {} ({})",
            dead.consumer, dead.subject, dead.reason
        ));
    }
    for (product, store) in world.products() {
        let subject = format!("{}.ev.catalog.{store}.product.{product}", world.bus.root());
        let events: Vec<ProductEvent> = world.bus.decoded(&subject);
        let central = Product::from_events(&events).price().cents;
        for d in &world.devices {
            let seen = d.edge().product(*product).map(|p| p.price_cents);
            if seen.as_ref().ok() != Some(&central) {
                let log: Vec<String> = world
                    .bus
                    .history(&subject)
                    .iter()
                    .map(|m| format!("#{} {}", m.seq, String::from_utf8_lossy(&m.payload)))
                    .collect();
                return Some(format!(
                    "catalog converges: {} shows product {product} at {seen:?} (its writer reads \
                     {:?}), the server at {central} (server: {}; {} inbox: {:?})",
                    d.id,
                    d.price_on_writer(&product.to_string()),
                    log.join("; "),
                    d.id,
                    (d.inbox_of(&subject), d.events_of(&product.to_string()))
                ));
            }
        }
    }
    None
}
