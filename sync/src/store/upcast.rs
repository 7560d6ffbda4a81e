//! Schema evolution: upcasters keyed on `(event_type, schema_version)`.
//!
//! A payload is never rewritten in the database. On load, each stored payload is walked from its
//! written version up to the current one through registered one-step upcasters. Event types the
//! registry does not know pass through unchanged; a version newer than the declared current one
//! is [`StoreError::SchemaTooNew`] (the inbox parks such events instead of applying them).

use super::error::StoreError;
use super::types::StoredEvent;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Converts a payload of version `v` into version `v + 1`.
pub type UpcastFn = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// What this build can do with an event of a given type and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatibility {
    /// Already the current version (or an undeclared type, which is not upcast).
    Current,
    /// Older, and upcasters up to the current version exist.
    Upcastable,
    /// Newer than this build knows: park it.
    NewerSchema,
    /// A declared type with a gap in its upcaster chain, or a type the caller requires to be
    /// declared (see [`Upcasters::classify_strict`]): park it.
    Unknown,
}

/// The registry of current versions and one-step upcasters (cheap to clone).
#[derive(Default, Clone)]
pub struct Upcasters {
    current: HashMap<String, u32>,
    steps: HashMap<(String, u32), UpcastFn>,
}

impl fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut steps: Vec<_> = self.steps.keys().collect();
        steps.sort();
        f.debug_struct("Upcasters")
            .field("current", &self.current)
            .field("steps", &steps)
            .finish()
    }
}

impl Upcasters {
    /// An empty registry: everything passes through.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares the current schema version of an event type.
    pub fn current(mut self, event_type: &str, version: u32) -> Self {
        self.current.insert(event_type.to_owned(), version);
        self
    }

    /// Registers the upcaster from `from_version` to `from_version + 1`. Also raises the declared
    /// current version to at least `from_version + 1`.
    pub fn register(
        mut self,
        event_type: &str,
        from_version: u32,
        step: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        let current = self.current.entry(event_type.to_owned()).or_insert(0);
        *current = (*current).max(from_version + 1);
        self.steps
            .insert((event_type.to_owned(), from_version), Arc::new(step));
        self
    }

    /// The declared current version of a type.
    pub fn current_version(&self, event_type: &str) -> Option<u32> {
        self.current.get(event_type).copied()
    }

    /// Classifies an event; undeclared types count as [`Compatibility::Current`].
    pub fn classify(&self, event_type: &str, schema_version: u32) -> Compatibility {
        let Some(current) = self.current_version(event_type) else {
            return Compatibility::Current;
        };
        if schema_version > current {
            return Compatibility::NewerSchema;
        }
        if schema_version == current {
            return Compatibility::Current;
        }
        let chain_complete =
            (schema_version..current).all(|v| self.steps.contains_key(&(event_type.to_owned(), v)));
        if chain_complete {
            Compatibility::Upcastable
        } else {
            Compatibility::Unknown
        }
    }

    /// Like [`Self::classify`], but an undeclared type is [`Compatibility::Unknown`]: for the
    /// inbox, where the set of types this build can apply is known.
    pub fn classify_strict(&self, event_type: &str, schema_version: u32) -> Compatibility {
        if self.current_version(event_type).is_none() {
            return Compatibility::Unknown;
        }
        self.classify(event_type, schema_version)
    }

    /// Upcasts a payload to the current version: `(payload, version)`.
    pub fn upcast(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: Value,
    ) -> Result<(Value, u32), StoreError> {
        let Some(current) = self.current_version(event_type) else {
            return Ok((payload, schema_version));
        };
        if schema_version > current {
            return Err(StoreError::SchemaTooNew {
                event_type: event_type.to_owned(),
                schema_version,
                known: current,
            });
        }
        let mut payload = payload;
        for version in schema_version..current {
            let step = self
                .steps
                .get(&(event_type.to_owned(), version))
                .ok_or_else(|| StoreError::Upcast {
                    event_type: event_type.to_owned(),
                    schema_version: version,
                    message: "no upcaster registered".to_owned(),
                })?;
            payload = step(payload).map_err(|message| StoreError::Upcast {
                event_type: event_type.to_owned(),
                schema_version: version,
                message,
            })?;
        }
        Ok((payload, current))
    }

    /// Upcasts a stored event in place.
    pub fn upcast_event(&self, mut event: StoredEvent) -> Result<StoredEvent, StoreError> {
        if self.classify(&event.event_type, event.schema_version) == Compatibility::Current {
            return Ok(event);
        }
        let payload = std::mem::take(&mut event.payload);
        let (payload, version) = self.upcast(&event.event_type, event.schema_version, payload)?;
        event.payload = payload;
        event.schema_version = version;
        Ok(event)
    }
}
