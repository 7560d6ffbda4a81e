//! Payments context: card authorizations and invoices.
//!
//! A [`Payment`] is authorized with the card token taken at checkout (saga step 3), captured when
//! the customer picks the order up, or voided when the order is canceled or the saga compensates.
//! An [`Invoice`] is created when the order is ready and paid at pickup.
//!
//! `VoidPayment` is accepted on a payment that was never authorized and leaves a *tombstone*: a
//! void that overtakes its own authorization (a saga that timed out) fences the late one off.

mod invoice;
mod payment;

pub use invoice::{Invoice, InvoiceCommand, InvoiceError, InvoiceEvent, InvoiceStatus};
pub use payment::{Payment, PaymentCommand, PaymentError, PaymentEvent, PaymentStatus};
