//! The final verification: the parent opens the engine file itself, finishes
//! the workflow, and checks its result and history against the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use workflow::{Engine, EventKind, History, Marker, Payload};

use crate::ledger::Ledger;
use crate::target::{
    expected_update_result, Applied, CrashTarget, LOCAL_STEPS, PROGRESS_STEPS, TASK_QUEUE, WORKFLOW_ID,
};

/// What the reopened engine reports.
pub struct Final {
    /// The `applied` query's answer before `finish`.
    pub queried: Applied,
    /// The workflow's result.
    pub applied: Applied,
    pub history: History,
}

/// Opens the engine in this process, queries the workflow, finishes it and
/// reads its result and history.
pub fn finish_workflow(db: &Path) -> Result<Final, String> {
    let runtime = crate::target::runtime();
    runtime.block_on(async {
        let engine = Engine::open(db).map_err(|e| format!("the engine does not reopen: {e}"))?;
        let _worker = engine
            .worker(TASK_QUEUE)
            .workflow::<CrashTarget>()
            .activity(crate::target::record)
            .activity(crate::target::progress)
            .activity(crate::target::increment)
            .start()
            .map_err(|e| e.to_string())?;
        let handle = engine.client().get_workflow_handle_for(CrashTarget::run, WORKFLOW_ID);
        let call = |what: &'static str| move |e: workflow::ClientError| format!("{what}: {e}");
        let queried = handle.query(CrashTarget::applied, ()).await.map_err(call("query"))?;
        let description = handle.describe().await.map_err(call("describe"))?;
        if let Some(failure) = description.task_failure {
            return Err(format!("the workflow's task fails: {failure}"));
        }
        handle.signal(CrashTarget::finish, ()).await.map_err(call("finish"))?;
        let applied = match tokio::time::timeout(Duration::from_secs(60), handle.result()).await {
            Ok(result) => result.map_err(call("result"))?,
            Err(_) => {
                let description = handle.describe().await.map_err(call("describe"))?;
                return Err(format!("the workflow did not finish within 60 s: {description:?}"));
            }
        };
        let history = handle.fetch_history().await.map_err(call("history"))?;
        engine.close();
        Ok(Final {
            queried,
            applied,
            history,
        })
    })
}

/// Counts for the summary line.
#[derive(Debug, Default)]
pub struct Counts {
    pub signals_applied: usize,
    pub unacked_signals_applied: usize,
    pub updates_applied: usize,
    /// Applications of a logical update beyond its first: a resend of an
    /// update whose first send was accepted without the client knowing.
    pub updates_duplicated_by_resend: usize,
    pub activities_completed: usize,
    pub activity_reexecutions: usize,
    pub timers_fired: usize,
    /// Timers started before a kill and fired after it.
    pub timers_across_kills: usize,
    /// Activities scheduled before a kill and completed after it.
    pub activities_across_kills: usize,
    /// Updates accepted before a kill and completed after it.
    pub updates_across_kills: usize,
}

/// Whether a kill happened between two event times (an event recorded
/// before a kill has a time at or before it; one recorded after, later).
fn kill_between(kills: &[u64], from_ms: u64, to_ms: u64) -> bool {
    kills
        .get(kills.partition_point(|&k| k < from_ms))
        .is_some_and(|&k| k < to_ms)
}

/// Every check; returns the problems found (empty when all hold).
pub fn check(ledger: &Ledger, kills: &[u64], done: &Final) -> (Counts, Vec<String>) {
    let mut problems = Vec::new();
    let mut counts = Counts::default();
    check_signals(ledger, &done.applied, &mut counts, &mut problems);
    check_signal_history(&done.applied, &done.history, &mut problems);
    check_updates(ledger, &done.applied, &done.history, &mut counts, &mut problems);
    check_activities(ledger, &done.history, &mut counts, &mut problems);
    check_progress(ledger, &done.applied, &mut problems);
    check_local_chain(&done.applied, &done.history, &mut problems);
    check_timers(&done.applied, &done.history, &mut counts, &mut problems);
    count_across_kills(kills, &done.history, &mut counts);
    check_close(done, &mut problems);
    (counts, problems)
}

/// Applied signals: in send order with no duplicate (strictly increasing),
/// all sent, every acknowledged one present.
fn check_signals(ledger: &Ledger, applied: &Applied, counts: &mut Counts, problems: &mut Vec<String>) {
    for pair in applied.signals.windows(2) {
        if pair[0] >= pair[1] {
            problems.push(format!(
                "signal {} applied after signal {} (out of order or twice)",
                pair[1], pair[0]
            ));
        }
    }
    let sent: BTreeSet<u64> = ledger.signals_sent.iter().copied().collect();
    let present: BTreeSet<u64> = applied.signals.iter().copied().collect();
    for n in present.difference(&sent) {
        problems.push(format!("signal {n} applied but never sent"));
    }
    let lost: Vec<u64> = ledger.signals_acked.difference(&present).copied().collect();
    if !lost.is_empty() {
        problems.push(format!("{} acknowledged signals lost: {}", lost.len(), sample(&lost)));
    }
    counts.signals_applied = applied.signals.len();
    counts.unacked_signals_applied = ledger.signals_unacked.intersection(&present).count();
}

/// The history's `add` signals are exactly the applied ones, and `finish`
/// arrived once.
fn check_signal_history(applied: &Applied, history: &History, problems: &mut Vec<String>) {
    let mut recorded = Vec::new();
    let mut finishes = 0;
    for event in &history.events {
        if let EventKind::WorkflowExecutionSignaled { signal_name, input, .. } = &event.kind {
            match signal_name.as_str() {
                "add" => recorded.push(decode::<u64>(input, 0)),
                "finish" => finishes += 1,
                other => problems.push(format!("unexpected signal `{other}` in history")),
            }
        }
    }
    if recorded
        .iter()
        .map(|r| r.as_ref().ok())
        .ne(applied.signals.iter().map(Some))
    {
        problems.push(format!(
            "history records {} `add` signals, the workflow applied {}; they differ",
            recorded.len(),
            applied.signals.len()
        ));
    }
    if finishes != 1 {
        problems.push(format!("`finish` recorded {finishes} times"));
    }
}

/// Update ids in history: each accepted once and completed once with the
/// activity's result; logical updates: applied once per accepted id, at
/// least once when acknowledged, at most once per send.
fn check_updates(
    ledger: &Ledger,
    applied: &Applied,
    history: &History,
    counts: &mut Counts,
    problems: &mut Vec<String>,
) {
    let mut accepted: BTreeMap<&str, (String, u64)> = BTreeMap::new();
    let mut completed: BTreeSet<&str> = BTreeSet::new();
    for event in &history.events {
        match &event.kind {
            EventKind::WorkflowExecutionUpdateAccepted { update_id, input, .. } => match key_and_n(input) {
                Ok(args) => {
                    if accepted.insert(update_id, args).is_some() {
                        problems.push(format!("update id {update_id} accepted twice"));
                    }
                }
                Err(e) => problems.push(format!("update id {update_id}: bad input: {e}")),
            },
            EventKind::WorkflowExecutionUpdateCompleted { update_id, outcome } => {
                let Some((key, n)) = accepted.get(update_id.as_str()) else {
                    problems.push(format!("update id {update_id} completed but never accepted"));
                    continue;
                };
                if !completed.insert(update_id) {
                    problems.push(format!("update id {update_id} ({key}) completed twice"));
                }
                let result = outcome
                    .as_ref()
                    .map_err(|f| f.to_string())
                    .map(Payload::decode::<String>);
                if !matches!(&result, Ok(Ok(r)) if *r == expected_update_result(key, *n)) {
                    problems.push(format!("update id {update_id} ({key}) completed with {result:?}"));
                }
            }
            _ => {}
        }
    }
    for (id, (key, _)) in &accepted {
        if !completed.contains(id) {
            problems.push(format!("update id {id} ({key}) accepted but never completed"));
        }
    }
    let mut in_history: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, n) in accepted.values() {
        *in_history.entry(key).or_default() += 1;
        match ledger.updates.get(key) {
            Some(record) if record.n == *n => {}
            _ => problems.push(format!("update {key}({n}) in history was never sent")),
        }
    }
    let mut in_state: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, result) in &applied.updates {
        *in_state.entry(key).or_default() += 1;
        let expected = ledger.updates.get(key).map(|r| expected_update_result(key, r.n));
        if expected.as_ref() != Some(result) {
            problems.push(format!(
                "update {key} applied with result {result}, expected {expected:?}"
            ));
        }
    }
    if in_state != in_history {
        problems.push(format!(
            "updates applied per key {in_state:?} differ from those accepted {in_history:?}"
        ));
    }
    for (key, record) in &ledger.updates {
        let times = in_history.get(key.as_str()).copied().unwrap_or(0);
        check_update_record(key, record, times, &accepted, problems);
        counts.updates_duplicated_by_resend += times.saturating_sub(1);
    }
    counts.updates_applied = applied.updates.len();
}

fn check_update_record(
    key: &str,
    record: &crate::ledger::UpdateRecord,
    times: usize,
    accepted: &BTreeMap<&str, (String, u64)>,
    problems: &mut Vec<String>,
) {
    if record.acknowledged() && times == 0 {
        problems.push(format!("acknowledged update {key} lost"));
    }
    if times > 1 {
        problems.push(format!(
            "update {key} applied {times} times (sent {} times under one update id)",
            record.sends
        ));
    }
    for id in &record.accepted {
        if accepted.get(id.as_str()).is_none_or(|(k, _)| k != key) {
            problems.push(format!("update {key}: accepted id {id} missing from history"));
        }
    }
    let expected = expected_update_result(key, record.n);
    if record.result.as_ref().is_some_and(|r| *r != expected) {
        problems.push(format!(
            "update {key} acknowledged with {:?}, expected {expected}",
            record.result
        ));
    }
}

/// Each scheduled activity completed exactly once, with `2 * n`; one per
/// applied update.
fn check_activities(ledger: &Ledger, history: &History, counts: &mut Counts, problems: &mut Vec<String>) {
    let mut scheduled: BTreeMap<u32, (String, u64)> = BTreeMap::new();
    let mut resolved: BTreeMap<u32, usize> = BTreeMap::new();
    for event in &history.events {
        match &event.kind {
            EventKind::ActivityTaskScheduled {
                seq,
                input,
                activity_type,
                ..
            } if activity_type == "record" => match key_and_n(input) {
                Ok(args) => {
                    if scheduled.insert(*seq, args).is_some() {
                        problems.push(format!("activity seq {seq} scheduled twice"));
                    }
                }
                Err(e) => problems.push(format!("activity seq {seq}: bad input: {e}")),
            },
            EventKind::ActivityTaskCompleted { seq, result, .. } if scheduled.contains_key(seq) => {
                *resolved.entry(*seq).or_default() += 1;
                match scheduled.get(seq) {
                    Some((_, n)) if result.decode::<u64>().ok() == Some(n * 2) => {}
                    Some((key, n)) => problems.push(format!("activity seq {seq} ({key}, {n}) returned {result:?}")),
                    None => problems.push(format!("activity seq {seq} completed but never scheduled")),
                }
            }
            EventKind::ActivityTaskFailed { seq, failure, .. } => {
                *resolved.entry(*seq).or_default() += 1;
                problems.push(format!("activity seq {seq} failed: {failure}"));
            }
            _ => {}
        }
    }
    for (seq, (key, _)) in &scheduled {
        match resolved.get(seq).copied().unwrap_or(0) {
            1 => {}
            times => problems.push(format!("activity seq {seq} ({key}) resolved {times} times")),
        }
    }
    let completions = history.events_named("WorkflowExecutionUpdateCompleted").count();
    if scheduled.len() != completions {
        problems.push(format!(
            "{} activities scheduled for {completions} completed updates",
            scheduled.len()
        ));
    }
    counts.activities_completed = resolved.values().sum();
    let executions: u32 = ledger.activity_runs.values().sum();
    counts.activity_reexecutions = (executions as usize).saturating_sub(counts.activities_completed);
}

/// The heartbeating activity finished, and each execution resumed from a
/// heartbeat no older than the previous execution's: a heartbeat the
/// engine kept is never lost to a later kill. With kills during it, some
/// execution resumed from a heartbeat, not from the start.
/// The chain of local activities got to its end, with one marker per call:
/// a call cut short by a kill ran again, and none was recorded twice.
fn check_local_chain(applied: &Applied, history: &History, problems: &mut Vec<String>) {
    if applied.local_steps != LOCAL_STEPS {
        problems.push(format!("the local activity chain got to {}", applied.local_steps));
    }
    let mut seqs: Vec<u32> = history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MarkerRecorded {
                marker: Marker::LocalActivity { seq, .. },
            } => Some(*seq),
            _ => None,
        })
        .collect();
    let recorded = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    if seqs.len() != recorded || recorded as u64 != LOCAL_STEPS {
        problems.push(format!(
            "{recorded} local activity markers for {} calls ({} distinct)",
            LOCAL_STEPS,
            seqs.len()
        ));
    }
}

fn check_progress(ledger: &Ledger, applied: &Applied, problems: &mut Vec<String>) {
    if applied.progress != PROGRESS_STEPS {
        problems.push(format!("`progress` returned {}", applied.progress));
    }
    let starts = &ledger.progress_starts;
    if starts.windows(2).any(|w| w[1] < w[0]) {
        problems.push(format!(
            "`progress` resumed from an older heartbeat: {}",
            sample(starts)
        ));
    }
    if starts.len() > 1 && starts.iter().all(|&s| s == 0) {
        problems.push(format!("`progress` ran {} times, each from the start", starts.len()));
    }
}

/// Each timer fired at most once, after it started; every fire is one tick.
fn check_timers(applied: &Applied, history: &History, counts: &mut Counts, problems: &mut Vec<String>) {
    let mut started = BTreeSet::new();
    let mut fired = BTreeSet::new();
    for event in &history.events {
        match &event.kind {
            EventKind::TimerStarted { seq, .. } if !started.insert(*seq) => {
                problems.push(format!("timer seq {seq} started twice"));
            }
            EventKind::TimerFired { seq } => {
                if !started.contains(seq) {
                    problems.push(format!("timer seq {seq} fired before it started"));
                }
                if !fired.insert(*seq) {
                    problems.push(format!("timer seq {seq} fired twice"));
                }
            }
            EventKind::TimerCanceled { seq } => problems.push(format!("timer seq {seq} canceled")),
            _ => {}
        }
    }
    if started != fired {
        let unfired: Vec<u32> = started.difference(&fired).copied().collect();
        problems.push(format!("timers started but never fired: {unfired:?}"));
    }
    if applied.ticks != fired.len() as u64 {
        problems.push(format!("{} ticks for {} timers fired", applied.ticks, fired.len()));
    }
    counts.timers_fired = fired.len();
}

/// How many timers, activities and updates a kill interrupted.
fn count_across_kills(kills: &[u64], history: &History, counts: &mut Counts) {
    let mut timers = BTreeMap::new();
    let mut activities = BTreeMap::new();
    let mut updates = BTreeMap::new();
    for event in &history.events {
        let time = event.time_ms;
        match &event.kind {
            EventKind::TimerStarted { seq, .. } => _ = timers.insert(*seq, time),
            EventKind::ActivityTaskScheduled { seq, .. } => _ = activities.insert(*seq, time),
            EventKind::WorkflowExecutionUpdateAccepted { update_id, .. } => _ = updates.insert(update_id, time),
            EventKind::TimerFired { seq } if timers.get(seq).is_some_and(|&t| kill_between(kills, t, time)) => {
                counts.timers_across_kills += 1;
            }
            EventKind::ActivityTaskCompleted { seq, .. }
                if activities.get(seq).is_some_and(|&t| kill_between(kills, t, time)) =>
            {
                counts.activities_across_kills += 1;
            }
            EventKind::WorkflowExecutionUpdateCompleted { update_id, .. }
                if updates.get(update_id).is_some_and(|&t| kill_between(kills, t, time)) =>
            {
                counts.updates_across_kills += 1;
            }
            _ => {}
        }
    }
}

/// The run completed once, last, with the result the client got; the
/// query before `finish` saw a prefix of it.
fn check_close(done: &Final, problems: &mut Vec<String>) {
    let closes: Vec<_> = done
        .history
        .events
        .iter()
        .filter(|e| e.kind.closing_status().is_some())
        .collect();
    match closes.as_slice() {
        [close] if Some(close.id) == done.history.events.last().map(|e| e.id) => {
            if let EventKind::WorkflowExecutionCompleted { result } = &close.kind {
                if result.decode::<Applied>().ok().as_ref() != Some(&done.applied) {
                    problems.push("the recorded result differs from the one returned".to_owned());
                }
            } else {
                problems.push(format!("the run closed with {}", close.kind.name()));
            }
        }
        _ => problems.push(format!("{} closing events, or not last", closes.len())),
    }
    if !done.applied.signals.starts_with(&done.queried.signals) {
        problems.push("the signals queried before `finish` are not a prefix of the result's".to_owned());
    }
}

/// The `(key, n)` arguments of an update or of its activity.
fn key_and_n(input: &[Payload]) -> Result<(String, u64), String> {
    Ok((decode(input, 0)?, decode(input, 1)?))
}

fn decode<T: serde::de::DeserializeOwned>(input: &[Payload], index: usize) -> Result<T, String> {
    let payload = input.get(index).ok_or_else(|| format!("no argument {index}"))?;
    payload.decode().map_err(|e| e.to_string())
}

/// The first few values of a list, for messages.
pub fn sample(values: &[u64]) -> String {
    let shown: Vec<String> = values.iter().take(20).map(u64::to_string).collect();
    let more = values.len().saturating_sub(20);
    match more {
        0 => shown.join(", "),
        _ => format!("{} and {more} more", shown.join(", ")),
    }
}
