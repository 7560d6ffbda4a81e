//! The mall as it ships, for GUI tests (docs/architecture.md §9): a nats-server with the authorization the
//! product generates (`mallbots-central auth init --accounts`: the devices log in with keys
//! whose JWTs carry their rights), the real `mallbots-central` (every role,
//! its bot simulator included) logged in with central's credentials, and the app's two devices
//! enrolled with the product's own command (`mallbots-central enroll`): the kiosk, and the mall
//! office's manager desk for every store (`--all-stores`), as `scripts/run.sh` does.
//!
//! [`SecuredMall::app_options`] starts the app on those enrollments: each device syncs with its
//! own credentials over the consumers enrollment created, and the demo catalog is seeded into
//! the manager's database and reaches the kiosk through central's stream.

use super::GuiOptions;
use crate::nats::{Enrollment, NatsServer};
use crate::procs::{Proc, CENTRAL};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Duration;

/// The subject root of a [`SecuredMall`] (the product's default).
pub const ROOT: &str = "mallbots";

/// NATS with the generated authorization, central, and two enrolled devices.
pub struct SecuredMall {
    /// Central (stopped when dropped).
    pub central: Proc,
    /// The kiosk's enrollment file.
    pub kiosk: PathBuf,
    /// The manager desk's enrollment file.
    pub manager: PathBuf,
    /// The nats-server (last to stop).
    pub nats: NatsServer,
}

impl SecuredMall {
    /// Starts NATS and central and enrolls `kiosk` and the mall office desk `manager`; robots
    /// walk fast (a 50 ms simulator step).
    pub fn start(kiosk: &str, manager: &str) -> Result<Self> {
        Self::start_with_step(kiosk, manager, 50)
    }

    /// [`SecuredMall::start`] with the bot simulator's step (time per pick, and per 250 plan
    /// units of walking) set to `step_ms`: slow enough to watch robots walk on the map.
    pub fn start_with_step(kiosk: &str, manager: &str, step_ms: u64) -> Result<Self> {
        let nats = NatsServer::start_with_accounts("")
            .context("nats-server with account authorization")?;
        let mut central = Proc::builder(CENTRAL)
            .args(["--nats", &nats.url(), "--http", "127.0.0.1:0"])
            .args(nats.auth().central_args())
            // Robots walk fast enough for a test (the simulator's step).
            .env("MALLBOTS__SIM__STEP_MS", step_ms.to_string())
            .spawn()
            .context("spawn mallbots-central")?;
        central
            .wait_for_log("mallbots-central ready", Duration::from_secs(30))
            .context("central ready")?;
        let kiosk = nats.enroll(&Enrollment::kiosk(kiosk, ROOT))?;
        let manager = nats.enroll(&Enrollment::mall_office(manager, ROOT))?;
        Ok(Self {
            central,
            kiosk,
            manager,
            nats,
        })
    }

    /// The last `lines` lines of central's log, for a failure message.
    pub fn central_log_tail(&self, lines: usize) -> String {
        let log = self.central.logs();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Both windows on the enrolled devices (their NATS URL is in the enrollment files), the
    /// demo mall seeded into the manager's database.
    pub fn app_options(&self) -> GuiOptions {
        let mut options = GuiOptions::kiosk();
        options.windows = "both".to_owned();
        options.env.extend([
            (
                "MALLBOTS__KIOSK__ENROLLMENT".to_owned(),
                self.kiosk.display().to_string(),
            ),
            (
                "MALLBOTS__MANAGER__ENROLLMENT".to_owned(),
                self.manager.display().to_string(),
            ),
            ("MALLBOTS__NATS__URL".to_owned(), self.nats.url()),
        ]);
        options
    }
}
