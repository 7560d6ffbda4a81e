//! Checkout (BasketCheckedOut + OrderCreated in one power-safe transaction, with the walk-in
//! customer's registration in the same transaction at the kiosk), order cancellation requests,
//! and abandonment of idle carts.

use super::require_cart;
use crate::engine::execute::{commit, run_one, Part, Step, CONCURRENCY_RETRIES};
use crate::error::EdgeError;
use crate::views::{CartView, CustomerView, OrderView};
use crate::Edge;
use mallbots_domain::baskets::{Basket, BasketCommand, BasketError};
use mallbots_domain::customers::{Customer, CustomerCommand};
use mallbots_domain::ordering::{pickup_code_from, Order, OrderCommand};
use mallbots_domain::{BasketId, CustomerId, DomainError, OrderId, Timestamp};
use mallbots_sync::store::Durability;
use rusqlite::params;
use uuid::Uuid;

impl Edge {
    /// Checks a cart out with a card token: BasketCheckedOut and OrderCreated (order id = cart
    /// id, status `pending`, not yet synced) are committed together with `synchronous=FULL`.
    /// `customer` overrides the cart's customer; one of them is required.
    pub fn checkout(
        &self,
        cart: BasketId,
        card_token: &str,
        customer: Option<CustomerId>,
    ) -> Result<OrderView, EdgeError> {
        self.checkout_inner(cart, card_token, customer, None)
            .map(|(_, order)| order)
    }

    /// `basket.item_unavailable` when the open cart holds products this device's catalog no
    /// longer sells (a manager removed one while it sat in the cart): the customer takes them
    /// out, or central would reject the whole order.
    fn refuse_unavailable(&self, cart: BasketId) -> Result<(), EdgeError> {
        let Ok(view) = self.cart(cart) else {
            return Ok(()); // an unknown cart is the decision's to refuse
        };
        let names: Vec<&str> = view
            .lines
            .iter()
            .filter(|l| view.unavailable.contains(&l.product_id))
            .map(|l| l.product_name.as_str())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        Err(EdgeError::refused(
            "basket.item_unavailable",
            format!(
                "no longer sold here: {}. Remove {} to pay",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        ))
    }

    /// The kiosk's checkout for a walk-in customer: registers the customer (`name`, `phone`)
    /// and checks the cart out for them in ONE transaction (CustomerRegistered, BasketCheckedOut,
    /// OrderCreated, `synchronous=FULL`). Every rule is decided before anything is written, so
    /// a refused checkout (closed or empty cart, blank card token, invalid phone) leaves no
    /// customer registration behind.
    pub fn checkout_registering(
        &self,
        cart: BasketId,
        name: &str,
        phone: &str,
        card_token: &str,
    ) -> Result<(CustomerView, OrderView), EdgeError> {
        let register = Some((name.to_owned(), phone.to_owned()));
        let (customer, order) = self.checkout_inner(cart, card_token, None, register)?;
        // Always present when registering; `not_found` only guards the impossible case.
        let customer = customer.ok_or_else(|| EdgeError::not_found("customer", cart))?;
        Ok((customer, order))
    }

    fn checkout_inner(
        &self,
        cart: BasketId,
        card_token: &str,
        customer: Option<CustomerId>,
        register: Option<(String, String)>,
    ) -> Result<(Option<CustomerView>, OrderView), EdgeError> {
        self.refuse_unavailable(cart)?;
        let order_id = OrderId::from(cart);
        let mut basket_target = self.target(cart, self.subjects().basket(cart));
        // The order's flow is correlated by the order id, here and in central's saga: one
        // trace (traceparent's trace id) from this checkout through every saga step.
        basket_target.metadata.correlation_id = Some(order_id.0);
        let mut order_target = self.target(order_id, self.subjects().order(order_id));
        order_target.metadata.correlation_id = basket_target.metadata.correlation_id;
        order_target.metadata.causation_id = Some(basket_target.command_id);
        order_target.occurred_at = basket_target.occurred_at;
        let at = Timestamp(basket_target.occurred_at);
        // A walk-in customer gets a new stream, registered in the same transaction.
        let new_customer = register.map(|(name, phone)| {
            let id = CustomerId(self.new_id());
            let mut target = self.target(id, self.subjects().customer(id));
            target.metadata.correlation_id = basket_target.metadata.correlation_id;
            target.occurred_at = basket_target.occurred_at;
            let command = CustomerCommand::RegisterCustomer {
                customer_id: id,
                name,
                sms_number: phone,
                at,
            };
            (id, target, command)
        });
        let customer = new_customer.as_ref().map(|(id, ..)| *id).or(customer);
        let payment = card_token.to_owned();
        let device = Some(self.config().device_id.clone());
        // The code the customer shows at the depot: drawn here, the domain makes no randomness.
        let code = pickup_code_from(self.new_id().as_u128());
        self.with_writer(move |store, cache| {
            let mut attempt = 0;
            loop {
                let basket = Step::<Basket>::decide(store, cache, &basket_target, &|b| {
                    require_cart(b, cart)?;
                    Ok(BasketCommand::CheckOut {
                        customer_id: customer,
                        payment: payment.clone(),
                        at,
                    })
                })?;
                let registered = match &new_customer {
                    Some((_, target, command)) => {
                        match Step::<Customer>::decide(store, cache, target, &|_| {
                            Ok(command.clone())
                        }) {
                            Ok(step) => Some(step),
                            Err(err) => {
                                basket.restore(cache);
                                return Err(err);
                            }
                        }
                    }
                    None => None,
                };
                let undo = |cache: &mut _, basket: Step<Basket>, registered: Option<Step<_>>| {
                    basket.restore(cache);
                    if let Some(step) = registered {
                        Step::<Customer>::restore(step, cache);
                    }
                };
                let Some(create) = basket.events.iter().find_map(|e| {
                    OrderCommand::from_checkout(e, device.clone(), Some(code.clone()))
                }) else {
                    undo(cache, basket, registered);
                    return Err(DomainError::Basket(BasketError::NotOpen).into());
                };
                let order =
                    match Step::<Order>::decide(
                        store,
                        cache,
                        &order_target,
                        &|_| Ok(create.clone()),
                    ) {
                        Ok(order) => order,
                        Err(err) => {
                            undo(cache, basket, registered);
                            return Err(err);
                        }
                    };
                let mut parts: Vec<&dyn Part> = Vec::with_capacity(3);
                if let Some(step) = &registered {
                    parts.push(step);
                }
                parts.push(&basket);
                parts.push(&order);
                match commit(store, &parts, Durability::Full) {
                    Ok(mut stored) => {
                        let order_events = stored.pop().unwrap_or_default();
                        let basket_events = stored.pop().unwrap_or_default();
                        let customer_view = registered.map(|step| {
                            let stream_id = step.stream_id.clone();
                            let after = step.into_after(&stored.pop().unwrap_or_default());
                            let view = CustomerView::from(&after.state);
                            cache.put(&stream_id, after);
                            view
                        });
                        let basket_id = basket.stream_id.clone();
                        cache.put(&basket_id, basket.into_after(&basket_events));
                        let order_id = order.stream_id.clone();
                        let after = order.into_after(&order_events);
                        let view = OrderView::from(&after.state);
                        cache.put(&order_id, after);
                        return Ok((customer_view, view));
                    }
                    // The cache no longer holds the streams: the retry replays them from the store.
                    Err(err) if err.is_concurrency() && attempt < CONCURRENCY_RETRIES => {
                        attempt += 1;
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        })
    }

    /// Asks central to cancel an order (OrderCancellationRequested on the `orderreq` subject);
    /// works offline, the answer arrives later as OrderCanceled or OrderCancelRefused.
    pub fn request_order_cancellation(
        &self,
        order: OrderId,
        reason: &str,
    ) -> Result<OrderView, EdgeError> {
        let target = self.target(order, self.subjects().order_request(order));
        let at = Timestamp(target.occurred_at);
        let reason = reason.to_owned();
        let mut view = self.execute::<Order, _>(
            target,
            Durability::Normal,
            move |o| {
                if !o.exists() {
                    return Err(EdgeError::not_found("order", order));
                }
                Ok(OrderCommand::RequestCancellation {
                    reason: reason.clone(),
                    at,
                })
            },
            |s: &_| OrderView::from(s),
        )?;
        view.synced = self.order_synced(order)?;
        Ok(view)
    }

    /// Cancels (reason `abandoned`) every open cart of this device idle for at least
    /// [`crate::EdgeConfig::idle_cart_ms`] at `now`; returns them. The app and the CLI call it
    /// periodically with [`Edge::now`].
    pub fn abandon_idle(&self, now: Timestamp) -> Result<Vec<CartView>, EdgeError> {
        let idle = self.config().idle_cart_ms;
        let device = self.config().device_id.clone();
        let subjects = self.subjects().clone();
        let targets: Vec<_> = self
            .with_writer(move |store, _| {
                let mut stmt = store.connection().prepare_cached(
                    "SELECT basket_id FROM rm_carts WHERE status = 'open' AND device_id = ?1
                     AND last_activity <= ?2 ORDER BY last_activity",
                )?;
                let ids = stmt
                    .query_map(params![device, now.0 - idle], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ids)
            })?
            .into_iter()
            .filter_map(|id| id.parse::<Uuid>().ok().map(BasketId))
            .map(|id| (id, self.target(id, subjects.basket(id))))
            .collect();
        let mut abandoned = Vec::new();
        for (_, mut target) in targets {
            target.occurred_at = now.0;
            let result = self.with_writer(move |store, cache| {
                let build = |_: &Basket| {
                    Ok(BasketCommand::AbandonIfIdle {
                        idle_for_ms: idle,
                        now,
                    })
                };
                run_one(
                    store,
                    cache,
                    &target,
                    Durability::Normal,
                    &build,
                    |s: &_| CartView::from(s),
                )
            });
            match result {
                Ok((view, _)) => abandoned.push(view),
                Err(EdgeError::Domain(DomainError::Basket(
                    BasketError::NotIdle | BasketError::NotOpen,
                ))) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(abandoned)
    }
}
