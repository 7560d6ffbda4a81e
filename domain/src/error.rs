//! Machine-readable error codes shared by every context's error enum.

/// A rule violation with a stable, machine-readable code such as `"basket.empty"`.
///
/// Codes are `<context>.<rule>` in snake case; the UI and the CLI branch on them, so a shipped code
/// never changes meaning.
pub trait ErrorCode {
    /// The stable code of this error.
    fn code(&self) -> &'static str;
}

/// Any context's rule violation, for callers that handle every context in one place (the edge's
/// use-case API, central's handlers). Each variant keeps the specific error and its code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// A store rule.
    #[error(transparent)]
    Store(#[from] crate::stores::StoreError),
    /// A product rule.
    #[error(transparent)]
    Product(#[from] crate::products::ProductError),
    /// A customer rule.
    #[error(transparent)]
    Customer(#[from] crate::customers::CustomerError),
    /// A cart rule.
    #[error(transparent)]
    Basket(#[from] crate::baskets::BasketError),
    /// An order rule.
    #[error(transparent)]
    Order(#[from] crate::ordering::OrderError),
    /// A payment rule.
    #[error(transparent)]
    Payment(#[from] crate::payments::PaymentError),
    /// An invoice rule.
    #[error(transparent)]
    Invoice(#[from] crate::payments::InvoiceError),
    /// A shopping-list rule.
    #[error(transparent)]
    ShoppingList(#[from] crate::depot::ListError),
    /// A bot rule.
    #[error(transparent)]
    Bot(#[from] crate::bots::BotError),
    /// A saga input that cannot be handled.
    #[error(transparent)]
    Saga(#[from] crate::saga::SagaError),
    /// A desk request rule.
    #[error(transparent)]
    Desk(#[from] crate::desk::DeskError),
    /// A pickup refused (locally by a desk that already knows, or by central).
    #[error(transparent)]
    Pickup(#[from] crate::desk::PickupRefusal),
    /// A stop-prepared request refused.
    #[error(transparent)]
    Stop(#[from] crate::desk::StopRefusal),
}

impl ErrorCode for DomainError {
    fn code(&self) -> &'static str {
        match self {
            DomainError::Store(e) => e.code(),
            DomainError::Product(e) => e.code(),
            DomainError::Customer(e) => e.code(),
            DomainError::Basket(e) => e.code(),
            DomainError::Order(e) => e.code(),
            DomainError::Payment(e) => e.code(),
            DomainError::Invoice(e) => e.code(),
            DomainError::ShoppingList(e) => e.code(),
            DomainError::Bot(e) => e.code(),
            DomainError::Saga(e) => e.code(),
            DomainError::Desk(e) => e.code(),
            DomainError::Pickup(e) => e.code(),
            DomainError::Stop(e) => e.code(),
        }
    }
}

/// Decides a command on any aggregate and widens its specific error into a [`DomainError`].
pub fn decide<A>(state: &A, command: &A::Command) -> Result<Vec<A::Event>, DomainError>
where
    A: crate::Aggregate,
    DomainError: From<A::Error>,
{
    state.decide(command).map_err(DomainError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baskets::{Basket, BasketCommand, BasketError};
    use crate::Timestamp;

    #[test]
    fn domain_error_keeps_the_specific_code() {
        let err = decide(
            &Basket::default(),
            &BasketCommand::CancelBasket { at: Timestamp(1) },
        )
        .unwrap_err();
        assert_eq!(err, DomainError::Basket(BasketError::NotStarted));
        assert_eq!(err.code(), BasketError::NotStarted.code());
    }
}
