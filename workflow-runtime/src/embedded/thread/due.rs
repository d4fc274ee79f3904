//! What comes due: timers firing, activity timeouts and retries, task
//! retries and expired waits; and activity dispatch.

use std::time::Duration;

use workflow_client::{ApplicationError, ClientError, EventKind, Failure, Marker, Payload, TaskToken, TimeoutKind};

use super::*;
use crate::embedded::task_token::AttemptRef;
use crate::registry::{unregistered, Registrable};

/// The most time between two heartbeats of an attempt that reach the
/// engine thread (and the store) while it heartbeats more often.
const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(100);

impl EngineThread {
    pub(super) fn wake_due(&mut self, now: u64) -> StoreResult<()> {
        while let Some(wake) = self.agenda.pop_due(now) {
            match wake {
                Wake::Timer { run, seq } => {
                    if self.touch(run)?.is_some_and(|open| open.timers.remove(&seq)) {
                        self.store.delete_timer(run, seq)?;
                        self.append(run, EventKind::TimerFired { seq }, now)?;
                        self.mark_dirty(run);
                    }
                }
                Wake::AttemptTimeout { activity, attempt } => {
                    if self.is_attempt(activity, attempt) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::StartToClose,
                        };
                        self.attempt_failed(activity, failure, true, now)?;
                    }
                }
                Wake::HeartbeatTimeout { activity, attempt } => self.check_heartbeat(activity, attempt, now)?,
                Wake::ScheduleTimeout { activity } => {
                    if self.activities.scheduled.contains_key(&activity) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::ScheduleToClose,
                        };
                        self.resolve_activity(activity, Err(failure), now)?;
                    }
                }
                Wake::ActivityRetry { activity, attempt } => {
                    if self.is_attempt(activity, attempt) {
                        self.dispatch(activity, now);
                    }
                }
                Wake::TaskRetry { run } => {
                    if let Some(open) = self.runs.open.get_mut(&run) {
                        open.retry_at = None;
                        self.mark_dirty(run);
                    }
                }
                Wake::RunDue { run } => self.run_due(run, now)?,
                Wake::Schedule { schedule } => self.fire_schedule(schedule, now)?,
                Wake::WaitExpired => self.expire_updates(now),
                Wake::Retention => self.prune_expired(now)?,
            }
        }
        Ok(())
    }

    /// Whether `attempt` is the current attempt of a scheduled activity.
    fn is_attempt(&self, activity: ActivityKey, attempt: u32) -> bool {
        self.activities
            .scheduled
            .get(&activity)
            .is_some_and(|a| a.attempt == attempt)
    }

    pub(super) fn expire_updates(&mut self, now: u64) {
        let (expired, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters.update_deadlines)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.waiters.update_deadlines = keep;
        for (_, run, update_id) in expired {
            let Some(run) = self.runs.open.get_mut(&run) else {
                continue;
            };
            let before = run.pending_updates.len();
            run.pending_updates.retain(|u| u.update_id != update_id);
            if run.pending_updates.len() < before {
                let error = ClientError::NoWorker {
                    task_queue: run.row.task_queue.clone(),
                    waited: Duration::from_millis(self.worker_wait),
                };
                self.finish_update_waiters(&update_id, |_| true, Err(error));
            }
        }
    }

    pub(super) fn arm_schedule_timeout(&mut self, row: &ActivityRow) {
        if let Some(timeout) = row.options.schedule_to_close_timeout {
            let at = row.scheduled_ms.saturating_add(duration_ms(timeout));
            self.agenda.at(at, Wake::ScheduleTimeout { activity: row.key });
        }
    }

    /// Sends an activity's current attempt to a worker, or parks it until one registers.
    pub(super) fn dispatch(&mut self, key: ActivityKey, now: u64) {
        let Some(row) = self.activities.scheduled.get(&key) else {
            return;
        };
        if !self.workers.contains_key(&row.task_queue) {
            self.activities
                .backlog
                .entry(row.task_queue.clone())
                .or_default()
                .push_back(key);
            return;
        }
        let attempt = row.attempt;
        if let Some(timeout) = row.options.start_to_close_timeout {
            let wake = Wake::AttemptTimeout { activity: key, attempt };
            self.agenda.at(now.saturating_add(duration_ms(timeout)), wake);
        }
        let worker = self.worker_for(&row.task_queue, |w| w.offer.serves_activity(&row.activity_type));
        let execute = worker.as_ref().and_then(|w| w.offer.activity(&row.activity_type));
        let (Some(worker), Some(execute)) = (worker, execute) else {
            let registered = self.workers[&row.task_queue]
                .iter()
                .flat_map(|w| w.offer.activity_names());
            let message = unregistered(Registrable::Activity, &row.activity_type, &row.task_queue, registered);
            tracing::warn!(
                workflow_id = %row.workflow_id, attempt, error = %message,
                "activity attempt failed: no worker has the activity; it is retried per its retry policy"
            );
            let error = workflow_client::ApplicationError::new(message).with_type("NotFoundError");
            let done = ActivityDone {
                activity: key,
                attempt,
                result: Err(error),
            };
            // Reported through the same path as a worker's failure, so the retry policy applies.
            if let Err(e) = self.activity_done(done, now) {
                tracing::error!(error = %e, "cannot record activity failure");
            }
            return;
        };
        // Local activities have no heartbeat timeout, as on Temporal.
        if let Some(timeout) = row.options.heartbeat_timeout.filter(|_| !row.local) {
            let wake = Wake::HeartbeatTimeout { activity: key, attempt };
            self.agenda.at(now.saturating_add(duration_ms(timeout)), wake);
        }
        let (cancel, cancelled) = watch::channel(false);
        // Often enough to hold off the heartbeat timeout, and to lose little
        // progress to a crash; rarely enough to cost little.
        let interval = row
            .options
            .heartbeat_timeout
            .map_or(HEARTBEAT_INTERVAL, |t| (t * 4 / 5).min(HEARTBEAT_INTERVAL));
        let heartbeat = HeartbeatSlot::new(interval);
        let task = ActivityTask {
            activity: key,
            info: ActivityInfo {
                activity_type: row.activity_type.clone(),
                attempt,
                workflow_id: row.workflow_id.clone(),
                run_id: row.run_id.clone(),
                task_queue: row.task_queue.clone(),
                is_local: row.local,
                headers: row.header.clone(),
                current_attempt_scheduled_time: UNIX_EPOCH
                    + Duration::from_millis(row.next_attempt_ms.unwrap_or(row.scheduled_ms)),
            },
            args: row.input.clone(),
            execute,
            heartbeat_details: row.heartbeat.clone(),
            cancel: cancelled,
            heartbeat: heartbeat.clone(),
            task_token: AttemptRef {
                run_id: row.run_id.clone(),
                seq: key.seq,
                attempt,
            }
            .token(),
        };
        let running = RunningAttempt {
            cancel,
            heartbeat,
            last_beat_ms: now,
        };
        self.activities.running.insert(key, running);
        self.outbox.dispatches.push((worker, task));
    }

    /// Finishes the running attempt `token` names, which said it completes
    /// asynchronously, as its worker would have.
    pub(super) fn complete_async(
        &mut self,
        token: &TaskToken,
        result: Result<Payload, ApplicationError>,
        now: u64,
    ) -> StoreResult<Result<(), ClientError>> {
        let Some((activity, attempt)) = self.attempt_named(token)? else {
            return Ok(Err(activity_not_found(token)));
        };
        self.activity_done(
            ActivityDone {
                activity,
                attempt,
                result,
            },
            now,
        )?;
        Ok(Ok(()))
    }

    /// Keeps a heartbeat of the running attempt `token` names.
    pub(super) fn heartbeat_async(
        &mut self,
        token: &TaskToken,
        details: Vec<Payload>,
        now: u64,
    ) -> StoreResult<Result<(), ClientError>> {
        let Some((activity, _)) = self.attempt_named(token)? else {
            return Ok(Err(activity_not_found(token)));
        };
        let (Some(running), Some(row)) = (
            self.activities.running.get_mut(&activity),
            self.activities.scheduled.get_mut(&activity),
        ) else {
            return Ok(Err(activity_not_found(token)));
        };
        running.last_beat_ms = now;
        keep_heartbeat(&self.store, row, Some(details), now)?;
        Ok(Ok(()))
    }

    /// The activity and attempt `token` names, while that attempt runs.
    fn attempt_named(&self, token: &TaskToken) -> StoreResult<Option<(ActivityKey, u32)>> {
        let Some(named) = AttemptRef::of(token) else {
            return Ok(None);
        };
        let Some(run) = self.store.run(&named.run_id)? else {
            return Ok(None);
        };
        let activity = ActivityKey {
            run: run.key,
            seq: named.seq,
        };
        let running = self.activities.running.contains_key(&activity) && self.is_attempt(activity, named.attempt);
        Ok(running.then_some((activity, named.attempt)))
    }

    /// Keeps the latest heartbeat of a running attempt: the next attempt
    /// reads its details, and it holds off the heartbeat timeout.
    pub(super) fn heartbeat(&mut self, key: ActivityKey, attempt: u32, now: u64) -> StoreResult<()> {
        let (Some(running), Some(row)) = (
            self.activities.running.get_mut(&key),
            self.activities.scheduled.get_mut(&key),
        ) else {
            return Ok(());
        };
        // A notice from an earlier attempt; the slot is the current one's.
        if row.attempt != attempt {
            return Ok(());
        }
        running.last_beat_ms = now;
        self.outbox.durable = true;
        keep_heartbeat(&self.store, row, running.heartbeat.take(), now)
    }

    /// Fails a running attempt that has not heartbeated within its
    /// heartbeat timeout, or looks again when it could next expire.
    fn check_heartbeat(&mut self, key: ActivityKey, attempt: u32, now: u64) -> StoreResult<()> {
        let (Some(running), Some(row)) = (self.activities.running.get(&key), self.activities.scheduled.get(&key))
        else {
            return Ok(());
        };
        let Some(timeout) = row.options.heartbeat_timeout.filter(|_| row.attempt == attempt) else {
            return Ok(());
        };
        let deadline = running.last_beat_ms.saturating_add(duration_ms(timeout));
        if now < deadline {
            self.agenda
                .at(deadline, Wake::HeartbeatTimeout { activity: key, attempt });
            return Ok(());
        }
        let failure = Failure::Timeout {
            kind: TimeoutKind::Heartbeat,
        };
        self.attempt_failed(key, failure, true, now)
    }

    pub(super) fn activity_done(&mut self, done: ActivityDone, now: u64) -> StoreResult<()> {
        let key = done.activity;
        let Some(row) = self
            .activities
            .scheduled
            .get(&key)
            .filter(|a| a.attempt == done.attempt)
        else {
            return Ok(());
        };
        match done.result {
            Ok(payload) => self.resolve_activity(key, Ok(payload), now),
            Err(error) => {
                let retryable = row.options.retry_policy.retries(&error);
                self.attempt_failed(key, Failure::Application(error), retryable, now)
            }
        }
    }

    /// An attempt failed: the next one is due after the retry policy's
    /// delay, unless the policy or the schedule-to-close timeout says
    /// stop, or the workflow asked the activity to stop.
    pub(super) fn attempt_failed(
        &mut self,
        key: ActivityKey,
        failure: Failure,
        retryable: bool,
        now: u64,
    ) -> StoreResult<()> {
        // Its last heartbeat, which the engine was not yet told of, is the
        // one the next attempt reads.
        let unseen = self.stop_attempt(key).and_then(|attempt| attempt.heartbeat.take());
        let Some(row) = self.activities.scheduled.get_mut(&key) else {
            return Ok(());
        };
        keep_heartbeat(&self.store, row, unseen, now)?;
        let policy = &row.options.retry_policy;
        let delay = duration_ms(policy.delay(row.attempt));
        let attempts_left = policy.allows_after(row.attempt);
        let before_deadline = row
            .options
            .schedule_to_close_timeout
            .is_none_or(|t| now + delay < row.scheduled_ms.saturating_add(duration_ms(t)));
        // An attempt the workflow asked to stop is not retried.
        if row.cancel_requested || !(retryable && attempts_left && before_deadline) {
            return self.resolve_activity(key, Err(failure), now);
        }
        row.attempt += 1;
        row.last_failure = Some(failure);
        row.next_attempt_ms = Some(now + delay);
        let attempt = row.attempt;
        self.outbox.durable |= !row.local;
        self.store.retry_activity(row)?;
        self.agenda
            .at(now + delay, Wake::ActivityRetry { activity: key, attempt });
        Ok(())
    }

    /// The workflow asked an activity to stop (`RequestCancelActivity`). A
    /// running attempt is told, and what it ends with resolves the activity;
    /// otherwise it is canceled now. A run closing in the same task records
    /// nothing more.
    pub(super) fn request_activity_cancel(&mut self, key: ActivityKey, closing: bool, now: u64) -> StoreResult<()> {
        if closing {
            self.store.delete_activity(key)?;
            self.forget_activity(key);
            return Ok(());
        }
        match (
            self.activities.running.get(&key),
            self.activities.scheduled.get_mut(&key),
        ) {
            (Some(running), Some(row)) => {
                let _ = running.cancel.send(true);
                row.cancel_requested = true;
                self.store.set_activity_cancel_requested(key)
            }
            _ => self.resolve_activity(key, Err(Failure::Canceled), now),
        }
    }

    pub(super) fn resolve_activity(
        &mut self,
        key: ActivityKey,
        result: Result<Payload, Failure>,
        now: u64,
    ) -> StoreResult<()> {
        let Some(row) = self.forget_activity(key) else {
            return Ok(());
        };
        let (seq, attempt) = (key.seq, row.attempt);
        // Canceled with no attempt running, or the failure an attempt told
        // to stop ended with.
        let canceled = matches!(&result, Err(failure) if row.cancel_requested || *failure == Failure::Canceled);
        let result = match result {
            Err(_) if canceled => Err(Failure::Canceled),
            Err(cause) => Err(Failure::Activity {
                activity_type: row.activity_type.clone(),
                attempts: attempt,
                cause: Box::new(cause),
            }),
            ok => ok,
        };
        let kind = match result {
            _ if row.local => EventKind::MarkerRecorded {
                marker: Marker::LocalActivity {
                    seq,
                    activity_type: row.activity_type,
                    attempt,
                    result,
                },
            },
            Ok(result) => EventKind::ActivityTaskCompleted { seq, result, attempt },
            Err(_) if canceled => EventKind::ActivityTaskCanceled { seq },
            Err(failure) => EventKind::ActivityTaskFailed { seq, failure, attempt },
        };
        match self.touch(key.run)? {
            // A local activity's row goes when the task that takes in its
            // outcome records the marker: a crash before then runs it again.
            Some(run) if row.local => run.local_outcomes.push(kind),
            Some(_) => {
                self.store.delete_activity(key)?;
                self.append(key.run, kind, now)?;
            }
            None => return self.store.delete_activity(key),
        }
        self.mark_dirty(key.run);
        Ok(())
    }

    /// Drops an activity from the scheduled set and from its run's, telling
    /// a running attempt to stop.
    pub(super) fn forget_activity(&mut self, key: ActivityKey) -> Option<ActivityRow> {
        self.stop_attempt(key);
        if let Some(run) = self.runs.open.get_mut(&key.run) {
            run.activities.remove(&key.seq);
        }
        self.activities.scheduled.remove(&key)
    }

    /// Tells a running attempt whose outcome no longer matters to stop.
    fn stop_attempt(&mut self, key: ActivityKey) -> Option<RunningAttempt> {
        let running = self.activities.running.remove(&key)?;
        let _ = running.cancel.send(true);
        Some(running)
    }
}

fn activity_not_found(token: &TaskToken) -> ClientError {
    ClientError::ActivityNotFound {
        token: token.to_string(),
    }
}

/// Keeps heartbeat `details` as an activity's last, on its row and in the store.
fn keep_heartbeat(store: &Store, row: &mut ActivityRow, details: Option<Vec<Payload>>, now: u64) -> StoreResult<()> {
    let Some(details) = details else {
        return Ok(());
    };
    row.heartbeat = details;
    row.heartbeat_ms = Some(now);
    store.set_activity_heartbeat(row)
}
