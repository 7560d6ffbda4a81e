//! A model of the contexts the saga talks to, so saga tests can deliver its commands, replies
//! and timers in any order (handlers slower than timers, redeliveries, lost messages) and check
//! what the order, payment and list end up as. The handlers follow central's rules: ordering
//! approves only a pending order and answers success to an ApproveOrder whose approval it stored
//! (idempotent by command id); RejectOrder gets no reply; payments refuse to authorize a voided
//! payment; the depot cannot cancel a list it does not have yet.

use mallbots_domain::saga::{
    transition, ReplyOutcome, SagaCommand, SagaInput, SagaInputKind, SagaState, StepTimeouts,
};
use mallbots_domain::{CommandId, Timestamp};
use std::collections::HashSet;

/// The order as ordering holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSt {
    Pending,
    Approved,
    Rejected,
    Canceled,
}

/// The payment as payments holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaySt {
    None,
    Authorized,
    Voided,
}

/// The shopping list as the depot holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSt {
    None,
    Created,
    Available,
    Canceled,
}

/// A message on its way.
#[derive(Debug, Clone)]
pub enum Msg {
    /// To a handler.
    Command(SagaCommand),
    /// To the saga: a reply (input id `reply/<command id>`) or a timer.
    Input(String, SagaInputKind),
}

/// What happens to the message delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Handled and gone.
    Consume,
    /// Handled and delivered again later.
    Redeliver,
    /// Never handled (dead-lettered).
    Lose,
}

/// The saga, the contexts and the messages between them.
pub struct World {
    pub saga: Option<SagaState>,
    pub timeouts: StepTimeouts,
    pub inflight: Vec<Msg>,
    pub order: OrderSt,
    pub payment: PaySt,
    pub list: ListSt,
    pub approvals: HashSet<CommandId>,
    pub decline: bool,
    pub emitted: Vec<SagaCommand>,
    now: i64,
}

impl World {
    /// A world with the saga started for [`super::order_created`].
    pub fn started(decline: bool) -> Self {
        let mut w = World {
            saga: None,
            timeouts: StepTimeouts::uniform(10_000),
            inflight: Vec::new(),
            order: OrderSt::Pending,
            payment: PaySt::None,
            list: ListSt::None,
            approvals: HashSet::new(),
            decline,
            emitted: Vec::new(),
            now: 1_000,
        };
        w.feed_saga("order-created".into(), super::order_created(vec![]));
        w
    }

    /// Feeds one input to the saga, queueing its commands and timer as the runner would.
    pub fn feed_saga(&mut self, input_id: String, kind: SagaInputKind) {
        self.now += 1;
        if let (Some(s), SagaInputKind::TimerFired { .. }) = (&self.saga, &kind) {
            if s.is_finished() {
                return; // the runner ignores a timer of a finished saga
            }
        }
        let input = SagaInput {
            input_id,
            at: Timestamp::from_millis(self.now),
            kind,
        };
        let t = transition(self.saga.as_ref(), &input, &self.timeouts).expect("transition");
        self.saga = Some(t.state);
        if t.duplicate {
            return; // re-published under the same msg-ids: deduplicated by the stream
        }
        for c in t.commands {
            self.emitted.push(c.clone());
            self.inflight.push(Msg::Command(c));
        }
        if let Some(timer) = t.timer {
            self.inflight
                .push(Msg::Input(timer.input_id(), timer.fired()));
        }
    }

    /// Delivers the message at `index` with `fate`.
    pub fn deliver(&mut self, index: usize, fate: Fate) {
        let msg = if fate == Fate::Redeliver {
            self.inflight[index].clone()
        } else {
            self.inflight.remove(index)
        };
        if fate == Fate::Lose {
            return;
        }
        match msg {
            Msg::Input(id, kind) => self.feed_saga(id, kind),
            Msg::Command(c) => {
                if let Some(outcome) = self.handle(&c) {
                    let meta = c.meta();
                    self.inflight.push(Msg::Input(
                        format!("reply/{}", meta.command_id),
                        meta.reply(outcome),
                    ));
                }
            }
        }
    }

    /// The index of the `n`-th (modulo) message in flight; with `fast_handlers` only commands and
    /// replies count while there are any, so timers fire only once nothing else is left.
    pub fn pick(&self, n: usize, fast_handlers: bool) -> usize {
        let not_timers: Vec<usize> = (0..self.inflight.len())
            .filter(|&i| !self.is_timer(i))
            .collect();
        if fast_handlers && !not_timers.is_empty() {
            not_timers[n % not_timers.len()]
        } else {
            n % self.inflight.len()
        }
    }

    fn is_timer(&self, index: usize) -> bool {
        matches!(
            &self.inflight[index],
            Msg::Input(_, SagaInputKind::TimerFired { .. })
        )
    }

    /// Delivers everything still in flight, handlers answering before timers fire, until
    /// nothing is left.
    pub fn drain(&mut self) {
        let mut steps = 0;
        while !self.inflight.is_empty() {
            let next = self.pick(0, true);
            self.deliver(next, Fate::Consume);
            steps += 1;
            assert!(steps < 10_000, "the saga never settles");
        }
    }

    /// A customer cancels the order (ordering's cancel path: list canceled, payment voided).
    pub fn cancel_by_customer(&mut self) {
        if matches!(self.order, OrderSt::Pending | OrderSt::Approved) {
            self.order = OrderSt::Canceled;
            if self.list != ListSt::None {
                self.list = ListSt::Canceled;
            }
            self.payment = PaySt::Voided;
        }
    }

    fn handle(&mut self, c: &SagaCommand) -> Option<ReplyOutcome> {
        let ok = ReplyOutcome::success;
        let no = |r: &str| Some(ReplyOutcome::failure(r));
        match c {
            SagaCommand::AuthorizeCustomer { .. } => Some(ok()),
            SagaCommand::CreateShoppingList { list_id, .. } => match self.list {
                ListSt::Canceled => no("list.canceled"),
                ListSt::None => {
                    self.list = ListSt::Created;
                    Some(ReplyOutcome::Success {
                        list_id: Some(*list_id),
                        payment_id: None,
                    })
                }
                _ => Some(ok()),
            },
            SagaCommand::CancelShoppingList { .. } => match self.list {
                ListSt::None => no("list.not_found"),
                _ => {
                    self.list = ListSt::Canceled;
                    Some(ok())
                }
            },
            SagaCommand::InitiateShopping { .. } => match self.list {
                ListSt::Created | ListSt::Available => {
                    self.list = ListSt::Available;
                    Some(ok())
                }
                _ => no("list.not_created"),
            },
            SagaCommand::AuthorizePayment { payment_id, .. } => match self.payment {
                PaySt::Voided => no("payment.already_voided"),
                _ if self.decline => no("payment.declined"),
                _ => {
                    self.payment = PaySt::Authorized;
                    Some(ReplyOutcome::Success {
                        list_id: None,
                        payment_id: Some(*payment_id),
                    })
                }
            },
            SagaCommand::VoidPayment { .. } => {
                self.payment = PaySt::Voided;
                Some(ok())
            }
            SagaCommand::ApproveOrder { meta, .. } => {
                if self.approvals.contains(&meta.command_id) {
                    return Some(ok());
                }
                if self.order != OrderSt::Pending {
                    return no("order.approve_not_pending");
                }
                self.order = OrderSt::Approved;
                self.approvals.insert(meta.command_id);
                Some(ok())
            }
            SagaCommand::RejectOrder { .. } => {
                if self.order == OrderSt::Pending {
                    self.order = OrderSt::Rejected;
                }
                None
            }
        }
    }

    /// The invariants that hold whatever was delivered, lost or canceled: an approved order keeps
    /// its payment authorization, a rejected order keeps none, and the saga agrees with ordering.
    pub fn check_invariants(&self) -> Result<(), String> {
        use mallbots_domain::saga::SagaPhase;
        let saga = self.saga.as_ref().expect("started");
        if self.order == OrderSt::Approved && self.payment == PaySt::Voided {
            return Err("approved order with a voided payment".into());
        }
        if self.order == OrderSt::Approved && self.list == ListSt::Canceled {
            return Err("approved order with a canceled list".into());
        }
        if self.order == OrderSt::Rejected && self.payment == PaySt::Authorized {
            return Err("rejected order with an authorized payment".into());
        }
        if self.order == OrderSt::Rejected
            && matches!(self.list, ListSt::Created | ListSt::Available)
        {
            return Err(format!("rejected order with a live list ({:?})", self.list));
        }
        match (saga.phase, self.order) {
            (SagaPhase::Completed, OrderSt::Rejected) => {
                Err("saga completed, order rejected".into())
            }
            (SagaPhase::Rejected, OrderSt::Approved) => Err("saga rejected, order approved".into()),
            _ => Ok(()),
        }
    }
}
