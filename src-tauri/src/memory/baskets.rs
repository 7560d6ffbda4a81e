//! Baskets and orders of the in-memory edge: cart edits with live totals, checkout,
//! cancellation requests.

use super::{new_id, not_blank, Tables};
use crate::api::{BasketLine, BasketStatus, BasketView, CheckoutInput, MoneyView, OrderView};
use crate::error::{codes, ApiError};

/// Drops empty lines and recomputes line totals and the basket total.
fn retotal(basket: &mut BasketView) {
    basket.lines.retain(|l| l.quantity > 0);
    for line in &mut basket.lines {
        line.line_total = MoneyView::usd(line.unit_price.cents * i64::from(line.quantity));
    }
    basket.total = MoneyView::usd(basket.lines.iter().map(|l| l.line_total.cents).sum());
}

impl Tables {
    fn open_basket(&mut self, basket: &str) -> Result<&mut BasketView, ApiError> {
        let view = self
            .baskets
            .get_mut(basket)
            .ok_or_else(|| ApiError::not_found("basket", basket))?;
        if view.status != BasketStatus::Open {
            return Err(ApiError::new(
                codes::BASKET_CLOSED,
                "this basket was already checked out or canceled",
            ));
        }
        Ok(view)
    }

    pub(super) fn start_basket(&mut self) -> BasketView {
        let basket = BasketView {
            id: new_id(),
            lines: Vec::new(),
            total: MoneyView::usd(0),
            status: BasketStatus::Open,
        };
        self.baskets.insert(basket.id.clone(), basket.clone());
        basket
    }

    pub(super) fn add_item(
        &mut self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError> {
        if quantity == 0 {
            return Err(ApiError::invalid("quantity must be at least 1"));
        }
        let item = self
            .products
            .get(product)
            .cloned()
            .ok_or_else(|| ApiError::not_found("product", product))?;
        let store = match self.stores.get(&item.store_id) {
            Some(store) if store.participating => store.name.clone(),
            _ => {
                return Err(ApiError::new(
                    codes::PRODUCT_UNAVAILABLE,
                    format!("{} cannot be ordered from this kiosk", item.name),
                ))
            }
        };
        let view = self.open_basket(basket)?;
        match view.lines.iter_mut().find(|l| l.product_id == item.id) {
            Some(line) => line.quantity = line.quantity.saturating_add(quantity),
            None => view.lines.push(BasketLine {
                product_id: item.id.clone(),
                name: item.name.clone(),
                store_name: store,
                unit_price: item.price.clone(),
                quantity,
                line_total: MoneyView::usd(0),
            }),
        }
        retotal(view);
        Ok(view.clone())
    }

    pub(super) fn remove_item(
        &mut self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError> {
        let view = self.open_basket(basket)?;
        let line = view
            .lines
            .iter_mut()
            .find(|l| l.product_id == product)
            .ok_or_else(|| ApiError::not_found("basket item", product))?;
        line.quantity = line.quantity.saturating_sub(quantity.max(1));
        retotal(view);
        Ok(view.clone())
    }

    pub(super) fn cancel_basket(&mut self, basket: &str) -> Result<BasketView, ApiError> {
        let view = self.open_basket(basket)?;
        view.status = BasketStatus::Canceled;
        Ok(view.clone())
    }

    pub(super) fn checkout(&mut self, input: &CheckoutInput) -> Result<OrderView, ApiError> {
        let digits = input.sms_number.trim();
        if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid(
                "the phone number must have 7 to 15 digits",
            ));
        }
        not_blank(&input.card_token, "the card token")?;
        let view = self.open_basket(&input.basket_id)?;
        if view.lines.is_empty() {
            return Err(ApiError::new(
                codes::BASKET_EMPTY,
                "add an item before paying",
            ));
        }
        view.status = BasketStatus::CheckedOut;
        let order = OrderView {
            id: view.id.clone(),
            status: "pending".to_owned(),
            total: view.total.clone(),
            sms_number: digits.to_owned(),
            lines: view.lines.clone(),
            cancel_requested: false,
        };
        self.orders.insert(order.id.clone(), order.clone());
        Ok(order)
    }

    /// Records the customer's cancellation request; central answers it (canceled or refused).
    pub(super) fn request_cancel(&mut self, order: &str) -> Result<OrderView, ApiError> {
        let view = self
            .orders
            .get_mut(order)
            .ok_or_else(|| ApiError::not_found("order", order))?;
        if matches!(view.status.as_str(), "completed" | "rejected" | "canceled") {
            return Err(ApiError::new(
                codes::ORDER_CLOSED,
                format!("this order is {} and cannot be canceled", view.status),
            ));
        }
        view.cancel_requested = true;
        Ok(view.clone())
    }
}
