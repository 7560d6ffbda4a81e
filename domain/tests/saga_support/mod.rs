//! A small driver for saga tests: keeps the stored state and numbers inputs.
#![allow(dead_code)]

pub mod world;

use mallbots_domain::saga::{
    transition, ReplyOutcome, SagaInput, SagaInputKind, SagaItem, SagaState, SagaStep,
    SagaTransition, StepTimeouts,
};
use mallbots_domain::{CustomerId, Money, OrderId, ProductId, StoreId, Timestamp};
use uuid::Uuid;

pub fn order_id() -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(0x0DE5))
}

pub fn store() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5))
}

pub fn order_created(unavailable: Vec<ProductId>) -> SagaInputKind {
    SagaInputKind::OrderCreated {
        order_id: order_id(),
        customer_id: CustomerId::from_uuid(Uuid::from_u128(0xC0)),
        items: vec![SagaItem {
            store_id: store(),
            product_id: ProductId::for_sku(store(), "TEA-1"),
            product_name: "Green tea".into(),
            quantity: 2,
            price: Money::usd(450),
        }],
        total: Money::usd(900),
        payment_token: "tok_visa".into(),
        unavailable_products: unavailable,
    }
}

pub fn names(t: &SagaTransition) -> Vec<&'static str> {
    t.commands.iter().map(|c| c.name()).collect()
}

/// Feeds inputs one after another, storing each new state, 1 s apart.
pub struct Driver {
    pub state: Option<SagaState>,
    pub timeouts: StepTimeouts,
    pub now: i64,
    pub inputs: u32,
}

impl Driver {
    pub fn new() -> Self {
        Driver {
            state: None,
            timeouts: StepTimeouts::default(),
            now: 1_000,
            inputs: 0,
        }
    }

    /// Starts the saga with a valid order.
    pub fn started() -> (Self, SagaTransition) {
        let mut d = Driver::new();
        let t = d.feed(order_created(vec![]));
        (d, t)
    }

    pub fn input(&mut self, kind: SagaInputKind) -> SagaInput {
        self.inputs += 1;
        self.now += 1_000;
        SagaInput {
            input_id: format!("input-{}", self.inputs),
            at: Timestamp::from_millis(self.now),
            kind,
        }
    }

    pub fn feed(&mut self, kind: SagaInputKind) -> SagaTransition {
        let input = self.input(kind);
        self.feed_input(&input)
    }

    pub fn feed_input(&mut self, input: &SagaInput) -> SagaTransition {
        let t = transition(self.state.as_ref(), input, &self.timeouts).expect("transition");
        self.state = Some(t.state.clone());
        t
    }

    pub fn current(&self) -> (SagaStep, u32) {
        let s = self.state.as_ref().expect("started");
        (s.step, s.attempt)
    }

    pub fn succeed(&mut self) -> SagaTransition {
        let (step, attempt) = self.current();
        self.feed(SagaInputKind::Reply {
            step,
            attempt,
            outcome: ReplyOutcome::success(),
        })
    }

    pub fn fail(&mut self, reason: &str) -> SagaTransition {
        let (step, attempt) = self.current();
        self.feed(SagaInputKind::Reply {
            step,
            attempt,
            outcome: ReplyOutcome::failure(reason),
        })
    }

    pub fn time_out(&mut self) -> SagaTransition {
        let (step, attempt) = self.current();
        self.feed(SagaInputKind::TimerFired { step, attempt })
    }

    /// Succeeds forward steps until the current one is `step`.
    pub fn run_to(&mut self, step: SagaStep) {
        while self.current().0 != step {
            self.succeed();
        }
    }
}
