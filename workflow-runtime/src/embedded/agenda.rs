//! What the engine thread must do at a given time: fire timers, time out
//! and retry activities, retry failed workflow tasks, expire waits.
//!
//! Entries are not removed when they become moot (a timer canceled, an
//! activity completed); each is checked against current state when due.

use std::collections::BTreeSet;

use super::store::{ActivityKey, RunKey, ScheduleKey};

/// Something due at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Wake {
    /// A run's timer fires.
    Timer { run: RunKey, seq: u32 },
    /// An activity attempt ran out of its start-to-close time.
    AttemptTimeout { activity: ActivityKey, attempt: u32 },
    /// An activity attempt may have gone too long without a heartbeat.
    HeartbeatTimeout { activity: ActivityKey, attempt: u32 },
    /// An activity ran out of its schedule-to-close time.
    ScheduleTimeout { activity: ActivityKey },
    /// An activity's next attempt is due.
    ActivityRetry { activity: ActivityKey, attempt: u32 },
    /// A run's failed workflow task is tried again.
    TaskRetry { run: RunKey },
    /// A run's delayed first task is due, or its time is up.
    RunDue { run: RunKey },
    /// A schedule may have an action due.
    Schedule { schedule: ScheduleKey },
    /// Queries and updates waiting for a worker may have waited too long.
    WaitExpired,
    /// Closed runs past their retention are deleted.
    Retention,
}

/// The engine's entries by due time.
#[derive(Default)]
pub(crate) struct Agenda {
    /// Entries ordered by due time (ms since the epoch).
    due: BTreeSet<(u64, Wake)>,
}

impl Agenda {
    pub(crate) fn at(&mut self, time_ms: u64, wake: Wake) {
        self.due.insert((time_ms, wake));
    }

    /// The earliest due time.
    pub(crate) fn next(&self) -> Option<u64> {
        self.due.first().map(|(t, _)| *t)
    }

    /// Removes and returns the next entry due at or before `now_ms`.
    pub(crate) fn pop_due(&mut self, now_ms: u64) -> Option<Wake> {
        match self.due.first() {
            Some((t, _)) if *t <= now_ms => self.due.pop_first().map(|(_, w)| w),
            _ => None,
        }
    }

    /// How many timers it holds.
    pub(crate) fn timers(&self) -> usize {
        self.due.iter().filter(|(_, w)| matches!(w, Wake::Timer { .. })).count()
    }

    pub(crate) fn clear(&mut self) {
        self.due.clear();
    }
}
