//! One run: the mall (a manager desk, a depot desk, kiosks, bots, central) driven by the seed
//! through a workload phase with faults, then a drain without faults until everything is quiet;
//! the invariants are checked after every step and at the end.

use crate::bus::{Bus, StreamName};
use crate::central::{self, bots::Bot, bots::Holders, orders};
use crate::clock::SimClock;
use crate::device::{wire_role, Device};
use crate::effects::Effects;
use crate::faults::{Faults, Planted};
use crate::invariants;
use crate::rng::Rng;
use mallbots_domain::desk::ALL_STORES;
use mallbots_domain::{BotId, OrderId, ProductId, StoreId};
use mallbots_edge::Role;
use mallbots_wire::devices::device_consumers;
use std::collections::BTreeSet;

/// What a run is made of.
#[derive(Debug, Clone)]
pub struct Config {
    /// Kiosks.
    pub kiosks: usize,
    /// Bots.
    pub bots: usize,
    /// Steps of the workload phase (the drain follows).
    pub steps: usize,
    /// Fault rates during the workload.
    pub faults: Faults,
    /// Bugs planted on purpose.
    pub planted: BTreeSet<Planted>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            kiosks: 3,
            bots: 3,
            steps: 400,
            faults: Faults::DEFAULT,
            planted: BTreeSet::new(),
        }
    }
}

/// Drain steps without a trace line (about 24 s of simulated time, three times the longest
/// wait: a saga step's timeout) after which a mall that is not quiet counts as stuck.
const IDLE_STEPS: usize = 1_500;
/// Steps the drain may take before the run counts as stuck.
const DRAIN_STEPS: usize = 6_000;
/// A device consumer's ack wait (ms): a message lost on the way comes back this much later.
const DEVICE_ACK_WAIT_MS: i64 = 6_000;
/// Central's consumers, in the order the scheduler numbers them.
const CENTRAL_CONSUMERS: [&str; 5] = [
    "saga-orders",
    "saga-replies",
    "commands",
    "desk",
    "notifications",
];
/// Messages a central consumer handles per turn.
const CENTRAL_BATCH: usize = 6;
/// Msg-id de-duplication window (ms): short, as in the sync tests, so that the expected
/// sequence is what keeps events exactly once.
const DEDUP_WINDOW_MS: i64 = 1_000;

/// An order placed at a kiosk.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The kiosk's index in `devices`.
    pub kiosk: usize,
    /// The order.
    pub order: OrderId,
    /// Its pickup code.
    pub code: String,
    /// The customer showed a wrong code once already (they do not again: a desk locks an
    /// order out after five wrong codes).
    pub mistyped: bool,
}

/// A failed invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Step at which it was seen.
    pub step: usize,
    /// What broke.
    pub what: String,
}

/// How a run ended.
#[derive(Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Steps taken (workload and drain).
    pub steps: usize,
    /// Orders placed.
    pub orders: usize,
    /// The first violation, if any.
    pub violation: Option<Violation>,
    /// The run's trace, one line per step that did something.
    pub trace: Vec<String>,
    /// A digest of the trace (equal digests: the same run).
    pub digest: u64,
    /// Orders by their final status on central.
    pub outcomes: std::collections::BTreeMap<&'static str, usize>,
    /// Saga inputs by result (`applied`, `duplicate`, `conflict`, …).
    pub saga: std::collections::BTreeMap<&'static str, u64>,
    /// Rejected orders by the reason central gave.
    pub rejections: std::collections::BTreeMap<String, usize>,
}

/// The simulated mall.
pub struct World {
    cfg: Config,
    pub(crate) rng: Rng,
    pub(crate) clock: SimClock,
    /// The server.
    pub bus: Bus,
    /// The outside world.
    pub effects: Effects,
    holders: Holders,
    /// 0: manager desk, 1: depot desk, 2..: kiosks, last: a second manager desk.
    pub devices: Vec<Device>,
    bots: Vec<Bot>,
    pub(crate) products: Vec<(ProductId, StoreId)>,
    /// Orders placed.
    pub placed: Vec<Placed>,
    trace: Vec<String>,
    step: usize,
    /// Central's replicas are cut off from the server until then (ms).
    central_down_until_ms: i64,
    /// The operator's mistakes in force.
    pub(crate) misconfig: crate::misconfig::Misconfig,
    /// Runs central's async handlers: one thread, time paused (it never sleeps for real).
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

const ROOT: &str = "mallbots";
/// Index of the manager desk.
pub const MANAGER: usize = 0;
/// Index of the depot desk.
pub const DEPOT: usize = 1;

impl World {
    /// The mall of `seed`.
    pub fn new(seed: u64, cfg: Config) -> Self {
        let mut rng = Rng::new(seed);
        let clock = SimClock::new(rng.fork());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut bus = Bus::new(ROOT, DEDUP_WINDOW_MS);
        central::provision(&mut bus);
        let mut devices = vec![
            Device::open(dir.path(), "manager-1", Role::Manager, ROOT, clock.clone()),
            Device::open(dir.path(), "depot-1", Role::Depot, ROOT, clock.clone()),
        ];
        for k in 0..cfg.kiosks {
            devices.push(Device::open(
                dir.path(),
                &format!("kiosk-{}", k + 1),
                Role::Kiosk,
                ROOT,
                clock.clone(),
            ));
        }
        // A second manager of the same stores: two desks editing one catalog, offline too.
        devices.push(Device::open(
            dir.path(),
            "manager-2",
            Role::Manager,
            ROOT,
            clock.clone(),
        ));
        for d in &mut devices {
            bus.device_rights.insert(d.id.clone(), d.rights().to_vec());
            // Production's consumers of the device's role (as enrollment creates them): the
            // catalog for all; a kiosk's orders; a desk's order lines, depot events and
            // central's answers to its requests.
            let role = wire_role(d.role, &[ALL_STORES]);
            for consumer in device_consumers(ROOT, &d.id, &role) {
                bus.add_consumer(
                    &consumer.name,
                    StreamName::Events,
                    &consumer.filters,
                    DEVICE_ACK_WAIT_MS,
                    1_000,
                );
                d.consumers.push(consumer.name);
            }
        }
        let bots = (0..cfg.bots)
            .map(|i| Bot::new(BotId(uuid::Uuid::from_u128(0xb07_0000 + i as u128))))
            .collect();
        let mut world = Self {
            cfg,
            rng,
            clock,
            bus,
            effects: Effects::default(),
            holders: Holders::new(),
            devices,
            bots,
            products: Vec::new(),
            placed: Vec::new(),
            trace: Vec::new(),
            step: 0,
            central_down_until_ms: 0,
            misconfig: Default::default(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a runtime"),
            _dir: dir,
        };
        world.open_stores();
        world.publish_catalog();
        world
    }

    pub(crate) fn note(&mut self, line: String) {
        self.trace.push(format!(
            "{:>5} t+{:>6} {line}",
            self.step,
            self.clock.now_ms() - crate::clock::EPOCH_MS
        ));
    }

    /// Runs the workload and the drain; the report.
    pub fn run(mut self, seed: u64) -> Report {
        let faults = self.cfg.faults;
        let mut violation = None;
        // Customers order while faults strike, then the faults go on a while longer with no
        // new orders (most of the flow runs under faults), then the drain.
        for step in 0..self.cfg.steps * 3 {
            self.tick(&faults, step < self.cfg.steps);
            if let Some(v) = self.check_now() {
                violation = Some(v);
                break;
            }
        }
        if violation.is_none() {
            violation = self.drain();
        }
        let digest = self
            .trace
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, line| {
                line.bytes()
                    .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
            });
        let mut outcomes = std::collections::BTreeMap::new();
        for p in &self.placed {
            *outcomes
                .entry(invariants::central_status(&self, p).unwrap_or("unknown"))
                .or_insert(0) += 1;
        }
        let mut rejections = std::collections::BTreeMap::new();
        for p in &self.placed {
            let order = orders::load(&self.bus, &self.devices[p.kiosk].id, p.order);
            if let Some(reason) = order.rejection_reason() {
                *rejections.entry(reason.to_owned()).or_insert(0) += 1;
            }
        }
        let saga = self
            .effects
            .counts
            .iter()
            .filter(|(k, _)| !matches!(**k, "read" | "write"))
            .map(|(k, v)| (*k, *v))
            .collect();
        Report {
            seed,
            outcomes,
            saga,
            rejections,
            steps: self.step,
            orders: self.placed.len(),
            violation,
            trace: self.trace,
            digest,
        }
    }

    fn check_now(&mut self) -> Option<Violation> {
        let what = invariants::always(self)?;
        Some(Violation {
            step: self.step,
            what,
        })
    }

    /// Heals everything, then steps without faults until the mall is quiet.
    fn drain(&mut self) -> Option<Violation> {
        for d in &mut self.devices {
            d.offline_until_ms = 0;
        }
        for b in &mut self.bots {
            b.offline_until_ms = 0;
        }
        self.central_down_until_ms = 0;
        self.fix_misconfiguration();
        self.note("drain: faults off, everyone back online".into());
        let (mut seen, mut idle) = (self.trace.len(), 0);
        for _ in 0..DRAIN_STEPS {
            self.tick(&Faults::NONE, false);
            if let Some(v) = self.check_now() {
                return Some(v);
            }
            (seen, idle) = if self.trace.len() > seen {
                (self.trace.len(), 0)
            } else {
                (seen, idle + 1)
            };
            if idle > IDLE_STEPS && !invariants::quiet(self) {
                return Some(Violation {
                    step: self.step,
                    what: format!(
                        "quiescence: nothing moved for {IDLE_STEPS} drain steps ({})",
                        invariants::busy(self).unwrap_or_default()
                    ),
                });
            }
            if invariants::quiet(self) {
                let what = invariants::at_quiescence(self)?;
                return Some(Violation {
                    step: self.step,
                    what,
                });
            }
        }
        Some(Violation {
            step: self.step,
            what: format!(
                "quiescence: still busy after {DRAIN_STEPS} drain steps ({})",
                invariants::busy(self).unwrap_or_default()
            ),
        })
    }

    fn tick(&mut self, faults: &Faults, ordering: bool) {
        self.step += 1;
        let dt = self.rng.between(2, 30) as i64;
        self.clock.advance(dt);
        let now = self.clock.now_ms();
        if self.bus.fire_schedules(now) > 0 {
            self.note("timers fired".into());
        }
        self.purge_forgotten(now);
        self.reap_bots(now);
        self.inject(faults, now);
        let kiosks = self.cfg.kiosks as u64;
        let devices = self.devices.len() as u64;
        let bots = self.bots.len() as u64;
        let consumers = CENTRAL_CONSUMERS.len() as u64;
        let actors = kiosks + 2 + devices + consumers + bots + 1;
        let pick = self.rng.below(actors);
        // Kiosks and the two managers act first; the rest are numbered after them.
        let base = kiosks + 2;
        if pick < kiosks + 2 {
            if ordering && pick < kiosks {
                self.kiosk_acts(2 + pick as usize);
            } else if ordering {
                let manager = if pick == kiosks {
                    MANAGER
                } else {
                    self.devices.len() - 1
                };
                self.manager_acts(manager);
            }
        } else if pick < base + devices {
            self.sync((pick - base) as usize, faults);
        } else if pick < base + devices + consumers {
            if now < self.central_down_until_ms {
                return;
            }
            let name = CENTRAL_CONSUMERS[(pick - base - devices) as usize];
            let planted = self.cfg.planted.clone();
            let env = central::Env {
                now,
                faults,
                planted: &planted,
                runtime: &self.runtime,
            };
            // A replica works through a few messages when it gets the processor.
            let mut lines = Vec::new();
            for _ in 0..CENTRAL_BATCH {
                match central::step(&mut self.bus, &mut self.effects, &mut self.rng, &env, name) {
                    Some(line) => lines.push(line),
                    None => break,
                }
            }
            for line in lines {
                self.note(line);
            }
        } else if pick < base + devices + consumers + bots {
            let i = (pick - base - devices - consumers) as usize;
            let planted = self.cfg.planted.clone();
            let line = self.bots[i].step(
                &mut self.bus,
                &mut self.effects,
                &mut self.holders,
                &mut self.rng,
                faults,
                &planted,
                now,
            );
            if let Some(line) = line {
                self.note(line);
            }
        } else {
            self.pickup();
        }
    }

    /// The depot takes bots whose lease lapsed offline and releases their lists.
    fn reap_bots(&mut self, now: i64) {
        for i in 0..self.bots.len() {
            let planted = self.cfg.planted.clone();
            if let Some(line) = self.bots[i].reap(&mut self.bus, &mut self.effects, &planted, now) {
                self.note(line);
            }
        }
    }

    fn purge_forgotten(&mut self, now: i64) {
        let due: Vec<(i64, String, u64)> = self
            .effects
            .forgets
            .iter()
            .filter(|(at, ..)| *at <= now)
            .cloned()
            .collect();
        self.effects.forgets.retain(|(at, ..)| *at > now);
        for (_, key, revision) in due {
            self.bus
                .kv_swap(central::SAGAS_BUCKET, &key, None, revision, now);
        }
    }

    fn inject(&mut self, faults: &Faults, now: i64) {
        self.misconfigure(faults, now);
        if now >= self.central_down_until_ms && self.rng.chance(faults.central_outage) {
            self.central_down_until_ms = now + self.rng.between(500, 2_500) as i64;
            let until = self.central_down_until_ms - crate::clock::EPOCH_MS;
            self.note(format!("central cut off from the server until t+{until}"));
        }
        for i in 0..self.devices.len() {
            if self.rng.chance(faults.partition) && self.devices[i].online(now) {
                let until = now + self.rng.between(500, 6_000) as i64;
                self.devices[i].offline_until_ms = until;
                let id = self.devices[i].id.clone();
                self.note(format!(
                    "{id} cut off until t+{}",
                    until - crate::clock::EPOCH_MS
                ));
            }
            if self.rng.chance(faults.device_crash) {
                self.devices[i].restart();
                let id = self.devices[i].id.clone();
                self.note(format!("{id} killed and restarted"));
            }
        }
    }

    fn sync(&mut self, i: usize, faults: &Faults) {
        let now = self.clock.now_ms();
        if !self.devices[i].online(now) {
            return;
        }
        let relay = self.devices[i].relay(&mut self.bus, &mut self.rng, faults);
        let pulled = match &relay {
            Ok(_) => self.devices[i].pull(&mut self.bus, &mut self.rng, faults),
            Err(k) => Err(*k),
        };
        let id = self.devices[i].id.clone();
        match (relay, pulled) {
            (Ok(r), Ok(p)) => {
                if r != Default::default() || p != Default::default() {
                    self.note(format!(
                        "{id} sync: {} published, {} recovered, {} received",
                        r.published, r.recovered, p.received
                    ));
                }
                for parked in p.parked {
                    self.note(format!("{id} parked {parked}"));
                }
                for set_aside in r.quarantined {
                    self.note(format!("{id} set aside {set_aside}"));
                }
            }
            _ => {
                self.devices[i].restart();
                self.note(format!("{id} killed mid-sync and restarted"));
            }
        }
    }

    /// The products the manager added, with their stores.
    pub fn products(&self) -> &[(ProductId, StoreId)] {
        &self.products
    }

    /// Bots' ids and the list each believes it holds.
    pub fn bot_lists(&self) -> Vec<(BotId, Option<mallbots_domain::ShoppingListId>)> {
        self.bots.iter().map(|b| (b.id, b.holding())).collect()
    }

    /// The current step.
    pub fn step_number(&self) -> usize {
        self.step
    }
}
