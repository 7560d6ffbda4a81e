//! The operator's mistakes, and their fixes: a `max_payload` lowered below some of the
//! devices' events, a manager desk enrolled for the wrong stores. The server refuses what they
//! forbid; the devices set those rows aside (production's quarantine) and hold what waits
//! behind them; once the operator fixes the setting, every affected device retries its
//! set-aside rows (`mallbots sync --retry-quarantined`) and nothing is lost.

use crate::device::{enrolled_rights, wire_role};
use crate::faults::Faults;
use crate::world::World;
use mallbots_edge::Role;
use mallbots_wire::devices::publish_patterns;

/// The smallest and largest lowered `max_payload` (device events are ~550–1,350 bytes).
const LIMITS: (u64, u64) = (600, 1_100);
/// How long a mistake lasts (ms).
const LASTS_MS: (u64, u64) = (1_000, 5_000);
/// A store no desk manages: where a wrong enrollment points.
const WRONG_STORE: &str = "elsewhere";

/// The mistakes in force.
#[derive(Debug, Default)]
pub struct Misconfig {
    /// The lowered `max_payload` is restored then (ms).
    size_until_ms: Option<i64>,
    /// The desk enrolled for the wrong stores, enrolled right again then (ms).
    wrong_desk: Option<(usize, i64)>,
}

impl World {
    /// Draws new mistakes and fixes those whose time is up.
    pub(crate) fn misconfigure(&mut self, faults: &Faults, now: i64) {
        match self.misconfig.size_until_ms {
            Some(until) if now >= until => self.restore_max_payload(),
            None if self.rng.chance(faults.size_limit) => {
                let max = self.rng.between(LIMITS.0, LIMITS.1) as usize;
                let until = now + self.rng.between(LASTS_MS.0, LASTS_MS.1) as i64;
                self.bus.device_max_payload = Some(max);
                self.misconfig.size_until_ms = Some(until);
                self.note(format!(
                    "operator: devices' max_payload lowered to {max} bytes"
                ));
            }
            _ => {}
        }
        match self.misconfig.wrong_desk {
            Some((desk, until)) if now >= until => self.enroll_right(desk),
            None if self.rng.chance(faults.wrong_enrollment) => {
                let desks: Vec<usize> = (0..self.devices.len())
                    .filter(|i| self.devices[*i].role == Role::Manager)
                    .collect();
                let desk = desks[self.rng.below(desks.len() as u64) as usize];
                let until = now + self.rng.between(LASTS_MS.0, LASTS_MS.1) as i64;
                let id = self.devices[desk].id.clone();
                let wrong = publish_patterns(
                    &self.devices[desk].root,
                    &id,
                    &wire_role(Role::Manager, &[WRONG_STORE]),
                );
                // The server applies it at once; the desk reads its new credentials file
                // now or only when it is enrolled right again.
                self.bus.device_rights.insert(id.clone(), wrong.clone());
                let told = self.rng.chance(500);
                if told {
                    self.devices[desk].enroll(wrong);
                }
                self.misconfig.wrong_desk = Some((desk, until));
                self.note(format!(
                    "operator: {id} enrolled for the wrong store{}",
                    if told { "" } else { " (the desk not told yet)" }
                ));
            }
            _ => {}
        }
    }

    /// Every mistake fixed (the drain).
    pub(crate) fn fix_misconfiguration(&mut self) {
        if self.misconfig.size_until_ms.is_some() {
            self.restore_max_payload();
        }
        if let Some((desk, _)) = self.misconfig.wrong_desk {
            self.enroll_right(desk);
        }
    }

    fn restore_max_payload(&mut self) {
        self.bus.device_max_payload = None;
        self.misconfig.size_until_ms = None;
        self.note("operator: max_payload restored".into());
        for i in 0..self.devices.len() {
            self.retry_quarantined(i);
        }
    }

    fn enroll_right(&mut self, desk: usize) {
        let d = &mut self.devices[desk];
        let rights = enrolled_rights(&d.root, &d.id, d.role);
        d.enroll(rights.clone());
        let id = d.id.clone();
        self.bus.device_rights.insert(id.clone(), rights);
        self.misconfig.wrong_desk = None;
        self.note(format!("operator: {id} enrolled for its stores again"));
        self.retry_quarantined(desk);
    }

    /// `mallbots sync --retry-quarantined` on device `i`.
    fn retry_quarantined(&mut self, i: usize) {
        let released = self.devices[i].release_quarantined();
        if released > 0 {
            let id = self.devices[i].id.clone();
            self.note(format!("{id} retries {released} set-aside rows"));
        }
    }
}
