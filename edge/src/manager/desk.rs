//! Desk use cases (a manager or depot desk): ask central to hand a ready order over, and mark a
//! shopping-list stop prepared at the counter (automated shopping off). Both are requests
//! central decides (docs/architecture.md §3, §5): they are written on this desk's own subjects
//! (`R.ev.desk.<device>.pickupreq.<order-id>`, `R.ev.desk.<device>.stopreq.<request-id>`),
//! recorded in `rm_desk_requests` as `requested`, and central's refusal comes back on
//! `R.ev.deskans.<device>.<id>` into the same row (`refused`, with its code). An accepted pickup
//! shows on the order lines (status `completed`).
//!
//! The desk refuses locally what it already knows central would refuse: a kiosk is no desk
//! (`desk.kiosk_forbidden`; `pickup.not_your_store` / `stop.not_your_store` for a database
//! opened as a kiosk without a device); a desk without its signed-in user
//! (`manager.user_required`); an order whose latest order line here is
//! completed (`pickup.already_completed`) or not ready (`pickup.not_ready`); a list known here
//! without that store's stop (`stop.unknown_stop`). An order or list not known here yet goes to
//! central, which is the authority.

use crate::config::Role;
use crate::error::EdgeError;
use crate::projections::desk::stop_key;
use crate::views::DeskRequestView;
use crate::Edge;
use mallbots_domain::desk::{DeskCommand, PickupRefusal, PickupRequest, StopRefusal, StopRequest};
use mallbots_domain::{DomainError, OrderId, ShoppingListId, StoreId, Timestamp};
use mallbots_sync::store::Durability;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

fn refused(e: impl Into<DomainError>) -> EdgeError {
    EdgeError::Domain(e.into())
}

impl Edge {
    fn desk_user(&self) -> String {
        self.user().unwrap_or_default()
    }

    /// A kiosk makes no desk requests (`desk.kiosk_forbidden` for an initialized kiosk device,
    /// `refusal` for a database opened as a kiosk); a desk needs its signed-in user.
    fn desk_gate(&self, refusal: DomainError) -> Result<(), EdgeError> {
        self.authorize_desk_edit()?;
        if self.role() == Role::Kiosk {
            return Err(EdgeError::Domain(refusal));
        }
        Ok(())
    }

    /// The latest order-line status of `order` this desk received from central, if any.
    pub fn order_line_status(&self, order: OrderId) -> Result<Option<String>, EdgeError> {
        self.read(|r| {
            Ok(r.connection()
                .prepare_cached(
                    "SELECT json_extract(payload, '$.status') FROM events
                     WHERE stream_type = 'orderline' AND stream_id = ?1 AND superseded = 0
                     ORDER BY json_extract(payload, '$.order_seq') DESC, global_pos DESC
                     LIMIT 1",
                )?
                .query_row([order.to_string()], |row| row.get::<_, Option<String>>(0))
                .optional()?
                .flatten())
        })
    }

    /// Asks central to hand `order` over (capture the payment, pay the invoice, complete the
    /// order), with the pickup `code` the customer showed (central checks it:
    /// `pickup.wrong_code`; a code that is not digits is `desk.code_invalid` here). Refused locally with `pickup.not_your_store` on a kiosk, `pickup.already_completed`
    /// or `pickup.not_ready` when this desk's order lines already say so; otherwise the request
    /// is committed with its outbox row and central answers (see [`Edge::desk_request`]).
    pub fn request_pickup(&self, order: OrderId, code: &str) -> Result<DeskRequestView, EdgeError> {
        self.desk_gate(PickupRefusal::NotYourStore.into())?;
        match self.order_line_status(order)?.as_deref() {
            Some("completed") => return Err(refused(PickupRefusal::AlreadyCompleted)),
            Some("ready") | None => {}
            Some(_) => return Err(refused(PickupRefusal::NotReady)),
        }
        let target = self.target(order, self.subjects().pickup_request(order));
        let at = Timestamp(target.occurred_at);
        let user = self.desk_user();
        let code = code.to_owned();
        self.execute::<PickupRequest, _>(
            target,
            Durability::Normal,
            move |_| {
                Ok(DeskCommand::RequestPickup {
                    order_id: order,
                    user: user.clone(),
                    code: code.clone(),
                    at,
                })
            },
            |_| (),
        )?;
        self.desk_request(&order.to_string())?
            .ok_or_else(|| EdgeError::not_found("pickup request", order))
    }

    /// Marks `store`'s stop of `list` prepared at the counter (automated shopping off), for
    /// central to record on the list; the bot then collects it. Refused locally with
    /// `stop.not_your_store` on a kiosk and `stop.unknown_stop` when the list is known here
    /// without that stop.
    pub fn mark_stop_prepared(
        &self,
        list: ShoppingListId,
        store: StoreId,
    ) -> Result<(), EdgeError> {
        self.desk_gate(StopRefusal::NotYourStore.into())?;
        let stop_known: Option<bool> = self.read(|r| {
            let conn = r.connection();
            let list_known = conn
                .prepare_cached("SELECT 1 FROM rm_depot_lists WHERE list_id = ?1")?
                .query_row([list.to_string()], |_| Ok(()))
                .optional()?
                .is_some();
            if !list_known {
                return Ok(None);
            }
            Ok(Some(
                conn.prepare_cached(
                    "SELECT 1 FROM rm_depot_stops WHERE list_id = ?1 AND store_id = ?2",
                )?
                .query_row(params![list.to_string(), store.to_string()], |_| Ok(()))
                .optional()?
                .is_some(),
            ))
        })?;
        if stop_known == Some(false) {
            return Err(refused(StopRefusal::UnknownStop));
        }
        let request = self.new_id();
        let target = self.target(request, self.subjects().stop_request(request));
        let at = Timestamp(target.occurred_at);
        let user = self.desk_user();
        self.execute::<StopRequest, _>(
            target,
            Durability::Normal,
            move |_| {
                Ok(DeskCommand::MarkStopPrepared {
                    list_id: list,
                    store_id: store,
                    user: user.clone(),
                    at,
                })
            },
            |_| (),
        )
    }

    /// One request by key: the order id of a pickup, `<list>/<store>` of a stop.
    pub fn desk_request(&self, key: &str) -> Result<Option<DeskRequestView>, EdgeError> {
        let mut rows = self.desk_query(Some(key))?;
        Ok(rows.pop())
    }

    /// The pickup request of `order`, with central's refusal if any.
    pub fn pickup_request(&self, order: OrderId) -> Result<Option<DeskRequestView>, EdgeError> {
        self.desk_request(&order.to_string())
    }

    /// The stop-prepared request of `store`'s stop of `list`, with central's refusal if any.
    pub fn stop_request(
        &self,
        list: ShoppingListId,
        store: StoreId,
    ) -> Result<Option<DeskRequestView>, EdgeError> {
        self.desk_request(&stop_key(list, store))
    }

    /// Every request of this desk, newest first.
    pub fn desk_requests(&self) -> Result<Vec<DeskRequestView>, EdgeError> {
        self.desk_query(None)
    }

    fn desk_query(&self, key: Option<&str>) -> Result<Vec<DeskRequestView>, EdgeError> {
        let rows = self.read(|r| {
            let mut stmt = r.connection().prepare_cached(
                "SELECT kind, order_id, list_id, store_id, user_name, status, code, reason,
                        requested_at, answered_at
                 FROM rm_desk_requests WHERE ?1 IS NULL OR request_key = ?1
                 ORDER BY updated_at DESC, request_key",
            )?;
            let rows = stmt
                .query_map([key], |row| {
                    let parse = |i: usize| -> rusqlite::Result<Option<Uuid>> {
                        Ok(row
                            .get::<_, Option<String>>(i)?
                            .and_then(|s| Uuid::parse_str(&s).ok()))
                    };
                    Ok(DeskRequestView {
                        kind: row.get(0)?,
                        order_id: parse(1)?.map(OrderId),
                        list_id: parse(2)?.map(ShoppingListId),
                        store_id: parse(3)?.map(StoreId),
                        user: row.get(4)?,
                        status: row.get(5)?,
                        code: row.get(6)?,
                        reason: row.get(7)?,
                        requested_at: row.get(8)?,
                        answered_at: row.get(9)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|mut view| {
                if let (Some(order), "pickup") = (view.order_id, view.kind.as_str()) {
                    if self.order_line_status(order)?.as_deref() == Some("completed")
                        && view.status == "requested"
                    {
                        view.status = "completed".into();
                    }
                }
                Ok(view)
            })
            .collect()
    }
}
