//! `mallbots device init|show`: the device identity kept with the database
//! ([`crate::DeviceIdentity`]).
//!
//! * `mallbots --db X device init --id k1 --role kiosk`
//! * `mallbots --db X device init --id m1 --role manager --store STORE [--store STORE]...`
//! * `mallbots --db X device init --enrollment FILE` (the credentials JSON of
//!   `mallbots-central enroll --out FILE`: device, role, stores, subject root; the path is
//!   remembered for `sync`)
//! * `mallbots --db X device show [--json]`

use super::Outcome;
use crate::config::Role;
use crate::device::{DeviceIdentity, Enrollment};
use crate::{Edge, EdgeError};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `device ...`
#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// Makes this database a device: an id, a role (kiosk, manager, depot) and a manager's
    /// stores, or all of them from an enrollment file. Every later command uses it.
    Init(DeviceInitArgs),
    /// Shows this database's device (id, role, stores, subject root, enrollment file).
    Show,
}

/// `device init ...`
#[derive(Debug, Args)]
pub struct DeviceInitArgs {
    /// The device id (a NATS subject token).
    #[arg(long, required_unless_present = "enrollment")]
    pub id: Option<String>,
    /// What the device is.
    #[arg(long, value_enum, required_unless_present = "enrollment")]
    pub role: Option<Role>,
    /// A store a manager device manages (repeatable; a manager needs at least one).
    #[arg(long = "store")]
    pub stores: Vec<String>,
    /// The credentials file `mallbots-central enroll --out FILE` wrote; takes the device, role,
    /// stores and subject root from it and keeps its path for `sync`.
    #[arg(long, conflicts_with_all = ["id", "role", "stores"])]
    pub enrollment: Option<PathBuf>,
}

impl DeviceInitArgs {
    /// The identity this asks for, under `subject_root` unless an enrollment names its own.
    pub fn identity(&self, subject_root: &str) -> Result<DeviceIdentity, EdgeError> {
        if let Some(path) = &self.enrollment {
            return Ok(Enrollment::load(path)?.identity(path));
        }
        let id = self.id.as_deref().unwrap_or_default();
        let role = self.role.unwrap_or_default();
        let identity = DeviceIdentity::new(id, role, self.stores.clone(), subject_root);
        identity.validate()?;
        Ok(identity)
    }
}

/// The text line of a device.
pub fn render(identity: &DeviceIdentity, initialized: bool) -> String {
    let mut text = format!(
        "device {} ({}), subject root {}",
        identity.device_id, identity.role, identity.subject_root
    );
    if !identity.stores.is_empty() {
        text.push_str(&format!(", stores {}", identity.stores.join(", ")));
    }
    if let Some(path) = &identity.enrollment_path {
        text.push_str(&format!(", enrollment {}", path.display()));
    }
    if !initialized {
        text.push_str(" (not initialized: `mallbots device init`)");
    }
    text
}

/// Runs one `device` verb. `init` must run on an edge opened with the new identity's device
/// id and subject root (the CLI resolves them before opening, see [`super::resolve`]).
pub fn run(edge: &Edge, cmd: DeviceCmd) -> Result<Outcome, EdgeError> {
    match cmd {
        DeviceCmd::Init(args) => {
            let identity = edge.init_device(args.identity(&edge.config().subject_root)?)?;
            let mut json = serde_json::to_value(&identity)
                .map_err(|e| EdgeError::invalid("output", e.to_string()))?;
            json["initialized"] = true.into();
            Ok(Outcome {
                text: render(&identity, true),
                json,
            })
        }
        DeviceCmd::Show => Ok(show(edge)),
    }
}

/// `device show`: the stored identity, or what this open uses when there is none.
pub fn show(edge: &Edge) -> Outcome {
    let (identity, initialized) = match edge.device() {
        Some(identity) => (identity, true),
        None => {
            let c = edge.config();
            (
                DeviceIdentity::new(&c.device_id, c.role, Vec::new(), &c.subject_root),
                false,
            )
        }
    };
    let mut json = serde_json::to_value(&identity).unwrap_or_default();
    json["initialized"] = initialized.into();
    Outcome {
        text: render(&identity, initialized),
        json,
    }
}
