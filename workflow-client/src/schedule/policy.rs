//! What a schedule does with an action that comes due while its last
//! workflow still runs, or that comes due too late.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::spec::millis;

/// What a schedule does when an action comes due while the workflow it
/// started last is still running, as Temporal's `ScheduleOverlapPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OverlapPolicy {
    /// Drop the action (counted in
    /// [`num_actions_skipped_overlap`](super::ScheduleInfo::num_actions_skipped_overlap)).
    /// Once the running workflow closes, the next time after that counts.
    #[default]
    Skip,
    /// Start the action once the running workflow closes, keeping at most
    /// one waiting: later ones are dropped as with `Skip`.
    BufferOne,
    /// Start every action, one after the other, each once the one before
    /// closes.
    BufferAll,
    /// Cancel the running workflow, and start the action once it closes.
    CancelOther,
    /// Terminate the running workflow, and start the action once it closes.
    TerminateOther,
    /// Start the action at once, whatever runs. Such runs are not tracked:
    /// they never make a later action overlap, and never pause the
    /// schedule on failure.
    AllowAll,
}

/// How a schedule treats overlapping and late actions, and failures, as
/// Temporal's `SchedulePolicies`.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::schedule::{OverlapPolicy, SchedulePolicies};
/// let policies = SchedulePolicies::new()
///     .overlap(OverlapPolicy::BufferOne)
///     .catchup_window(Duration::from_secs(3600))
///     .pause_on_failure(true);
/// assert_eq!(SchedulePolicies::new().catchup_window, SchedulePolicies::DEFAULT_CATCHUP_WINDOW);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulePolicies {
    /// What to do when an action comes due while the last one still runs.
    pub overlap: OverlapPolicy,
    /// How late an action may still be taken, after the engine was down
    /// or the schedule's owner away: an action whose time is older than
    /// this when the schedule is next processed is dropped and counted in
    /// [`num_actions_missed_catchup_window`](super::ScheduleInfo::num_actions_missed_catchup_window).
    /// One year by default; shorter than
    /// [`MIN_CATCHUP_WINDOW`](Self::MIN_CATCHUP_WINDOW) counts as that.
    pub catchup_window: Duration,
    /// Pause the schedule when a workflow it started fails or times out
    /// (after its retries, if any).
    pub pause_on_failure: bool,
}

impl SchedulePolicies {
    /// Temporal's default catch-up window: 365 days.
    pub const DEFAULT_CATCHUP_WINDOW: Duration = Duration::from_secs(365 * 24 * 3600);
    /// Temporal's shortest catch-up window: 10 seconds.
    pub const MIN_CATCHUP_WINDOW: Duration = Duration::from_secs(10);

    /// Temporal's defaults: skip overlaps, catch up a year, never pause.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the overlap policy.
    pub fn overlap(mut self, overlap: OverlapPolicy) -> Self {
        self.overlap = overlap;
        self
    }

    /// Sets the catch-up window.
    pub fn catchup_window(mut self, window: Duration) -> Self {
        self.catchup_window = window;
        self
    }

    /// Sets whether a failed or timed-out workflow pauses the schedule.
    pub fn pause_on_failure(mut self, pause: bool) -> Self {
        self.pause_on_failure = pause;
        self
    }

    /// The catch-up window in force, in milliseconds.
    pub(super) fn catchup_window_ms(&self) -> i64 {
        millis(self.catchup_window.max(Self::MIN_CATCHUP_WINDOW))
    }
}

impl Default for SchedulePolicies {
    fn default() -> Self {
        SchedulePolicies {
            overlap: OverlapPolicy::Skip,
            catchup_window: Self::DEFAULT_CATCHUP_WINDOW,
            pause_on_failure: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catchup_window_is_at_least_ten_seconds() {
        let policies = SchedulePolicies::new().catchup_window(Duration::from_secs(1));
        assert_eq!(policies.catchup_window_ms(), 10_000);
        assert_eq!(SchedulePolicies::new().catchup_window_ms(), 365 * 86_400_000);
    }

    #[test]
    fn missing_fields_read_as_temporal_defaults() {
        let policies: SchedulePolicies = serde_json::from_str(r#"{"overlap": "BufferAll"}"#).unwrap();
        assert_eq!(policies, SchedulePolicies::new().overlap(OverlapPolicy::BufferAll));
    }
}
