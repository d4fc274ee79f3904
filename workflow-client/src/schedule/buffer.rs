//! The starts a schedule holds back, and which of them go now, wait or are
//! dropped given whether its last workflow still runs: Temporal's
//! `processBuffer`, without the I/O.

use serde::{Deserialize, Serialize};

use super::policy::OverlapPolicy;

/// An action that came due and waits its turn in a schedule's buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferedStart {
    /// The time the spec matched (or the trigger time), in milliseconds
    /// since the epoch.
    pub nominal_ms: i64,
    /// The nominal time plus jitter.
    pub actual_ms: i64,
    /// The policy it came with; `None` follows the schedule's, as it is
    /// when the start is decided, so a policy update reaches it.
    pub overlap: Option<OverlapPolicy>,
    /// Triggered by hand: taken even while the schedule is paused.
    pub manual: bool,
}

/// What to do with a buffer now.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Decision {
    /// Start now, untracked, whatever runs (`AllowAll`).
    pub(super) overlapping: Vec<BufferedStart>,
    /// Start now as the schedule's tracked run.
    pub(super) next: Option<BufferedStart>,
    /// Keep for after the running workflow closes.
    pub(super) buffer: Vec<BufferedStart>,
    /// Cancel the running workflow.
    pub(super) cancel: bool,
    /// Terminate the running workflow.
    pub(super) terminate: bool,
    /// Dropped because they overlap.
    pub(super) skipped: u64,
}

/// Decides a buffer, oldest start first. `running` says whether the
/// schedule's tracked workflow is still open; `default` is the schedule's
/// overlap policy.
///
/// Only one tracked start goes per decision: the ones after it overlap
/// with it, even if it will close at once. So catching up with `Skip`
/// takes one action and skips the rest, while `BufferAll` takes them all,
/// one per closed run (Temporal does the same).
pub(super) fn decide(buffer: Vec<BufferedStart>, running: bool, default: OverlapPolicy) -> Decision {
    let mut decision = Decision::default();
    for start in buffer {
        let policy = start.overlap.unwrap_or(default);
        let overlaps = running || decision.next.is_some();
        match policy {
            OverlapPolicy::AllowAll => decision.overlapping.push(start),
            _ if !overlaps => decision.next = Some(start),
            OverlapPolicy::Skip => decision.skipped += 1,
            OverlapPolicy::BufferOne if !decision.buffer.is_empty() => decision.skipped += 1,
            OverlapPolicy::BufferOne | OverlapPolicy::BufferAll => decision.buffer.push(start),
            OverlapPolicy::CancelOther | OverlapPolicy::TerminateOther if running => {
                decision.cancel |= policy == OverlapPolicy::CancelOther;
                decision.terminate |= policy == OverlapPolicy::TerminateOther;
                decision.buffer.push(start);
            }
            // What it would cancel has not started yet: it takes its place.
            OverlapPolicy::CancelOther | OverlapPolicy::TerminateOther => decision.next = Some(start),
        }
    }
    if decision.cancel || decision.terminate {
        // They would be canceled or terminated right away with the rest.
        decision.overlapping.clear();
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use OverlapPolicy::*;

    fn start(nominal_ms: i64) -> BufferedStart {
        BufferedStart {
            nominal_ms,
            actual_ms: nominal_ms,
            overlap: None,
            manual: false,
        }
    }

    fn starts(times: &[i64]) -> Vec<BufferedStart> {
        times.iter().copied().map(start).collect()
    }

    #[test]
    fn with_nothing_running_the_oldest_start_goes_and_the_rest_overlap_it() {
        assert_eq!(
            decide(starts(&[1, 2, 3]), false, Skip),
            Decision {
                next: Some(start(1)),
                skipped: 2,
                ..Decision::default()
            }
        );
        assert_eq!(
            decide(starts(&[1, 2, 3]), false, BufferAll),
            Decision {
                next: Some(start(1)),
                buffer: starts(&[2, 3]),
                ..Decision::default()
            }
        );
    }

    #[test]
    fn while_running_each_policy_skips_keeps_or_clears_the_way() {
        let running = |policy| decide(starts(&[1, 2, 3]), true, policy);
        assert_eq!(
            running(Skip),
            Decision {
                skipped: 3,
                ..Decision::default()
            }
        );
        assert_eq!(
            running(BufferOne),
            Decision {
                buffer: starts(&[1]),
                skipped: 2,
                ..Decision::default()
            }
        );
        assert_eq!(
            running(BufferAll),
            Decision {
                buffer: starts(&[1, 2, 3]),
                ..Decision::default()
            }
        );
        assert_eq!(
            running(CancelOther),
            Decision {
                buffer: starts(&[1, 2, 3]),
                cancel: true,
                ..Decision::default()
            }
        );
        assert_eq!(
            running(TerminateOther),
            Decision {
                buffer: starts(&[1, 2, 3]),
                terminate: true,
                ..Decision::default()
            }
        );
        assert_eq!(
            running(AllowAll),
            Decision {
                overlapping: starts(&[1, 2, 3]),
                ..Decision::default()
            }
        );
    }

    #[test]
    fn cancel_other_with_nothing_running_starts_only_the_latest() {
        assert_eq!(
            decide(starts(&[1, 2, 3]), false, CancelOther),
            Decision {
                next: Some(start(3)),
                ..Decision::default()
            }
        );
    }

    #[test]
    fn a_start_keeps_the_policy_it_came_with() {
        let trigger = BufferedStart {
            overlap: Some(AllowAll),
            manual: true,
            ..start(9)
        };
        assert_eq!(
            decide(vec![start(1), trigger.clone()], true, Skip),
            Decision {
                overlapping: vec![trigger],
                skipped: 1,
                ..Decision::default()
            }
        );
    }

    #[test]
    fn clearing_the_way_drops_starts_that_would_be_cleared_too() {
        let buffer = vec![
            BufferedStart {
                overlap: Some(AllowAll),
                ..start(1)
            },
            start(2),
        ];
        assert_eq!(
            decide(buffer, true, TerminateOther),
            Decision {
                buffer: starts(&[2]),
                terminate: true,
                ..Decision::default()
            }
        );
    }
}
