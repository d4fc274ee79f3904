//! What the engine thread must do at a given time: fire timers, time out
//! and retry activities, retry failed workflow tasks, expire waits.
//!
//! Entries are not removed when they become moot (a timer canceled, an
//! activity completed); each is checked against current state when due.

use std::collections::BTreeSet;

/// Something due at a time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Wake {
    Timer { run_id: String, seq: u32 },
    AttemptTimeout { run_id: String, seq: u32, attempt: u32 },
    ScheduleTimeout { run_id: String, seq: u32 },
    ActivityRetry { run_id: String, seq: u32, attempt: u32 },
    TaskRetry { run_id: String },
    WaitExpired,
}

#[derive(Default)]
pub(crate) struct Agenda {
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

    pub(crate) fn clear(&mut self) {
        self.due.clear();
    }
}
