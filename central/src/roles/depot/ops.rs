//! [`Depot`]: the I/O around the list and bot decisions: saga commands with replies, the
//! ordering commands a list's progress sends, dispatch messages, and the steps a bot driver takes.
//! Used by the `cmd-depot` handler and by bot drivers (the simulator).

use async_nats::HeaderMap;
use bytes::Bytes;
use mallbots_domain::bots::{BotCommand, BotError};
use mallbots_domain::depot::ListCommand;
use mallbots_domain::ids::{BotId, OrderId, ShoppingListId};
use mallbots_domain::saga::{ReplyOutcome, SagaCommand};
use mallbots_domain::Timestamp;
use mallbots_wire::service_subjects::{CommandContext, ServiceSubject};
use serde::{Deserialize, Serialize};

use super::bots::decide_bot;
use super::error::DepotError;
use super::holding::{self, Claim, Step};
use super::journal::{derived_id, now_ms, Journal};
use super::lists;
use super::store::{BotStore, Fence, ListStore};
use crate::platform::commands::{ReadyOrder, StartShopping};
use crate::platform::forget::Forgetting;
use crate::platform::service::Runtime;
use crate::platform::topology::Bucket;

/// The payload of `<root>.dispatch.<list_id>` in the `DISPATCH` work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchEntry {
    /// The list.
    pub list_id: ShoppingListId,
    /// Its order.
    pub order_id: OrderId,
    /// When it became available (oldest first).
    pub available_since: Timestamp,
}

/// Lists, bots and the messages around them.
#[derive(Clone, Debug)]
pub struct Depot {
    /// Shopping lists.
    pub lists: ListStore,
    /// Bots.
    pub bots: BotStore,
    journal: Journal,
}

impl Depot {
    /// Opens the buckets and the event stream of `rt`.
    pub async fn open(rt: &Runtime) -> Result<Self, DepotError> {
        let journal = Journal::open(&rt.js, &rt.publisher).await?;
        let bucket = |b| async move {
            rt.bucket(b)
                .await
                .map_err(|e| DepotError::kv(&rt.topology.bucket_name(b), e))
        };
        let lists = ListStore::new(
            bucket(Bucket::Lists).await?,
            journal.clone(),
            rt.topology.clone(),
        )
        .forgetting_finished(Forgetting {
            grace: rt.settings.depot.finished_list_grace(),
            marker_ttl: rt.settings.topology.forgotten_marker_ttl(),
        });
        let bots = BotStore::new(
            bucket(Bucket::Bots).await?,
            journal.clone(),
            rt.topology.clone(),
        );
        Ok(Self {
            lists,
            bots,
            journal,
        })
    }

    async fn send<T: Serialize>(
        &self,
        subject: &str,
        msg_id: &str,
        body: &T,
    ) -> Result<(), DepotError> {
        let payload = serde_json::to_vec(body).map_err(|e| DepotError::decode(subject, e))?;
        self.journal
            .publisher()
            .publish(subject, msg_id, HeaderMap::new(), Bytes::from(payload))
            .await?;
        Ok(())
    }

    /// Handles a depot saga command, makes its effect durable, then replies to the saga.
    pub async fn saga_command(&self, cmd: &SagaCommand) -> Result<ReplyOutcome, DepotError> {
        let Some((list_id, list_cmd)) = lists::saga_list(cmd) else {
            return Ok(ReplyOutcome::failure("depot.unknown_command"));
        };
        let command_id = cmd.command_id().to_string();
        let order_id = match cmd {
            SagaCommand::CreateShoppingList { order_id, .. }
            | SagaCommand::CancelShoppingList { order_id, .. } => *order_id,
            _ => OrderId::from(cmd.meta().saga_id),
        };
        let (decision, _) = self
            .lists
            .execute(&list_id.to_string(), |loaded| {
                let (plan, d) = lists::decide_saga(loaded, &command_id, order_id, &list_cmd);
                (plan, d)
            })
            .await?;
        if let Some(since) = decision.dispatch {
            self.publish_dispatch(DispatchEntry {
                list_id,
                order_id,
                available_since: since,
            })
            .await?;
        }
        let meta = cmd.meta();
        let reply = crate::platform::saga_reply::reply_input(meta, decision.outcome.clone());
        let subject = self
            .lists
            .topology()
            .reply_subject(&meta.saga_id.to_string());
        self.send(&subject, &reply.input_id, &reply).await?;
        Ok(decision.outcome)
    }

    /// Puts the list into the dispatch work queue (msg-id `dispatch/<list>`).
    pub async fn publish_dispatch(&self, entry: DispatchEntry) -> Result<(), DepotError> {
        let subject = self
            .lists
            .topology()
            .service_subject(ServiceSubject::Dispatch {
                list: entry.list_id.to_string(),
            });
        self.send(&subject, &format!("dispatch/{}", entry.list_id), &entry)
            .await
    }

    /// Cancels a list for a canceled order (`cancel_list` from ordering); no reply.
    pub async fn cancel_list(
        &self,
        command_id: &str,
        list_id: ShoppingListId,
        order_id: OrderId,
        at: Timestamp,
    ) -> Result<ReplyOutcome, DepotError> {
        let cmd = ListCommand::CancelList {
            list_id,
            order_id,
            at,
        };
        let (decision, _) = self
            .lists
            .execute(&list_id.to_string(), |loaded| {
                lists::decide_saga(loaded, command_id, order_id, &cmd)
            })
            .await?;
        Ok(decision.outcome)
    }

    /// Applies a bot command caused by `cause` (its event id derives from it).
    pub async fn bot(
        &self,
        bot_id: BotId,
        cause: &str,
        cmd: BotCommand,
        correlation: &str,
    ) -> Result<Result<(), BotError>, DepotError> {
        let at = now_ms();
        let (result, _) = self
            .bots
            .execute(&bot_id.to_string(), |loaded| {
                decide_bot(loaded, cause, &cmd, at, correlation)
            })
            .await?;
        Ok(result)
    }

    /// Takes a bot offline and releases the list it held (the holding delivery then naks it).
    pub async fn bot_offline(&self, bot_id: BotId, cause: &str) -> Result<(), DepotError> {
        let at = Timestamp::from_millis(now_ms());
        let loaded = self.bots.load(&bot_id.to_string()).await?;
        let list = loaded.state.list_id;
        match self
            .bot(bot_id, cause, BotCommand::TakeOffline { at }, "")
            .await?
        {
            Ok(()) | Err(BotError::AlreadyOffline) => {}
            Err(e) => tracing::info!(%bot_id, error = %e, "bot_offline refused"),
        }
        if let Some(list_id) = list {
            self.lists
                .execute(&list_id.to_string(), |loaded| {
                    (holding::decide_release(loaded, bot_id, cause, at), ())
                })
                .await?;
        }
        Ok(())
    }

    /// Releases `list_id` if `bot_id` holds it (its driver gives it back).
    pub async fn release_list(
        &self,
        list_id: ShoppingListId,
        bot_id: BotId,
        cause: &str,
    ) -> Result<(), DepotError> {
        let at = Timestamp::from_millis(now_ms());
        self.lists
            .execute(&list_id.to_string(), |loaded| {
                (holding::decide_release(loaded, bot_id, cause, at), ())
            })
            .await?;
        Ok(())
    }

    /// The delivery `fence` of list `list_id`'s dispatch message tries to take it.
    pub async fn claim(&self, list_id: ShoppingListId, fence: Fence) -> Result<Claim, DepotError> {
        let at = Timestamp::from_millis(now_ms());
        let (claim, _) = self
            .lists
            .execute(&list_id.to_string(), |loaded| {
                holding::decide_claim(loaded, list_id, fence, at)
            })
            .await?;
        if let Claim::Assigned {
            taken_from: Some(old),
            ..
        } = &claim
        {
            if *old != fence.bot_id {
                let cause = format!("takeover/{list_id}/{}", fence.delivered);
                let offline = BotCommand::TakeOffline { at };
                let _ = self.bot(*old, &cause, offline, "").await?;
            }
        }
        Ok(claim)
    }

    /// One step of the holder `fence` on its list (`name` makes the step's event id).
    pub async fn step(
        &self,
        list_id: ShoppingListId,
        fence: Fence,
        name: &str,
        cmd: ListCommand,
    ) -> Result<Step, DepotError> {
        let at = Timestamp::from_millis(now_ms());
        let cmd = with_time(cmd, at);
        let (step, _) = self
            .lists
            .execute(&list_id.to_string(), |loaded| {
                holding::decide_step(loaded, list_id, fence, name, &cmd, at)
            })
            .await?;
        Ok(step)
    }

    /// Tells ordering that a bot started shopping the order's list.
    pub async fn send_start_shopping(
        &self,
        order_id: OrderId,
        list_id: ShoppingListId,
        fence: Fence,
    ) -> Result<(), DepotError> {
        let body = StartShopping {
            command_id: derived_id(&format!(
                "start_shopping/{list_id}/{}/{}",
                fence.stream_seq, fence.delivered
            )),
            order_id,
            list_id,
            bot_id: fence.bot_id,
            at: Timestamp::from_millis(now_ms()),
        };
        let subject = self
            .lists
            .topology()
            .command_subject(CommandContext::Ordering, "start_shopping");
        self.send(&subject, &body.command_id, &body).await
    }

    /// Tells ordering that the order's list is completed (the order is ready).
    pub async fn send_ready_order(
        &self,
        order_id: OrderId,
        list_id: ShoppingListId,
    ) -> Result<(), DepotError> {
        let body = ReadyOrder {
            command_id: derived_id(&format!("ready_order/{list_id}")),
            order_id,
            list_id,
            at: Timestamp::from_millis(now_ms()),
        };
        let subject = self
            .lists
            .topology()
            .command_subject(CommandContext::Ordering, "ready_order");
        self.send(&subject, &body.command_id, &body).await
    }
}

/// `cmd` with its time set to `at`.
fn with_time(cmd: ListCommand, at: Timestamp) -> ListCommand {
    match cmd {
        ListCommand::ArriveAtStop { store_id, .. } => ListCommand::ArriveAtStop { store_id, at },
        ListCommand::PickUpItems { store_id, .. } => ListCommand::PickUpItems { store_id, at },
        ListCommand::CompleteList { .. } => ListCommand::CompleteList { at },
        other => other,
    }
}

/// A fresh id for a bot session or an ad-hoc cause.
pub fn fresh_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
