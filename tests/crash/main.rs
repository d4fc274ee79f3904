//! Crash safety under `kill -9`.
//!
//! This test binary is both the parent and the child. The parent test
//! ([`acknowledged_messages_survive_kill_9`]) spawns the binary again with
//! `WORKFLOW_CRASH_CHILD=<engine file>`, running only [`crash_child`]: the
//! child opens the engine on the file, starts a worker and the workflow of
//! `target.rs` (unless an earlier child started it), and serves a line
//! protocol:
//!
//! * parent to child, on stdin: `signal <n>`, `update <key> <n>`;
//! * child to parent, on stdout, each line prefixed with `@@ ` (the test
//!   harness writes there too) and flushed at once: `ready`, `ack signal
//!   <n>` once the signal call returned `Ok`, `accepted <key> <update id>`
//!   once the update is durably accepted, `ack update <key> <result>` once
//!   it completed, `activity <key> <attempt>` each time the activity runs,
//!   and `fatal ...` / `err ...` on any failure (which fails the test).
//!
//! The parent keeps up to 32 calls in flight and SIGKILLs the child at
//! random moments: 20-200 ms after it is ready with the messages spread
//! over that time, right after a burst of messages, or 20-200 ms after its
//! spawn (so kills also land on the engine's recovery). Then it starts a
//! new child on the same file and goes on with the next messages.
//! Unacknowledged signals are not resent; updates not known to be accepted
//! are resent under the same update id (`start_update_with_id`), so an
//! update whose first send was in fact accepted is not applied again.
//!
//! After the last child has answered everything and exited, the parent
//! opens the engine itself, finishes the workflow and checks (`checks.rs`):
//! every acknowledged signal applied exactly once, all in send order,
//! unacknowledged ones at most once; every update applied exactly once
//! however often it was sent; every update id accepted once and
//! completed once with its activity's result, every acknowledged update
//! applied; each activity resolved exactly once; each timer fired at most
//! once and every fire counted once; the history agrees with the result.
//!
//! Sizes: 2,000 messages and 20 kills; 10,000 and 50 with
//! `WORKFLOW_LONG_TESTS=1`. `WORKFLOW_CRASH_SEED=<n>` replays a run's kill
//! schedule (timing still varies).

mod checks;
mod child;
mod driver;
mod ledger;
mod target;

use std::time::Instant;

use driver::{Config, Driver};

/// The name of the child's entry test, as the harness filters it.
pub const CHILD_TEST: &str = "crash_child";

/// The child process's `main`: does nothing unless `WORKFLOW_CRASH_CHILD` is set.
#[test]
fn crash_child() {
    if let Ok(path) = std::env::var(child::CHILD_ENV) {
        child::serve(&path);
    }
}

#[test]
fn acknowledged_messages_survive_kill_9() {
    if std::env::var_os(child::CHILD_ENV).is_some() {
        return;
    }
    let config = Config::from_env();
    println!(
        "crash test: seed {} (WORKFLOW_CRASH_SEED={0} to replay), {} messages, {} kills",
        config.seed, config.messages, config.kills
    );
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut driver = Driver::new(config, dir.path());
    if let Err(e) = driver.run() {
        panic!("seed {}: {e}", config.seed);
    }
    let done = checks::finish_workflow(driver.db()).unwrap_or_else(|e| panic!("seed {}: {e}", config.seed));
    let (counts, problems) = checks::check(&driver.ledger, &driver.stats.kill_times_ms, &done);
    let ledger = &driver.ledger;
    let stats = &driver.stats;
    let acked_updates = ledger.updates.values().filter(|u| u.acknowledged()).count();
    println!(
        "crash test: seed {}; {} kills survived ({} before ready), slowest open {:?}; {} messages sent: \
         {} signals ({} acked, {} unacked, {} applied, {} unacked applied), {} updates ({} acked, {} resends, \
         {} applied, {} duplicated by resend, {} across a kill); {} activities ({} re-executions, {} across a kill), \
         {} timers fired ({} across a kill); a heartbeating activity run {} times, resuming from {}; {} history events; {:.1?}",
        config.seed,
        stats.kills,
        stats.kills_before_ready,
        stats.slowest_open,
        ledger.signals_sent.len() + ledger.updates.len(),
        ledger.signals_sent.len(),
        ledger.signals_acked.len(),
        ledger.signals_unacked.len(),
        counts.signals_applied,
        counts.unacked_signals_applied,
        ledger.updates.len(),
        acked_updates,
        stats.resends,
        counts.updates_applied,
        counts.updates_duplicated_by_resend,
        counts.updates_across_kills,
        counts.activities_completed,
        counts.activity_reexecutions,
        counts.activities_across_kills,
        counts.timers_fired,
        counts.timers_across_kills,
        ledger.progress_starts.len(),
        checks::sample(&ledger.progress_starts),
        done.history.events.len(),
        started.elapsed(),
    );
    assert!(stats.kills >= config.kills, "only {} kills", stats.kills);
    assert!(problems.is_empty(), "seed {}: {}", config.seed, problems.join("\n"));
}
