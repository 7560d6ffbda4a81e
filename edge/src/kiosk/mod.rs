//! Kiosk use cases: register a customer, start a cart, add / remove items, cancel a cart.
//! Checkout, order cancellation requests and idle-cart abandonment are in [`checkout`].
//!
//! Every method is load → decide → append on the writer thread; the result is built from the
//! new aggregate state (no extra read).

pub mod abandonment;
pub mod checkout;

use crate::engine::execute::run_for_view;
use crate::error::EdgeError;
use crate::queries::catalog::product_facts;
use crate::views::{CartView, CustomerView};
use crate::Edge;
use mallbots_domain::baskets::{Basket, BasketCommand, BasketStatus};
use mallbots_domain::customers::{Customer, CustomerCommand};
use mallbots_domain::{BasketId, CustomerId, ProductId, Timestamp};
use mallbots_sync::store::Durability;

/// `not_found` for a cart that was never started here.
pub(crate) fn require_cart(basket: &Basket, id: BasketId) -> Result<(), EdgeError> {
    if basket.status() == BasketStatus::NotStarted {
        return Err(EdgeError::not_found("cart", id));
    }
    Ok(())
}

impl Edge {
    /// Registers a customer (name, SMS number) at this kiosk.
    pub fn register_customer(&self, name: &str, phone: &str) -> Result<CustomerView, EdgeError> {
        let customer_id = CustomerId(self.new_id());
        let target = self.target(customer_id, self.subjects().customer(customer_id));
        let (name, phone, at) = (
            name.to_owned(),
            phone.to_owned(),
            Timestamp(target.occurred_at),
        );
        self.execute::<Customer, _>(
            target,
            Durability::Normal,
            move |_| {
                Ok(CustomerCommand::RegisterCustomer {
                    customer_id,
                    name: name.clone(),
                    sms_number: phone.clone(),
                    at,
                })
            },
            |s: &_| CustomerView::from(s),
        )
    }

    /// Starts a cart, optionally for a known customer.
    pub fn start_cart(&self, customer: Option<CustomerId>) -> Result<CartView, EdgeError> {
        let basket_id = BasketId(self.new_id());
        let target = self.target(basket_id, self.subjects().basket(basket_id));
        let at = Timestamp(target.occurred_at);
        let device_id = Some(self.config().device_id.clone());
        self.execute::<Basket, _>(
            target,
            Durability::Normal,
            move |_| {
                Ok(BasketCommand::StartBasket {
                    basket_id,
                    customer_id: customer,
                    device_id: device_id.clone(),
                    at,
                })
            },
            |s: &_| CartView::from(s),
        )
    }

    /// Adds `quantity` of a product, with the facts (price, participation) the catalog read
    /// model holds right now. Unknown product: `not_found`; a non-participating store:
    /// `basket.store_not_participating`.
    pub fn add_item(
        &self,
        cart: BasketId,
        product: ProductId,
        quantity: i64,
    ) -> Result<CartView, EdgeError> {
        let target = self.target(cart, self.subjects().basket(cart));
        let at = Timestamp(target.occurred_at);
        self.with_writer(move |store, cache| {
            let facts = product_facts(store.connection(), product)?
                .ok_or_else(|| EdgeError::not_found("product", product))?;
            let build = |b: &Basket| {
                require_cart(b, cart)?;
                Ok(BasketCommand::AddItem {
                    product: facts.clone(),
                    quantity,
                    at,
                })
            };
            run_for_view::<_, CartView>(store, cache, &target, &build)
        })
    }

    /// Removes `quantity` of a product from a cart.
    pub fn remove_item(
        &self,
        cart: BasketId,
        product: ProductId,
        quantity: i64,
    ) -> Result<CartView, EdgeError> {
        self.basket_command(cart, move |at| BasketCommand::RemoveItem {
            product_id: product,
            quantity,
            at,
        })
    }

    /// The customer cancels the cart.
    pub fn cancel_cart(&self, cart: BasketId) -> Result<CartView, EdgeError> {
        self.basket_command(cart, |at| BasketCommand::CancelBasket { at })
    }

    fn basket_command(
        &self,
        cart: BasketId,
        command: impl Fn(Timestamp) -> BasketCommand + Send + 'static,
    ) -> Result<CartView, EdgeError> {
        let target = self.target(cart, self.subjects().basket(cart));
        let at = Timestamp(target.occurred_at);
        self.execute::<Basket, _>(
            target,
            Durability::Normal,
            move |basket| {
                require_cart(basket, cart)?;
                Ok(command(at))
            },
            |s: &_| CartView::from(s),
        )
    }
}
