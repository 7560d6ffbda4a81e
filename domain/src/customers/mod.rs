//! The customers context: a kiosk customer with a name and the SMS number order notifications go
//! to. Registered customers are enabled; a disabled customer is never authorized for an order.
//! Names are bounded ([`MAX_NAME_CHARS`]) and single-line; numbers are normalized and checked by
//! [`normalize_sms_number`].

mod commands;
mod errors;
mod events;

pub use commands::CustomerCommand;
pub use errors::CustomerError;
pub use events::CustomerEvent;

use crate::aggregate::Aggregate;
use crate::ids::CustomerId;
use crate::stores::{checked, Lines, TextFault};
use crate::time::Timestamp;

/// Normalizes an SMS number: surrounding whitespace and the separators space, `-`, `.`, `(` and
/// `)` are dropped; what is left must be an optional leading `+` and 7 to 15 ASCII digits.
///
/// ```
/// # use mallbots_domain::customers::normalize_sms_number;
/// assert_eq!(normalize_sms_number(" +1 (555) 010-4477 "), Some("+15550104477".to_owned()));
/// assert_eq!(normalize_sms_number("12345"), None);
/// ```
pub fn normalize_sms_number(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let valid = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(compact)
}

/// The longest customer name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 120;

/// A customer name: trimmed, not blank, at most [`MAX_NAME_CHARS`], no control characters.
fn customer_name(name: &str) -> Result<String, CustomerError> {
    checked(name, MAX_NAME_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => CustomerError::NameBlank,
        TextFault::TooLong => CustomerError::NameTooLong,
        TextFault::Control => CustomerError::NameInvalid,
    })
}

/// The customer aggregate, folded from [`CustomerEvent`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    id: CustomerId,
    registered: bool,
    name: String,
    sms_number: String,
    enabled: bool,
    last_authorized_at: Option<Timestamp>,
    updated_at: Timestamp,
}

impl Customer {
    /// The customer's id (nil before registration).
    pub fn id(&self) -> CustomerId {
        self.id
    }
    /// Whether `CustomerRegistered` has been applied.
    pub fn is_registered(&self) -> bool {
        self.registered
    }
    /// Name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Normalized SMS number.
    pub fn sms_number(&self) -> &str {
        &self.sms_number
    }
    /// Whether the customer may be authorized for orders.
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    /// When the customer was last authorized, if ever.
    pub fn last_authorized_at(&self) -> Option<Timestamp> {
        self.last_authorized_at
    }
    /// Time of the last applied event.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

impl Aggregate for Customer {
    const STREAM_TYPE: &'static str = "customer";
    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type Error = CustomerError;

    fn decide(&self, command: &CustomerCommand) -> Result<Vec<CustomerEvent>, CustomerError> {
        let customer_id = self.id;
        if !self.registered && !matches!(command, CustomerCommand::RegisterCustomer { .. }) {
            return Err(CustomerError::NotRegistered);
        }
        let event = match command {
            CustomerCommand::RegisterCustomer {
                customer_id,
                name,
                sms_number,
                at,
            } => {
                if self.registered {
                    return Err(CustomerError::AlreadyRegistered);
                }
                let name = customer_name(name)?;
                let sms_number =
                    normalize_sms_number(sms_number).ok_or(CustomerError::SmsNumberInvalid)?;
                CustomerEvent::CustomerRegistered {
                    customer_id: *customer_id,
                    name,
                    sms_number,
                    at: *at,
                }
            }
            CustomerCommand::ChangeSmsNumber { sms_number, at } => {
                let sms_number =
                    normalize_sms_number(sms_number).ok_or(CustomerError::SmsNumberInvalid)?;
                if sms_number == self.sms_number {
                    return Err(CustomerError::SmsNumberUnchanged);
                }
                CustomerEvent::CustomerSmsChanged {
                    customer_id,
                    sms_number,
                    at: *at,
                }
            }
            CustomerCommand::AuthorizeCustomer { at } => {
                if !self.enabled {
                    return Err(CustomerError::Disabled);
                }
                CustomerEvent::CustomerAuthorized {
                    customer_id,
                    at: *at,
                }
            }
            CustomerCommand::EnableCustomer { at } => {
                if self.enabled {
                    return Err(CustomerError::AlreadyEnabled);
                }
                CustomerEvent::CustomerEnabled {
                    customer_id,
                    at: *at,
                }
            }
            CustomerCommand::DisableCustomer { at } => {
                if !self.enabled {
                    return Err(CustomerError::AlreadyDisabled);
                }
                CustomerEvent::CustomerDisabled {
                    customer_id,
                    at: *at,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &CustomerEvent) {
        self.updated_at = event.at();
        match event {
            CustomerEvent::CustomerRegistered {
                customer_id,
                name,
                sms_number,
                at,
            } => {
                *self = Customer {
                    id: *customer_id,
                    registered: true,
                    name: name.clone(),
                    sms_number: sms_number.clone(),
                    enabled: true,
                    last_authorized_at: None,
                    updated_at: *at,
                };
            }
            CustomerEvent::CustomerSmsChanged { sms_number, .. } => {
                self.sms_number = sms_number.clone();
            }
            CustomerEvent::CustomerAuthorized { at, .. } => self.last_authorized_at = Some(*at),
            CustomerEvent::CustomerEnabled { .. } => self.enabled = true,
            CustomerEvent::CustomerDisabled { .. } => self.enabled = false,
        }
    }
}
