//! The order-line read model fed as sync feeds it: central's `OrderLineUpdated`, serialized and
//! enveloped as central appends it, received through the inbox ([`Edge::deliver`]); then the
//! desk's queries over it.

use crate::queries::delivery::{central_message, Received};
use crate::{utc_day, Edge, EdgeConfig, OrderFilter, Role};
use mallbots_domain::ordering::OrderLineEvent;
use mallbots_domain::ordering::{OrderItem, OrderStatus};
use mallbots_domain::payments::{InvoiceStatus, PaymentStatus};
use mallbots_domain::{Money, OrderId, ProductId, StoreId, Timestamp};
use uuid::Uuid;

/// 2023-11-14 22:13:20 UTC.
const T0: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;

struct Desk {
    edge: Edge,
    seq: u64,
    _dir: tempfile::TempDir,
}

fn open(role: Role) -> Desk {
    let dir = tempfile::tempdir().expect("dir");
    let config = EdgeConfig {
        device_id: "desk-1".into(),
        role,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("desk.db"), config).expect("edge");
    Desk {
        edge,
        seq: 0,
        _dir: dir,
    }
}

/// One order line as central builds it.
#[derive(Clone)]
struct Line {
    order: OrderId,
    store: StoreId,
    device: &'static str,
    status: OrderStatus,
    items: Vec<OrderItem>,
    order_seq: u64,
    at: i64,
    placed_at: Option<i64>,
    phone: Option<&'static str>,
}

impl Line {
    fn event(&self) -> OrderLineEvent {
        let (payment, invoice) = match self.status {
            OrderStatus::Approved | OrderStatus::InProgress => {
                (Some(PaymentStatus::Authorized), None)
            }
            OrderStatus::Ready => (
                Some(PaymentStatus::Authorized),
                Some(InvoiceStatus::Pending),
            ),
            OrderStatus::Completed => (Some(PaymentStatus::Captured), Some(InvoiceStatus::Paid)),
            OrderStatus::Canceled => (Some(PaymentStatus::Voided), None),
            _ => (None, None),
        };
        OrderLineEvent::OrderLineUpdated {
            order_id: self.order,
            store_id: self.store,
            device: self.device.into(),
            status: self.status,
            items: self.items.clone(),
            order_seq: self.order_seq,
            at: Timestamp::from_millis(self.at),
            placed_at: self.placed_at.map(Timestamp::from_millis),
            payment,
            invoice,
            phone_last4: self.phone.map(str::to_owned),
        }
    }

    fn with(&self, status: OrderStatus, order_seq: u64, at: i64) -> Line {
        Line {
            status,
            order_seq,
            at,
            ..self.clone()
        }
    }
}

impl Desk {
    /// Delivers `line` as the next message of the desk's consumer; `stream_seq` distinguishes
    /// messages (the same one twice is a redelivery).
    fn deliver_at(&self, stream_seq: u64, line: &Line) -> Received {
        let subject = format!("mallbots.ev.store.{}.orderline.{}", line.store, line.order);
        let msg = central_message(
            &subject,
            stream_seq,
            "orderline",
            &line.order.to_string(),
            line.at,
            &line.event(),
        )
        .unwrap();
        self.edge.deliver(msg).expect("deliver")
    }

    fn deliver(&mut self, line: &Line) -> Received {
        self.seq += 1;
        self.deliver_at(self.seq, line)
    }
}

fn item(store: StoreId, name: &str, cents: i64, quantity: i64) -> OrderItem {
    OrderItem {
        product_id: ProductId::for_sku(store, name),
        store_id: store,
        store_name: format!("Store {}", &store.to_string()[..4]),
        product_name: name.into(),
        price: Money::usd(cents),
        quantity,
    }
}

fn new_order() -> OrderId {
    OrderId::from_uuid(Uuid::now_v7())
}

fn new_store() -> StoreId {
    StoreId::from_uuid(Uuid::now_v7())
}

/// An approved line of one order at one store, placed at `placed`.
fn approved(order: OrderId, store: StoreId, placed: i64, phone: &'static str) -> Line {
    Line {
        order,
        store,
        device: "k1",
        status: OrderStatus::Approved,
        items: vec![item(store, "Tea", 250, 2), item(store, "Cake", 400, 1)],
        order_seq: 10,
        at: placed + 1_000,
        placed_at: Some(placed),
        phone: Some(phone),
    }
}

#[test]
fn lines_out_of_order_keep_the_newest_state_and_every_status() {
    let mut desk = open(Role::Manager);
    let (order, store) = (new_order(), new_store());
    let a = approved(order, store, T0, "4477");
    let shopping = a.with(OrderStatus::InProgress, 12, T0 + 60_000);
    let ready = a.with(OrderStatus::Ready, 15, T0 + 120_000);
    // Ready arrives first, then the older lines.
    for line in [&ready, &a, &shopping] {
        assert_eq!(desk.deliver(line), Received::Applied);
    }
    let detail = desk.edge.manager_order(order).unwrap().expect("known");
    let o = &detail.order;
    assert_eq!(o.status, "ready");
    assert_eq!(
        (o.payment.as_deref(), o.invoice.as_deref()),
        (Some("authorized"), Some("pending"))
    );
    assert_eq!(
        (o.item_count, o.total_cents, o.currency.as_str()),
        (3, 900, "USD")
    );
    assert_eq!(
        (o.placed_at, o.first_seen_at, o.updated_at),
        (T0, T0 + 1_000, T0 + 120_000)
    );
    assert_eq!(
        (o.device_id.as_str(), o.phone_last4.as_deref()),
        ("k1", Some("4477"))
    );
    let steps: Vec<(&str, i64, u64)> = detail
        .history
        .iter()
        .map(|h| (h.status.as_str(), h.at, h.order_seq))
        .collect();
    assert_eq!(
        steps,
        [
            ("pending", T0, 0),
            ("approved", T0 + 1_000, 10),
            ("in_progress", T0 + 60_000, 12),
            ("ready", T0 + 120_000, 15)
        ]
    );
    assert_eq!(detail.lines.len(), 1);
    let line = &detail.lines[0];
    assert_eq!((line.status.as_str(), line.order_seq), ("ready", 15));
    assert_eq!(line.items.len(), 2);
    assert_eq!(line.items[0].line_total_cents, 500);

    // The same messages again (redeliveries) and the same line on a new message change nothing.
    let before = desk.edge.dump_read_models().unwrap();
    for stream_seq in 1..=3 {
        assert_eq!(desk.deliver_at(stream_seq, &ready), Received::Duplicate);
    }
    assert_eq!(desk.deliver(&shopping), Received::Applied);
    assert_eq!(desk.edge.dump_read_models().unwrap(), before);
}

#[test]
fn a_rebuild_gives_the_same_rows_and_any_arrival_order_the_same_orders() {
    let (order, store, other) = (new_order(), new_store(), new_store());
    let a = approved(order, store, T0, "4477");
    let b = Line {
        items: vec![item(other, "Book", 1_500, 1)],
        store: other,
        ..a.clone()
    };
    let lines = [
        a.clone(),
        b.clone(),
        a.with(OrderStatus::InProgress, 12, T0 + 5_000),
        b.with(OrderStatus::InProgress, 12, T0 + 5_000),
        a.with(OrderStatus::Ready, 15, T0 + 9_000),
        b.with(OrderStatus::Ready, 15, T0 + 9_000),
        // A refused cancellation: the same status again.
        a.with(OrderStatus::Ready, 16, T0 + 9_500),
        a.with(OrderStatus::Completed, 20, T0 + 20_000),
    ];
    let mut dumps = Vec::new();
    for order_of in [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [7, 5, 3, 1, 6, 4, 2, 0],
        [4, 0, 7, 2, 5, 1, 6, 3],
    ] {
        let mut desk = open(Role::Manager);
        for &i in &order_of {
            assert_eq!(desk.deliver(&lines[i]), Received::Applied);
        }
        let live = desk.edge.dump_read_models().unwrap();
        desk.edge.rebuild_read_models().unwrap();
        assert_eq!(desk.edge.dump_read_models().unwrap(), live, "{order_of:?}");
        let detail = desk.edge.manager_order(order).unwrap().unwrap();
        assert_eq!(detail.order.status, "completed");
        assert_eq!(detail.order.store_ids.len(), 2);
        assert_eq!(detail.order.total_cents, 900 + 1_500);
        let statuses: Vec<&str> = detail.history.iter().map(|h| h.status.as_str()).collect();
        assert_eq!(
            statuses,
            ["pending", "approved", "in_progress", "ready", "completed"]
        );
        dumps.push((
            desk.edge.manager_orders(&OrderFilter::default()).unwrap(),
            detail,
            desk.edge.sales_per_day(store).unwrap(),
        ));
    }
    assert!(dumps.windows(2).all(|w| w[0] == w[1]), "{dumps:#?}");
}

#[test]
fn filters_by_status_days_phone_and_store_newest_first() {
    let mut desk = open(Role::Manager);
    let (deli, books) = (new_store(), new_store());
    let day = 24 * HOUR;
    // o1: deli, day 0, ready. o2: deli + books, day 1, approved. o3: books, day 2, canceled.
    let (o1, o2, o3) = (new_order(), new_order(), new_order());
    let l1 = approved(o1, deli, T0 - 20 * HOUR, "4477");
    desk.deliver(&l1);
    desk.deliver(&l1.with(OrderStatus::Ready, 15, T0 - 19 * HOUR));
    let l2 = approved(o2, deli, T0 - 20 * HOUR + day, "1234");
    desk.deliver(&l2);
    desk.deliver(&Line {
        store: books,
        items: vec![item(books, "Atlas", 2_000, 1)],
        ..l2.clone()
    });
    let l3 = Line {
        store: books,
        items: vec![item(books, "Map", 300, 3)],
        phone: Some("9977"),
        ..approved(o3, books, T0 - 20 * HOUR + 2 * day, "9977")
    };
    desk.deliver(&l3.with(OrderStatus::Canceled, 14, l3.at + 10));

    let ids = |filter: OrderFilter| -> Vec<OrderId> {
        let views = desk.edge.manager_orders(&filter).unwrap();
        views.iter().map(|v| v.order_id).collect()
    };
    assert_eq!(
        ids(OrderFilter::default()),
        [o3, o2, o1],
        "newest placed first"
    );
    let status = |s| OrderFilter {
        status: Some(s),
        ..OrderFilter::default()
    };
    assert_eq!(ids(status(OrderStatus::Ready)), [o1]);
    assert_eq!(ids(status(OrderStatus::Canceled)), [o3]);
    assert_eq!(ids(status(OrderStatus::Completed)), []);
    let phone = |p: &str| OrderFilter {
        phone_suffix: Some(p.into()),
        ..OrderFilter::default()
    };
    assert_eq!(ids(phone("77")), [o3, o1]);
    assert_eq!(ids(phone("4477")), [o1]);
    assert_eq!(ids(phone("3")), []);
    assert_eq!(ids(phone("234")), [o2]);
    let days = |from: Option<i64>, to: Option<i64>| OrderFilter {
        from_day: from.map(utc_day),
        to_day: to.map(utc_day),
        ..OrderFilter::default()
    };
    let d0 = T0 - 20 * HOUR;
    assert_eq!(ids(days(Some(d0), Some(d0))), [o1]);
    assert_eq!(ids(days(Some(d0 + day), None)), [o3, o2]);
    assert_eq!(ids(days(None, Some(d0 + day))), [o2, o1]);
    assert_eq!(ids(days(Some(d0 + 3 * day), None)), []);
    let store = |s| OrderFilter {
        store: Some(s),
        ..OrderFilter::default()
    };
    assert_eq!(ids(store(books)), [o3, o2]);
    let o2_books = desk
        .edge
        .manager_orders(&OrderFilter {
            store: Some(books),
            phone_suffix: Some("1234".into()),
            ..OrderFilter::default()
        })
        .unwrap();
    assert_eq!(o2_books.len(), 1);
    assert_eq!(
        (o2_books[0].store_ids.clone(), o2_books[0].total_cents),
        (vec![books], 2_000)
    );
    let all = desk.edge.manager_orders(&OrderFilter::default()).unwrap();
    let o2_all = all.iter().find(|v| v.order_id == o2).unwrap();
    assert_eq!(
        (o2_all.store_ids.len(), o2_all.total_cents),
        (2, 900 + 2_000)
    );
    assert_eq!(o2_all.status, "approved");
    let o3_view = all.iter().find(|v| v.order_id == o3).unwrap();
    assert_eq!(
        (o3_view.payment.as_deref(), o3_view.invoice.as_deref()),
        (Some("voided"), None)
    );

    for (filter, field) in [
        (phone("12345"), "phone_suffix"),
        (phone("ab"), "phone_suffix"),
        (phone(""), "phone_suffix"),
        (
            OrderFilter {
                from_day: Some("2023-02-30".into()),
                ..OrderFilter::default()
            },
            "from_day",
        ),
        (
            OrderFilter {
                to_day: Some("yesterday".into()),
                ..OrderFilter::default()
            },
            "to_day",
        ),
    ] {
        let err = desk.edge.manager_orders(&filter).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{field}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(ids(phone("12-34")), [o2], "dashes are ignored");
    assert!(desk.edge.manager_order(new_order()).unwrap().is_none());
}

#[test]
fn desk_sales_are_ready_and_completed_lines_on_the_day_they_got_ready() {
    let mut desk = open(Role::Manager);
    let store = new_store();
    let day = 24 * HOUR;
    let d0 = T0 - 20 * HOUR;
    // Placed on day 0, ready on day 1, completed on day 2: a sale of day 1.
    let o1 = approved(new_order(), store, d0, "1111");
    desk.deliver(&o1);
    desk.deliver(&o1.with(OrderStatus::Completed, 20, d0 + 2 * day));
    desk.deliver(&o1.with(OrderStatus::Ready, 15, d0 + day));
    // Ready on day 1 too.
    let o2 = approved(new_order(), store, d0 + day, "2222");
    desk.deliver(&o2.with(OrderStatus::Ready, 15, d0 + day + HOUR));
    // Only approved, and canceled: no sales.
    desk.deliver(&approved(new_order(), store, d0, "3333"));
    let o4 = approved(new_order(), store, d0, "4444");
    desk.deliver(&o4.with(OrderStatus::Canceled, 13, d0 + HOUR));
    // Another store's ready order.
    let other = new_store();
    desk.deliver(&approved(new_order(), other, d0, "5555").with(OrderStatus::Ready, 15, d0));

    let sales = desk.edge.sales_per_day(store).unwrap();
    assert_eq!(sales.len(), 1, "{sales:?}");
    let s = &sales[0];
    assert_eq!(s.day, utc_day(d0 + day));
    assert_eq!((s.orders, s.items, s.total_cents), (2, 6, 1_800));
    assert_eq!(desk.edge.sales_per_day(other).unwrap()[0].day, utc_day(d0));

    // A kiosk keeps counting its own orders (here: none), whatever lines it holds.
    let mut kiosk = open(Role::Kiosk);
    kiosk.deliver(&o2.with(OrderStatus::Ready, 15, d0 + day + HOUR));
    assert!(kiosk.edge.sales_per_day(store).unwrap().is_empty());
    assert_eq!(kiosk.edge.desk_sales_per_day(store).unwrap().len(), 1);
}

#[test]
fn lines_without_the_later_fields_still_make_orders() {
    let mut desk = open(Role::Manager);
    let (order, store) = (new_order(), new_store());
    let old = Line {
        placed_at: None,
        phone: None,
        ..approved(order, store, T0, "0000")
    };
    // As an older central sent it: no placed_at, payment, invoice or phone.
    let subject = format!("mallbots.ev.store.{store}.orderline.{order}");
    let mut payload = serde_json::to_value(old.event()).unwrap();
    for field in ["placed_at", "payment", "invoice", "phone_last4"] {
        payload.as_object_mut().unwrap().remove(field);
    }
    let raw = serde_json::json!({
        "subject": subject, "stream_seq": 1,
        "headers": {"Nats-Msg-Id": Uuid::now_v7().to_string(),
            "Mallbots-Event-Type": "OrderLineUpdated", "Mallbots-Schema-Version": "1",
            "Mallbots-Stream-Type": "orderline", "Mallbots-Stream-Id": order.to_string(),
            "Mallbots-Occurred-At": old.at.to_string(), "Mallbots-Device": "central"},
        "payload": payload.to_string(),
    });
    let (subject, seq, headers, payload) =
        mallbots_sync::engine::envelope::parse_raw(&raw.to_string()).unwrap();
    let msg = crate::RawMessage {
        subject,
        seq,
        headers: Some(headers),
        payload,
    };
    assert_eq!(desk.edge.deliver(msg).unwrap(), Received::Applied);
    desk.seq = 1;
    let o = &desk.edge.manager_order(order).unwrap().unwrap().order;
    assert_eq!((o.placed_at, o.first_seen_at), (old.at, old.at));
    assert_eq!((o.payment.clone(), o.phone_last4.clone()), (None, None));
    assert_eq!(
        desk.edge
            .manager_order(order)
            .unwrap()
            .unwrap()
            .history
            .len(),
        1
    );
    // The next line brings the phone and the placing time.
    desk.deliver(&approved(order, store, T0, "4477").with(OrderStatus::InProgress, 12, T0 + 5_000));
    let o = desk.edge.manager_order(order).unwrap().unwrap().order;
    assert_eq!((o.placed_at, o.phone_last4.as_deref()), (T0, Some("4477")));
}
