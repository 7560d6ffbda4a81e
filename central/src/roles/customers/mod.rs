//! Central's customers view (KV `customers`, key `customer.<id>`), fed by consumer
//! `customers-view` on `<root>.ev.kiosk.<device>.customer.<id>`, and the saga's
//! AuthorizeCustomer handler (consumer `cmd-customers`): the customer folded from the view must be
//! registered and enabled (`domain::customers`), else the reply is a failure with the rule's code.
//!
//! A customer registered at the same kiosk moments before the order may not be in the view yet,
//! so an unknown customer is retried a few times (short nak delay) before the failure reply.

use std::time::Duration;

use mallbots_domain::customers::{Customer, CustomerCommand, CustomerEvent};
use mallbots_domain::error::ErrorCode;
use mallbots_domain::saga::{ReplyOutcome, SagaCommand};
use mallbots_domain::{Aggregate, CustomerId, Timestamp};

use crate::platform::handler::{Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::topology::Bucket;
use crate::platform::views::{self, LazyBucket, ViewError};
use crate::platform::HandlerRegistry;

/// Deliveries of an AuthorizeCustomer for an unknown customer before answering "not registered".
const UNKNOWN_CUSTOMER_TRIES: i64 = 4;

fn key(id: CustomerId) -> String {
    format!("customer.{id}")
}

/// Records customer events in the view.
pub struct CustomersViewHandler {
    bucket: LazyBucket,
}

impl Handler for CustomersViewHandler {
    type Message = CustomerEvent;

    async fn handle(&self, delivery: &Delivery, event: CustomerEvent) -> Outcome {
        let result = async {
            let store = self.bucket.get().await?;
            views::record(
                store,
                &key(event.customer_id()),
                delivery.stream_sequence(),
                event,
            )
            .await
        }
        .await;
        match result {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, "customers view write failed");
                Outcome::Nak { delay: None }
            }
        }
    }
}

/// The customer folded from the view.
pub async fn load_customer(bucket: &LazyBucket, id: CustomerId) -> Result<Customer, ViewError> {
    let events: Vec<CustomerEvent> = views::load(bucket.get().await?, &key(id)).await?;
    Ok(Customer::from_events(&events))
}

/// Answers the saga's AuthorizeCustomer.
pub struct AuthorizeCustomerHandler {
    bucket: LazyBucket,
    rt: Runtime,
}

impl Handler for AuthorizeCustomerHandler {
    type Message = SagaCommand;

    async fn handle(&self, delivery: &Delivery, command: SagaCommand) -> Outcome {
        let SagaCommand::AuthorizeCustomer { meta, customer_id } = &command else {
            return Outcome::Term {
                reason: format!("cmd-customers cannot handle {}", command.name()),
            };
        };
        let customer = match load_customer(&self.bucket, *customer_id).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "customers view read failed");
                return Outcome::Nak { delay: None };
            }
        };
        let at = Timestamp::from_millis(meta.issued_at.millis());
        match authorize(&customer, delivery.delivered(), at) {
            None => Outcome::Nak {
                delay: Some(Duration::from_millis(250)),
            },
            Some(outcome) => {
                crate::platform::saga_reply::reply_outcome(&self.rt, meta, outcome).await
            }
        }
    }
}

/// The answer to AuthorizeCustomer on its `delivered`-th delivery, for `customer` as the view
/// folds it: `None` to look again shortly (a customer not yet in the view may be registered
/// moments before the order), else the reply: success for a registered, enabled customer, the
/// rule's failure otherwise. (Production's decision, also run by the simulator.)
pub fn authorize(customer: &Customer, delivered: i64, at: Timestamp) -> Option<ReplyOutcome> {
    if !customer.is_registered() && delivered < UNKNOWN_CUSTOMER_TRIES {
        return None;
    }
    Some(
        match customer.decide(&CustomerCommand::AuthorizeCustomer { at }) {
            Ok(_) => ReplyOutcome::success(),
            Err(e) => ReplyOutcome::failure(e.code()),
        },
    )
}

/// Registers `customers-view` and `cmd-customers` (role saga).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    let bucket = LazyBucket::new(rt, Bucket::Customers);
    registry.register(
        "customers-view",
        CustomersViewHandler {
            bucket: bucket.clone(),
        },
    );
    registry.register(
        "cmd-customers",
        AuthorizeCustomerHandler {
            bucket,
            rt: rt.clone(),
        },
    );
}
