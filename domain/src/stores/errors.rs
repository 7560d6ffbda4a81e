//! The rules a store command can break, each with a stable machine-readable code.

use crate::error::ErrorCode;
use thiserror::Error;

/// A store command rejected by a rule of the stores context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// A store's name must contain something other than whitespace.
    #[error("the store name must not be blank")]
    NameBlank,
    /// A store's name longer than [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS) characters.
    #[error("the store name must be at most {} characters", super::MAX_NAME_CHARS)]
    NameTooLong,
    /// A store's name with a control character (NUL, line break, escape, …).
    #[error("the store name must not contain control characters")]
    NameInvalid,
    /// A store's location longer than [`MAX_LOCATION_CHARS`](super::MAX_LOCATION_CHARS).
    #[error(
        "the store location must be at most {} characters",
        super::MAX_LOCATION_CHARS
    )]
    LocationTooLong,
    /// A store's location with a control character.
    #[error("the store location must not contain control characters")]
    LocationInvalid,
    /// A store's location in the mall must contain something other than whitespace.
    #[error("the store location must not be blank")]
    LocationBlank,
    /// A place off the mall's floor plan (level or point out of range).
    #[error(
        "the place must be on the floor plan: level 0 to {}, x 0 to {}, y 0 to {}",
        crate::mall_map::MAX_LEVEL,
        crate::mall_map::PLAN_WIDTH,
        crate::mall_map::PLAN_HEIGHT
    )]
    PlaceOffPlan,
    /// `CreateStore` on a stream that already holds a store.
    #[error("the store already exists")]
    AlreadyExists,
    /// A command on a store that was never created.
    #[error("the store does not exist")]
    NotFound,
    /// A command on a store that has been removed.
    #[error("the store has been removed")]
    Removed,
    /// Enabling participation of a store that already participates.
    #[error("the store already participates")]
    AlreadyParticipating,
    /// Disabling participation of a store that does not participate.
    #[error("the store does not participate")]
    NotParticipating,
    /// Enabling automated shopping where it is already enabled.
    #[error("automated shopping is already enabled for the store")]
    AutomatedShoppingAlreadyEnabled,
    /// Disabling automated shopping where it is already disabled.
    #[error("automated shopping is already disabled for the store")]
    AutomatedShoppingAlreadyDisabled,
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::NameBlank => "store.name_blank",
            StoreError::PlaceOffPlan => "store.place_off_plan",
            StoreError::NameTooLong => "store.name_too_long",
            StoreError::NameInvalid => "store.name_invalid",
            StoreError::LocationBlank => "store.location_blank",
            StoreError::LocationTooLong => "store.location_too_long",
            StoreError::LocationInvalid => "store.location_invalid",
            StoreError::AlreadyExists => "store.already_exists",
            StoreError::NotFound => "store.not_found",
            StoreError::Removed => "store.removed",
            StoreError::AlreadyParticipating => "store.already_participating",
            StoreError::NotParticipating => "store.not_participating",
            StoreError::AutomatedShoppingAlreadyEnabled => {
                "store.automated_shopping_already_enabled"
            }
            StoreError::AutomatedShoppingAlreadyDisabled => {
                "store.automated_shopping_already_disabled"
            }
        }
    }
}
