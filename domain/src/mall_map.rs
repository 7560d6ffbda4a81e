//! The mall's floor plan: where a store or the depot is, and how long a robot walks between two
//! places.
//!
//! A [`Place`] is a level and a point on that level's plan, in plan units: every level is
//! [`PLAN_WIDTH`] × [`PLAN_HEIGHT`] units, the origin top-left. Levels are connected by one lift
//! at [`LIFT`]; a walk between levels goes to the lift, rides it ([`LIFT_RIDE_UNITS`] per level)
//! and walks on from there. The depot has its own fixed place, [`DEPOT`].

use serde::{Deserialize, Serialize};

/// Width of every level's plan, in plan units.
pub const PLAN_WIDTH: u16 = 1000;
/// Height of every level's plan, in plan units.
pub const PLAN_HEIGHT: u16 = 600;
/// The highest level (levels are 0 = ground floor ..= `MAX_LEVEL`).
pub const MAX_LEVEL: u8 = 5;
/// Where the lift between levels stands (the same point on every level).
pub const LIFT: (u16, u16) = (500, 300);
/// What riding the lift one level costs, in plan units of walking.
pub const LIFT_RIDE_UNITS: f64 = 120.0;
/// The depot: ground floor, bottom middle of the plan.
pub const DEPOT: Place = Place {
    level: 0,
    x: 500,
    y: 560,
};

/// A point on one level of the mall's floor plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Place {
    /// 0 = ground floor.
    pub level: u8,
    /// Plan units from the left edge.
    pub x: u16,
    /// Plan units from the top edge.
    pub y: u16,
}

/// Why a place is not on the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffPlan;

impl Place {
    /// A place on the plan, or [`OffPlan`] when the level or a coordinate is out of range.
    pub fn new(level: u8, x: u16, y: u16) -> Result<Place, OffPlan> {
        if level > MAX_LEVEL || x > PLAN_WIDTH || y > PLAN_HEIGHT {
            return Err(OffPlan);
        }
        Ok(Place { level, x, y })
    }

    fn flat_distance(self, x: u16, y: u16) -> f64 {
        let dx = f64::from(self.x) - f64::from(x);
        let dy = f64::from(self.y) - f64::from(y);
        (dx * dx + dy * dy).sqrt()
    }
}

/// How far a robot walks from `from` to `to`, in plan units (through the lift between levels).
pub fn walking_distance(from: Place, to: Place) -> f64 {
    if from.level == to.level {
        return from.flat_distance(to.x, to.y);
    }
    let levels = f64::from(from.level.abs_diff(to.level));
    from.flat_distance(LIFT.0, LIFT.1) + levels * LIFT_RIDE_UNITS + to.flat_distance(LIFT.0, LIFT.1)
}

/// How long the walk takes at `units_per_second`, in whole milliseconds (at least 1).
pub fn walking_millis(from: Place, to: Place, units_per_second: f64) -> u64 {
    let speed = units_per_second.max(f64::MIN_POSITIVE);
    let millis = walking_distance(from, to) / speed * 1000.0;
    (millis.round() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_off_the_plan_is_refused() {
        assert!(Place::new(0, 0, 0).is_ok());
        assert!(Place::new(MAX_LEVEL, PLAN_WIDTH, PLAN_HEIGHT).is_ok());
        assert_eq!(Place::new(MAX_LEVEL + 1, 0, 0), Err(OffPlan));
        assert_eq!(Place::new(0, PLAN_WIDTH + 1, 0), Err(OffPlan));
        assert_eq!(Place::new(0, 0, PLAN_HEIGHT + 1), Err(OffPlan));
    }

    #[test]
    fn on_one_level_the_walk_is_straight() {
        let a = Place::new(1, 100, 100).unwrap();
        let b = Place::new(1, 400, 500).unwrap();
        assert_eq!(walking_distance(a, b), 500.0);
        assert_eq!(walking_distance(b, a), 500.0);
        assert_eq!(walking_millis(a, b, 250.0), 2000);
    }

    #[test]
    fn between_levels_the_walk_goes_through_the_lift() {
        let a = Place::new(0, 500, 100).unwrap();
        let b = Place::new(2, 500, 500).unwrap();
        assert_eq!(
            walking_distance(a, b),
            200.0 + 2.0 * LIFT_RIDE_UNITS + 200.0
        );
    }

    #[test]
    fn a_walk_takes_at_least_a_millisecond() {
        assert_eq!(walking_millis(DEPOT, DEPOT, 100.0), 1);
        assert!(walking_millis(DEPOT, DEPOT, 0.0) >= 1);
    }
}
