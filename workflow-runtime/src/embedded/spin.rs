//! A short busy wait, for answers that are microseconds away.

use std::ops::ControlFlow;
use std::time::Duration;

/// Tries `attempt` until it gives an answer (`Break`) or `budget` has
/// passed: a short busy wait that is cheaper than putting a thread to sleep
/// and waking it when the answer is microseconds away.
pub(crate) fn spin<T>(budget: Duration, mut attempt: impl FnMut() -> ControlFlow<Option<T>>) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        match attempt() {
            ControlFlow::Break(answer) => return answer,
            ControlFlow::Continue(()) if started.elapsed() < budget => std::hint::spin_loop(),
            ControlFlow::Continue(()) => return None,
        }
    }
}
