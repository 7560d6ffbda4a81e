//! `mallbots depot bots|lists` over a desk that received central's depot events.

use super::args::{Command, DepotCmd};
use super::run::run;
use crate::domain::bots::BotEvent;
use crate::domain::depot::{ListEvent, ListItem, Stop};
use crate::domain::{BotId, OrderId, ProductId, ShoppingListId, Timestamp};
use crate::{central_message, Edge, EdgeConfig, Received, Role};
use uuid::Uuid;

#[test]
fn depot_commands_print_bots_and_lists_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = EdgeConfig {
        role: Role::Manager,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("desk.db"), config).unwrap();
    let store = edge
        .create_store("Corner Deli", "Level 1")
        .unwrap()
        .store_id;
    let empty = run(&edge, Command::Depot(DepotCmd::Bots)).unwrap();
    assert_eq!(
        (empty.json.clone(), empty.text.as_str()),
        (serde_json::json!([]), "no bots reported yet")
    );

    let bot = BotId::from_uuid(Uuid::now_v7());
    let (list, order) = (
        ShoppingListId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    let at = Timestamp::from_millis(1_700_000_000_000);
    let online = BotEvent::BotCameOnline {
        bot_id: bot,
        name: "Scout".into(),
        at,
    };
    let item = ListItem {
        store_id: store,
        product_id: ProductId::for_sku(store, "B-1"),
        product_name: "Bagel".into(),
        quantity: 2,
    };
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: order,
        stops: Stop::plan(&[item]),
        at,
    };
    let assigned = ListEvent::ShoppingListAssigned {
        list_id: list,
        order_id: order,
        bot_id: bot,
        at,
    };
    let (b, l) = (bot.to_string(), list.to_string());
    let messages = [
        central_message(
            &format!("mallbots.ev.depot.bot.{b}"),
            1,
            "bot",
            &b,
            at.0,
            &online,
        ),
        central_message(
            &format!("mallbots.ev.depot.list.{l}"),
            2,
            "list",
            &l,
            at.0,
            &created,
        ),
        central_message(
            &format!("mallbots.ev.depot.list.{l}"),
            3,
            "list",
            &l,
            at.0,
            &assigned,
        ),
    ];
    for msg in messages {
        assert_eq!(edge.deliver(msg.unwrap()).unwrap(), Received::Applied);
    }

    let bots = run(&edge, Command::Depot(DepotCmd::Bots)).unwrap();
    assert_eq!(bots.json[0]["name"], "Scout");
    assert_eq!(bots.json[0]["status"], "idle");
    assert_eq!(bots.text, format!("bot {b} \"Scout\" idle"));
    let lists = run(&edge, Command::Depot(DepotCmd::Lists { limit: 5 })).unwrap();
    assert_eq!(lists.json[0]["status"], "assigned");
    assert_eq!(lists.json[0]["bot_name"], "Scout");
    assert_eq!(lists.json[0]["stops"][0]["store_name"], "Corner Deli");
    assert_eq!(lists.json[0]["stops"][0]["items"][0]["quantity"], 2);
    assert_eq!(
        lists.text,
        format!("list {l} order {order} assigned bot \"Scout\"\n  stop {store} \"Corner Deli\": 2 items")
    );
    let none = run(&edge, Command::Depot(DepotCmd::Lists { limit: 0 })).unwrap();
    assert_eq!(none.text, "no shopping lists yet");
}

#[test]
fn depot_commands_parse() {
    use clap::Parser;
    let cli =
        super::args::Cli::try_parse_from(["mallbots", "depot", "lists", "--limit", "3", "--json"])
            .unwrap();
    assert!(cli.json);
    assert!(matches!(
        cli.command,
        Command::Depot(DepotCmd::Lists { limit: 3 })
    ));
    let cli = super::args::Cli::try_parse_from(["mallbots", "depot", "bots"]).unwrap();
    assert!(matches!(cli.command, Command::Depot(DepotCmd::Bots)));
    assert!(super::args::Cli::try_parse_from(["mallbots", "depot", "robots"]).is_err());
}
