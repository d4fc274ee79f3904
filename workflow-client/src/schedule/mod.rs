//! Schedules: workflows started on a calendar or an interval, as
//! Temporal's schedules.
//!
//! A [`ScheduleSpec`] says when: cron expressions ([`CronExpr`]) and
//! intervals ([`IntervalSpec`]) in UTC, between optional start and end
//! times, each time delayed by a deterministic jitter.
//! [`SchedulePolicies`] say what to do with an action that comes due while
//! the last workflow still runs ([`OverlapPolicy`]), or too late (the
//! catch-up window), and whether a failure pauses the schedule.
//! [`ScheduleState`] is what an engine stores per schedule; its
//! [`tick`](ScheduleState::tick) turns the time passed into
//! [`ScheduleAction`]s, with no I/O of its own.
//!
//! ```
//! # use std::time::Duration;
//! # use workflow_client::schedule::*;
//! let spec = ScheduleSpec::new().cron("0 3 * * *".parse()?).jitter(Duration::from_secs(300));
//! let policies = SchedulePolicies::new().overlap(OverlapPolicy::BufferOne);
//! let mut state = ScheduleState::new(1_796_169_600_000); // 2026-12-02T00:00:00Z
//!
//! // The engine sleeps until the next wake, ticks, and does what it says.
//! let now = state.next_wake(&spec, "nightly").unwrap();
//! for action in state.tick(&spec, &policies, "nightly", "report", now) {
//!     match action {
//!         ScheduleAction::Start(start) => assert_eq!(start.workflow_id, "report-2026-12-02T03:00:00Z"),
//!         ScheduleAction::CancelRunning { workflow_id } | ScheduleAction::TerminateRunning { workflow_id } => {
//!             unreachable!("nothing ran before: {workflow_id}")
//!         }
//!     }
//! }
//! # Ok::<(), CronError>(())
//! ```

mod buffer;
mod cron;
mod definition;
mod handle;
mod policy;
mod spec;
mod state;

pub use buffer::BufferedStart;
pub use cron::{CronError, CronExpr, CronField, CronProblem};
pub use definition::{Schedule, ScheduleDefinition, ScheduleDescription, ScheduleOp, ScheduleReply, ScheduleSummary};
pub use handle::ScheduleHandle;
pub use policy::{OverlapPolicy, SchedulePolicies};
pub use spec::{FireTime, IntervalSpec, ScheduleSpec, SpecError};
pub use state::{ActionOutcome, ScheduleAction, ScheduleInfo, ScheduleStart, ScheduleState};

#[cfg(test)]
mod test_time {
    use crate::timestamp::days_from_civil;

    /// Milliseconds since the epoch of a UTC date and time.
    pub(crate) fn utc(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
        let days = days_from_civil(year, i64::from(month), i64::from(day));
        (days * 1440 + i64::from(hour * 60 + minute)) * 60_000
    }
}
