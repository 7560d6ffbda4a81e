//! The desk context: what a manager or depot desk asks central for, and central's answers
//! (docs/architecture.md §3 "Pickup is a request too", "automated shopping"; §5 desk subjects).
//!
//! * A desk asks to hand a ready order over: [`DeskEvent::OrderPickupRequested`] on its own
//!   subject `R.ev.desk.<device>.pickupreq.<order-id>` (stream type [`PickupRequest::STREAM_TYPE`],
//!   stream id = the order id; a retry after a refusal is the next event on the same subject).
//!   The desk's device is NOT in the payload: central takes it from the subject.
//! * A manager marks a stop of a shopping list prepared at the counter (automated shopping off):
//!   [`DeskEvent::StopPrepared`] on `R.ev.desk.<device>.stopreq.<request-id>` (stream type
//!   [`StopRequest::STREAM_TYPE`], one request per stream).
//! * Central answers a refusal on `R.ev.deskans.<device>.<order-or-request-id>` (stream type
//!   [`ANSWER_STREAM_TYPE`]): [`DeskEvent::OrderPickupRefused`] / [`DeskEvent::StopPrepareRefused`]
//!   with one of the stable codes of [`PickupRefusal`] / [`StopRefusal`]. Success is seen on the
//!   order (OrderCompleted) and the list (StopPreparedAtCounter).
//!
//! Central's authorization is a pure decision here ([`decide_pickup`], [`decide_stop`]) over the
//! desk's registry entry ([`DeskAccess`]) and the loaded order or list.

use crate::aggregate::{Aggregate, DomainEvent};
use crate::depot::{ListStatus, ShoppingList};
use crate::error::ErrorCode;
use crate::ids::{OrderId, ShoppingListId, StoreId};
use crate::ordering::{normalized_code, Order, OrderStatus, PICKUP_CODE_DIGITS};
use crate::stores::text::{checked, Lines, TextFault};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The stream type of central's answers to a desk (`R.ev.deskans.<device>.<id>`).
pub const ANSWER_STREAM_TYPE: &str = "deskans";

/// Longest user name a desk request carries (characters).
pub const MAX_USER_CHARS: usize = 100;

/// Longest refusal reason central writes (characters; longer ones are cut).
pub const MAX_REASON_CHARS: usize = 500;

/// An event of the desk context (requests by a desk, answers by central).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type")]
pub enum DeskEvent {
    /// A desk asks to hand a ready order over (capture, pay the invoice, complete).
    OrderPickupRequested {
        /// The order.
        order_id: OrderId,
        /// The signed-in user at the desk (empty when none).
        #[serde(default)]
        user: String,
        /// The pickup code the customer showed, digits only (empty when none was typed).
        #[serde(default)]
        code: String,
        /// When.
        at: Timestamp,
    },
    /// Central refused a pickup request; nothing else changed.
    OrderPickupRefused {
        /// The order.
        order_id: OrderId,
        /// A [`PickupRefusal`] code, e.g. `pickup.not_ready`.
        code: String,
        /// Why, for people.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// A store's manager prepared a stop of a list at the counter (automated shopping off).
    StopPrepared {
        /// The shopping list.
        list_id: ShoppingListId,
        /// The stop's store.
        store_id: StoreId,
        /// The signed-in user at the desk (empty when none).
        #[serde(default)]
        user: String,
        /// When.
        at: Timestamp,
    },
    /// Central refused a stop-prepared request; nothing else changed.
    StopPrepareRefused {
        /// The shopping list.
        list_id: ShoppingListId,
        /// The stop's store.
        store_id: StoreId,
        /// A [`StopRefusal`] code, e.g. `stop.not_your_store`.
        code: String,
        /// Why, for people.
        reason: String,
        /// When.
        at: Timestamp,
    },
}

impl DomainEvent for DeskEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DeskEvent::OrderPickupRequested { .. } => "OrderPickupRequested",
            DeskEvent::OrderPickupRefused { .. } => "OrderPickupRefused",
            DeskEvent::StopPrepared { .. } => "StopPrepared",
            DeskEvent::StopPrepareRefused { .. } => "StopPrepareRefused",
        }
    }
}

impl DeskEvent {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            DeskEvent::OrderPickupRequested { at, .. }
            | DeskEvent::OrderPickupRefused { at, .. }
            | DeskEvent::StopPrepared { at, .. }
            | DeskEvent::StopPrepareRefused { at, .. } => *at,
        }
    }
}

/// Commands a desk decides locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DeskCommand {
    /// Ask central to hand `order_id` over.
    RequestPickup {
        /// The order (= the stream id).
        order_id: OrderId,
        /// The signed-in user.
        user: String,
        /// The pickup code the customer showed, as typed (spaces and dashes are dropped).
        code: String,
        /// When.
        at: Timestamp,
    },
    /// Tell central a stop was prepared at the counter.
    MarkStopPrepared {
        /// The list.
        list_id: ShoppingListId,
        /// The stop's store.
        store_id: StoreId,
        /// The signed-in user.
        user: String,
        /// When.
        at: Timestamp,
    },
}

/// Rules a desk command can break locally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The user name is longer than [`MAX_USER_CHARS`] or holds control characters.
    #[error("the user name is too long or holds control characters")]
    UserInvalid,
    /// A pickup request naming another order than its stream's.
    #[error("a pickup request must name its own order")]
    WrongOrder,
    /// A stop request stream already holds its request.
    #[error("this stop request was already made")]
    AlreadyRequested,
    /// The command does not belong to this kind of request.
    #[error("this request does not take that command")]
    WrongCommand,
    /// The typed pickup code is not digits, or longer than a code.
    #[error("a pickup code is six digits")]
    CodeInvalid,
}

impl ErrorCode for DeskError {
    fn code(&self) -> &'static str {
        match self {
            DeskError::UserInvalid => "desk.user_invalid",
            DeskError::WrongOrder => "desk.wrong_order",
            DeskError::AlreadyRequested => "desk.already_requested",
            DeskError::WrongCommand => "desk.wrong_command",
            DeskError::CodeInvalid => "desk.code_invalid",
        }
    }
}

fn user_checked(user: &str) -> Result<String, DeskError> {
    checked(user, MAX_USER_CHARS, false, Lines::Single).map_err(|f| match f {
        TextFault::Blank | TextFault::TooLong | TextFault::Control => DeskError::UserInvalid,
    })
}

/// The pickup requests of one order by one desk (stream id = order id). A retry after a
/// refusal is allowed: central answers each request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PickupRequest {
    /// The order (nil before the first request).
    pub order_id: Option<OrderId>,
    /// Requests made so far.
    pub requests: u32,
    /// The last request's time.
    pub requested_at: Option<Timestamp>,
}

impl Aggregate for PickupRequest {
    const STREAM_TYPE: &'static str = "pickupreq";
    type Command = DeskCommand;
    type Event = DeskEvent;
    type Error = DeskError;

    fn decide(&self, command: &DeskCommand) -> Result<Vec<DeskEvent>, DeskError> {
        let DeskCommand::RequestPickup {
            order_id,
            user,
            code,
            at,
        } = command
        else {
            return Err(DeskError::WrongCommand);
        };
        if self.order_id.is_some_and(|known| known != *order_id) {
            return Err(DeskError::WrongOrder);
        }
        let code = normalized_code(code);
        if code.len() > PICKUP_CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DeskError::CodeInvalid);
        }
        Ok(vec![DeskEvent::OrderPickupRequested {
            order_id: *order_id,
            user: user_checked(user)?,
            code,
            at: *at,
        }])
    }

    fn apply(&mut self, event: &DeskEvent) {
        if let DeskEvent::OrderPickupRequested { order_id, at, .. } = event {
            self.order_id = Some(*order_id);
            self.requests += 1;
            self.requested_at = Some(*at);
        }
    }
}

/// One stop-prepared request (stream id = a fresh request id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopRequest {
    /// The list and store, once requested.
    pub stop: Option<(ShoppingListId, StoreId)>,
}

impl Aggregate for StopRequest {
    const STREAM_TYPE: &'static str = "stopreq";
    type Command = DeskCommand;
    type Event = DeskEvent;
    type Error = DeskError;

    fn decide(&self, command: &DeskCommand) -> Result<Vec<DeskEvent>, DeskError> {
        let DeskCommand::MarkStopPrepared {
            list_id,
            store_id,
            user,
            at,
        } = command
        else {
            return Err(DeskError::WrongCommand);
        };
        if self.stop.is_some() {
            return Err(DeskError::AlreadyRequested);
        }
        Ok(vec![DeskEvent::StopPrepared {
            list_id: *list_id,
            store_id: *store_id,
            user: user_checked(user)?,
            at: *at,
        }])
    }

    fn apply(&mut self, event: &DeskEvent) {
        if let DeskEvent::StopPrepared {
            list_id, store_id, ..
        } = event
        {
            self.stop = Some((*list_id, *store_id));
        }
    }
}

/// What a desk is allowed, from central's devices registry (`<prefix>devices`, key = device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskAccess {
    /// `kiosk`, `manager` or `depot` (anything else is treated as no desk).
    pub role: String,
    /// The stores a manager was enrolled for.
    #[serde(default)]
    pub stores: Vec<String>,
}

/// The store list of a mall-wide manager (the mall office, `enroll --all-stores`): every store,
/// present and future. As a NATS subject token it is the wildcard for one token, so the
/// permissions and consumer filters built from it cover every store too.
pub const ALL_STORES: &str = "*";

/// Whether a manager enrolled for `stores` manages `store`.
pub fn manages_store(stores: &[String], store: StoreId) -> bool {
    stores
        .iter()
        .any(|s| s == ALL_STORES || *s == store.to_string())
}

impl DeskAccess {
    fn manages(&self, store: StoreId) -> bool {
        self.role == "manager" && manages_store(&self.stores, store)
    }
}

/// Why central refuses a pickup request: the stable codes the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PickupRefusal {
    /// The order is not (yet) ready: pending, approved, being shopped, rejected or canceled.
    #[error("the order is not ready for pickup")]
    NotReady,
    /// The order was already handed over.
    #[error("the order was already picked up")]
    AlreadyCompleted,
    /// The desk is not enrolled, not a desk, or manages none of the order's stores.
    #[error("this desk may not hand over this order")]
    NotYourStore,
    /// No such order.
    #[error("no such order")]
    UnknownOrder,
    /// The code typed at the desk is not the order's pickup code (or none was typed).
    #[error("the pickup code does not match this order")]
    WrongCode,
    /// This desk typed [`MAX_WRONG_CODES`] wrong codes for the order within
    /// [`WRONG_CODE_WINDOW_MS`]: no code is checked until the oldest of them is that old.
    #[error("too many wrong pickup codes for this order from this desk: try again in 15 minutes")]
    TooManyTries,
}

/// Wrong pickup codes one desk may type for one order within [`WRONG_CODE_WINDOW_MS`] (a code
/// is six digits: guessing would take a desk years at this pace).
pub const MAX_WRONG_CODES: usize = 5;

/// The window [`MAX_WRONG_CODES`] counts in, in milliseconds (15 minutes).
pub const WRONG_CODE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Of central's answers to one desk about one order, the wrong-code refusals within
/// [`WRONG_CODE_WINDOW_MS`] before `now`.
pub fn recent_wrong_codes<'a>(
    answers: impl IntoIterator<Item = &'a DeskEvent>,
    now: Timestamp,
) -> usize {
    answers
        .into_iter()
        .filter(|a| {
            matches!(a, DeskEvent::OrderPickupRefused { code, at, .. }
                if code == "pickup.wrong_code" && now.millis() - at.millis() < WRONG_CODE_WINDOW_MS)
        })
        .count()
}

impl ErrorCode for PickupRefusal {
    fn code(&self) -> &'static str {
        match self {
            PickupRefusal::NotReady => "pickup.not_ready",
            PickupRefusal::AlreadyCompleted => "pickup.already_completed",
            PickupRefusal::NotYourStore => "pickup.not_your_store",
            PickupRefusal::UnknownOrder => "pickup.unknown_order",
            PickupRefusal::WrongCode => "pickup.wrong_code",
            PickupRefusal::TooManyTries => "pickup.too_many_tries",
        }
    }
}

/// Central's decision on a pickup request by a desk with `access` (None = not in the registry)
/// for `order` (None or not created = unknown), the customer having shown `code`: Ok =
/// capture, pay, complete. `wrong_before`: this desk's wrong codes for the order within the
/// window ([`recent_wrong_codes`]).
///
/// Authorization comes first, so a desk learns nothing about other stores' orders: a manager may
/// hand over an order holding one of its stores' lines, a depot desk any order. The code is
/// checked last, on a ready order only: a wrong code says nothing about any other order. After
/// [`MAX_WRONG_CODES`] wrong ones no code is checked for a while. An order placed before pickup
/// codes existed asks for none.
pub fn decide_pickup(
    access: Option<&DeskAccess>,
    order: Option<&Order>,
    code: &str,
    wrong_before: usize,
) -> Result<(), PickupRefusal> {
    let access = access.ok_or(PickupRefusal::NotYourStore)?;
    if !matches!(access.role.as_str(), "manager" | "depot") {
        return Err(PickupRefusal::NotYourStore);
    }
    let order = match order {
        Some(o) if o.exists() => o,
        _ => return Err(PickupRefusal::UnknownOrder),
    };
    if access.role == "manager" && !order.store_ids().into_iter().any(|s| access.manages(s)) {
        return Err(PickupRefusal::NotYourStore);
    }
    match order.status() {
        OrderStatus::Ready => {}
        OrderStatus::Completed => return Err(PickupRefusal::AlreadyCompleted),
        _ => return Err(PickupRefusal::NotReady),
    }
    match order.pickup_code() {
        Some(_) if wrong_before >= MAX_WRONG_CODES => Err(PickupRefusal::TooManyTries),
        Some(expected) if expected != normalized_code(code) => Err(PickupRefusal::WrongCode),
        _ => Ok(()),
    }
}

/// Why central refuses a stop-prepared request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StopRefusal {
    /// The desk is not the manager of that store.
    #[error("this desk does not manage that store")]
    NotYourStore,
    /// No such shopping list.
    #[error("no such shopping list")]
    UnknownList,
    /// The store is not a stop of the list.
    #[error("the store is not a stop of this list")]
    UnknownStop,
    /// The list is completed or canceled, or the stop already picked.
    #[error("the stop can no longer be prepared")]
    Closed,
}

impl ErrorCode for StopRefusal {
    fn code(&self) -> &'static str {
        match self {
            StopRefusal::NotYourStore => "stop.not_your_store",
            StopRefusal::UnknownList => "stop.unknown_list",
            StopRefusal::UnknownStop => "stop.unknown_stop",
            StopRefusal::Closed => "stop.closed",
        }
    }
}

/// Central's decision on a stop-prepared request for `store` of `list` by a desk with `access`:
/// Ok(true) = record it on the list, Ok(false) = already prepared (nothing to do).
pub fn decide_stop(
    access: Option<&DeskAccess>,
    list: &ShoppingList,
    store: StoreId,
) -> Result<bool, StopRefusal> {
    if !access.is_some_and(|a| a.manages(store)) {
        return Err(StopRefusal::NotYourStore);
    }
    match list.status {
        None => return Err(StopRefusal::UnknownList),
        Some(ListStatus::Completed | ListStatus::Canceled) => return Err(StopRefusal::Closed),
        Some(_) => {}
    }
    let stop = list
        .stops
        .iter()
        .find(|s| s.store_id == store)
        .ok_or(StopRefusal::UnknownStop)?;
    if stop.picked {
        return Err(StopRefusal::Closed);
    }
    Ok(!stop.prepared)
}

/// Cuts `reason` to [`MAX_REASON_CHARS`] characters.
pub fn bounded_reason(reason: &str) -> String {
    reason.chars().take(MAX_REASON_CHARS).collect()
}
