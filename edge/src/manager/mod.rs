//! Store-manager use cases: stores (create, rebrand, participation and automated-shopping
//! toggles, remove) here; products and CSV import in [`products`].
//!
//! Catalog events go to `R.ev.catalog.<store>.store|product.<id>`. A device with a stored
//! identity must be allowed to write them (see [`crate::device`]: no kiosk or depot, a manager
//! only for its stores and with a signed-in user).

pub mod desk;
pub mod products;

use crate::error::EdgeError;
use crate::views::StoreView;
use crate::Edge;
use mallbots_domain::stores::{Store, StoreCommand};
use mallbots_domain::{StoreId, Timestamp};
use mallbots_sync::store::Durability;

impl Edge {
    /// Opens a new store (not participating, automated shopping off).
    pub fn create_store(&self, name: &str, location: &str) -> Result<StoreView, EdgeError> {
        let store_id = StoreId(self.new_id());
        let (name, location) = (name.to_owned(), location.to_owned());
        self.store_command(store_id, move |at| StoreCommand::CreateStore {
            store_id,
            name: name.clone(),
            location: location.clone(),
            at,
        })
    }

    /// Renames a store.
    pub fn rebrand_store(&self, store: StoreId, name: &str) -> Result<StoreView, EdgeError> {
        let name = name.to_owned();
        self.store_command(store, move |at| StoreCommand::RebrandStore {
            name: name.clone(),
            at,
        })
    }

    /// Turns kiosk participation on or off (`store.already_participating` /
    /// `store.not_participating` when it already is).
    pub fn set_participation(&self, store: StoreId, on: bool) -> Result<StoreView, EdgeError> {
        self.store_command(store, move |at| match on {
            true => StoreCommand::EnableParticipation { at },
            false => StoreCommand::DisableParticipation { at },
        })
    }

    /// Puts the store on the mall's floor plan (`store.place_off_plan` outside it; see
    /// [`mallbots_domain::mall_map`]). Synced like any catalog edit.
    pub fn place_store(
        &self,
        store: StoreId,
        level: u8,
        x: u16,
        y: u16,
    ) -> Result<StoreView, EdgeError> {
        self.store_command(store, move |at| StoreCommand::PlaceStore {
            level,
            x,
            y,
            at,
        })
    }

    /// Turns automated (bot) shopping on or off.
    pub fn set_automated_shopping(&self, store: StoreId, on: bool) -> Result<StoreView, EdgeError> {
        self.store_command(store, move |at| match on {
            true => StoreCommand::EnableAutomatedShopping { at },
            false => StoreCommand::DisableAutomatedShopping { at },
        })
    }

    /// Removes a store from the mall for good.
    pub fn remove_store(&self, store: StoreId) -> Result<StoreView, EdgeError> {
        self.store_command(store, |at| StoreCommand::RemoveStore { at })
    }

    fn store_command(
        &self,
        store: StoreId,
        command: impl Fn(Timestamp) -> StoreCommand + Send + 'static,
    ) -> Result<StoreView, EdgeError> {
        self.catalog_gate()?.check(store)?;
        let target = self.target(store, self.subjects().store(store));
        let at = Timestamp(target.occurred_at);
        self.execute::<Store, _>(
            target,
            Durability::Normal,
            move |_| Ok(command(at)),
            |s: &_| StoreView::from(s),
        )
    }
}
