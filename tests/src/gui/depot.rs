//! Central's depot as a manager desk receives it, for GUI tests: bot and shopping-list events in
//! central's envelope on `mallbots.ev.depot.{bot,list}.<id>`, over the stores of the
//! demonstration mall ([`depot_scene`]), published to a real JetStream `EVENTS` stream for the
//! app's sync to fetch ([`publish_depot`]). The test publishes what central would (on an open
//! nats-server, so it may): a depot in every state at once cannot be brought about by the bot
//! simulator on cue. `tests/tests/gui_mall_journey.rs` shows central's own depot events.

use anyhow::{anyhow, Context, Result};
use mallbots_domain::bots::BotEvent;
use mallbots_domain::depot::{ListEvent, ListItem, Stop};
use mallbots_domain::{BotId, DomainEvent, OrderId, ShoppingListId, StoreId, Timestamp};
use mallbots_edge::{central_message, Edge, EdgeConfig, RawMessage, Role};
use serde::Serialize;
use std::path::Path;
use uuid::Uuid;

/// A depot as central reports it: the messages, the robots' names and how many lists.
#[derive(Debug, Clone)]
pub struct DepotScene {
    /// Central's events in order, as messages of the events stream.
    pub messages: Vec<RawMessage>,
    /// Every robot's name.
    pub bots: Vec<String>,
    /// Shopping lists.
    pub lists: usize,
}

/// Central's depot events, collected in order.
struct Feed {
    messages: Vec<RawMessage>,
    now: i64,
}

impl Feed {
    fn send<E: DomainEvent + Serialize>(
        &mut self,
        kind: &str,
        id: String,
        event: &E,
    ) -> Result<()> {
        let seq = self.messages.len() as u64 + 1;
        let subject = format!("mallbots.ev.depot.{kind}.{id}");
        let msg = central_message(&subject, seq, kind, &id, self.now, event)?;
        self.messages.push(msg);
        Ok(())
    }

    fn bot(&mut self, event: BotEvent) -> Result<()> {
        self.send("bot", event.bot_id().to_string(), &event)
    }

    fn list(&mut self, list: ShoppingListId, event: ListEvent) -> Result<()> {
        self.send("list", list.to_string(), &event)
    }

    /// A robot that came online.
    fn online(&mut self, name: &str) -> Result<BotId> {
        let bot_id = BotId::from_uuid(Uuid::now_v7());
        let at = Timestamp::from_millis(self.now);
        let name = name.to_owned();
        self.bot(BotEvent::BotCameOnline { bot_id, name, at })?;
        Ok(bot_id)
    }

    /// A list over `stores` made available to dispatch; returns (list, order).
    fn available(&mut self, stores: &[(StoreId, u32)]) -> Result<(ShoppingListId, OrderId)> {
        let (list_id, order_id) = (
            ShoppingListId::from_uuid(Uuid::now_v7()),
            OrderId::from_uuid(Uuid::now_v7()),
        );
        let items: Vec<ListItem> = stores
            .iter()
            .map(|&(store_id, quantity)| ListItem {
                store_id,
                product_id: mallbots_domain::ProductId::for_sku(store_id, "ANY"),
                product_name: "Item".into(),
                quantity,
            })
            .collect();
        let at = Timestamp::from_millis(self.now);
        let stops = Stop::plan(&items);
        self.list(
            list_id,
            ListEvent::ShoppingListCreated {
                list_id,
                order_id,
                stops,
                at,
            },
        )?;
        self.list(
            list_id,
            ListEvent::ShoppingListAvailable {
                list_id,
                order_id,
                at,
            },
        )?;
        Ok((list_id, order_id))
    }

    /// `bot` takes `list` (both sides of the dispatch).
    fn assign(
        &mut self,
        bot_id: BotId,
        (list_id, order_id): (ShoppingListId, OrderId),
    ) -> Result<()> {
        let at = Timestamp::from_millis(self.now);
        self.list(
            list_id,
            ListEvent::ShoppingListAssigned {
                list_id,
                order_id,
                bot_id,
                at,
            },
        )?;
        self.bot(BotEvent::BotAssigned {
            bot_id,
            list_id,
            at,
        })
    }

    /// `bot` reaches `store_id` and, if `pick`, collects its items there.
    fn visit(
        &mut self,
        bot_id: BotId,
        list_id: ShoppingListId,
        store_id: StoreId,
        pick: bool,
    ) -> Result<()> {
        let at = Timestamp::from_millis(self.now);
        self.list(
            list_id,
            ListEvent::BotArrivedAtStop {
                list_id,
                bot_id,
                store_id,
                at,
            },
        )?;
        self.bot(BotEvent::BotArrivedAtStore {
            bot_id,
            list_id,
            store_id,
            at,
        })?;
        if pick {
            self.list(
                list_id,
                ListEvent::StopItemsPickedUp {
                    list_id,
                    bot_id,
                    store_id,
                    at,
                },
            )?;
            self.bot(BotEvent::ItemsPickedUp {
                bot_id,
                list_id,
                store_id,
                at,
            })?;
        }
        Ok(())
    }
}

/// The desk's database at `db`, read-only: the app holds its one writer.
fn open(db: &Path) -> Result<Edge> {
    let config = EdgeConfig {
        device_id: "depot-feed".into(),
        role: Role::Manager,
        ..EdgeConfig::default()
    };
    Edge::open_read_only(db, config).with_context(|| format!("opening {}", db.display()))
}

/// Publishes [`depot_scene`] (over the stores in the database at `db`) to the JetStream
/// `EVENTS` stream at `nats_url`, each message with its `Nats-Msg-Id` and central's headers,
/// as central appends them.
pub fn publish_depot(db: &Path, nats_url: &str) -> Result<DepotScene> {
    let scene = depot_scene(&open(db)?)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(nats_url).await?);
        for msg in &scene.messages {
            let headers = msg.headers.clone().unwrap_or_default();
            let payload = msg.payload.clone().into();
            js.publish_with_headers(msg.subject.clone(), headers, payload)
                .await?
                .await?;
        }
        anyhow::Ok(())
    })?;
    Ok(scene)
}

/// A busy depot over the demonstration mall's stores in `edge`: Scout shopping a two-store list
/// (first stop picked, now at the second), Dash heading out with a list, Pip back and ready
/// after a completed list, Rover offline, and one list waiting for a robot.
pub fn depot_scene(edge: &Edge) -> Result<DepotScene> {
    let store = |name: &str| -> Result<StoreId> {
        edge.stores()?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.store_id)
            .ok_or_else(|| anyhow!("the demo mall has no store {name}"))
    };
    let (grocer, books, volt) = (
        store("Green Grocer")?,
        store("Page Turner Books")?,
        store("Volt Electronics")?,
    );
    let now = edge.now().0;
    let mut feed = Feed {
        messages: Vec::new(),
        now: now - 600_000,
    };

    let names = ["Scout", "Dash", "Pip", "Rover"];
    let mut bots = Vec::new();
    for name in names {
        bots.push(feed.online(name)?);
    }
    let (scout, dash, pip, rover) = (bots[0], bots[1], bots[2], bots[3]);
    feed.now += 60_000;
    let done = feed.available(&[(books, 1)])?;
    feed.assign(pip, done)?;
    feed.visit(pip, done.0, books, true)?;
    feed.now += 120_000;
    let at = Timestamp::from_millis(feed.now);
    feed.list(
        done.0,
        ListEvent::ShoppingListCompleted {
            list_id: done.0,
            order_id: done.1,
            bot_id: pip,
            at,
        },
    )?;
    feed.bot(BotEvent::BotReturned {
        bot_id: pip,
        list_id: done.0,
        at,
    })?;
    feed.bot(BotEvent::BotIdled { bot_id: pip, at })?;

    feed.now += 120_000;
    let shopping = feed.available(&[(grocer, 3), (volt, 1)])?;
    feed.assign(scout, shopping)?;
    let first = if grocer < volt {
        (grocer, volt)
    } else {
        (volt, grocer)
    };
    feed.visit(scout, shopping.0, first.0, true)?;
    feed.now += 90_000;
    feed.visit(scout, shopping.0, first.1, false)?;
    let heading = feed.available(&[(books, 2), (grocer, 1)])?;
    feed.assign(dash, heading)?;
    feed.now += 120_000;
    feed.available(&[(volt, 2)])?;
    let at = Timestamp::from_millis(feed.now);
    feed.bot(BotEvent::BotWentOffline {
        bot_id: rover,
        list_id: None,
        at,
    })?;
    Ok(DepotScene {
        messages: feed.messages,
        bots: names.map(str::to_owned).to_vec(),
        lists: 4,
    })
}
