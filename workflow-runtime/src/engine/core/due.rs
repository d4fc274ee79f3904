//! What comes due: timers firing, activity timeouts and retries, task
//! retries and expired waits; and activity dispatch.

use std::time::Duration;

use workflow_client::{ClientError, EventKind, Failure, Payload, TimeoutKind};

use super::*;

impl EngineCore {
    pub(super) fn wake_due(&mut self, now: u64) -> StoreResult<()> {
        while let Some(wake) = self.agenda.pop_due(now) {
            match wake {
                Wake::Timer { run_id, seq } => {
                    if self.runs.get_mut(&run_id).is_some_and(|run| run.timers.remove(&seq)) {
                        self.store.delete_timer(&run_id, seq)?;
                        self.append(&run_id, EventKind::TimerFired { seq }, now)?;
                        self.mark_dirty(&run_id);
                    }
                }
                Wake::AttemptTimeout { run_id, seq, attempt } => {
                    let key = (run_id, seq);
                    if self.activities.get(&key).is_some_and(|a| a.row.attempt == attempt) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::StartToClose,
                        };
                        self.attempt_failed(key, failure, true, now)?;
                    }
                }
                Wake::ScheduleTimeout { run_id, seq } => {
                    let key = (run_id, seq);
                    if self.activities.contains_key(&key) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::ScheduleToClose,
                        };
                        self.resolve_activity(key, Err(failure), now)?;
                    }
                }
                Wake::ActivityRetry { run_id, seq, attempt } => {
                    let key = (run_id, seq);
                    if self.activities.get(&key).is_some_and(|a| a.row.attempt == attempt) {
                        self.dispatch(key, now);
                    }
                }
                Wake::TaskRetry { run_id } => {
                    if let Some(run) = self.runs.get_mut(&run_id) {
                        run.retry_at = None;
                        self.mark_dirty(&run_id);
                    }
                }
                Wake::WaitExpired => self.expire_updates(now),
            }
        }
        Ok(())
    }

    pub(super) fn expire_updates(&mut self, now: u64) {
        let (expired, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.update_deadlines)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.update_deadlines = keep;
        for (_, run_id, update_id) in expired {
            let Some(run) = self.runs.get_mut(&run_id) else {
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
            self.agenda.at(
                at,
                Wake::ScheduleTimeout {
                    run_id: row.run_id.clone(),
                    seq: row.seq,
                },
            );
        }
    }

    /// Sends an activity's current attempt to a worker, or parks it until one registers.
    pub(super) fn dispatch(&mut self, key: (String, u32), now: u64) {
        let Some(flight) = self.activities.get(&key) else {
            return;
        };
        let row = &flight.row;
        if !self.workers.contains_key(&row.task_queue) {
            self.backlog.entry(row.task_queue.clone()).or_default().push_back(key);
            return;
        }
        let attempt = row.attempt;
        if let Some(timeout) = row.options.start_to_close_timeout {
            let wake = Wake::AttemptTimeout {
                run_id: key.0.clone(),
                seq: key.1,
                attempt,
            };
            self.agenda.at(now.saturating_add(duration_ms(timeout)), wake);
        }
        let worker = self.worker_for(&row.task_queue, |w| w.offer.activity(&row.activity_type).is_some());
        let Some(worker) = worker else {
            let message = format!(
                "activity `{}` is not registered on any worker of task queue `{}`",
                row.activity_type, row.task_queue
            );
            let error = workflow_client::ApplicationError::new(message).with_type("NotFoundError");
            let done = ActivityDone {
                run_id: key.0,
                seq: key.1,
                attempt,
                result: Err(error),
            };
            // Reported through the same path as a worker's failure, so the retry policy applies.
            if let Err(e) = self.activity_done(done, now) {
                tracing::error!(error = %e, "cannot record activity failure");
            }
            return;
        };
        let execute = worker
            .offer
            .activity(&row.activity_type)
            .expect("picked for this activity");
        let task = ActivityTask {
            run_id: key.0.clone(),
            seq: key.1,
            info: ActivityInfo {
                activity_type: row.activity_type.clone(),
                attempt,
                workflow_id: row.workflow_id.clone(),
                run_id: row.run_id.clone(),
                task_queue: row.task_queue.clone(),
            },
            args: row.input.clone(),
            execute,
        };
        self.running.insert(key);
        self.dispatches.push((worker, task));
    }

    pub(super) fn activity_done(&mut self, done: ActivityDone, now: u64) -> StoreResult<()> {
        let key = (done.run_id, done.seq);
        if self.activities.get(&key).is_none_or(|a| a.row.attempt != done.attempt) {
            return Ok(());
        }
        self.running.remove(&key);
        match done.result {
            Ok(payload) => self.resolve_activity(key, Ok(payload), now),
            Err(error) => {
                let policy = &self.activities[&key].row.options.retry_policy;
                let retryable = !error.is_non_retryable()
                    && !error
                        .error_type()
                        .is_some_and(|t| policy.non_retryable_error_types.iter().any(|n| n == t));
                self.attempt_failed(key, Failure::Application(error), retryable, now)
            }
        }
    }

    pub(super) fn attempt_failed(
        &mut self,
        key: (String, u32),
        failure: Failure,
        retryable: bool,
        now: u64,
    ) -> StoreResult<()> {
        self.running.remove(&key);
        let row = &self.activities[&key].row;
        let policy = &row.options.retry_policy;
        let delay = duration_ms(policy.delay(row.attempt));
        let attempts_left = policy.maximum_attempts == 0 || row.attempt < policy.maximum_attempts;
        let before_deadline = row
            .options
            .schedule_to_close_timeout
            .is_none_or(|t| now + delay < row.scheduled_ms.saturating_add(duration_ms(t)));
        if !(retryable && attempts_left && before_deadline) {
            return self.resolve_activity(key, Err(failure), now);
        }
        let attempt = row.attempt + 1;
        self.store.set_activity_attempt(&key.0, key.1, attempt)?;
        self.activities.get_mut(&key).expect("in flight").row.attempt = attempt;
        let wake = Wake::ActivityRetry {
            run_id: key.0,
            seq: key.1,
            attempt,
        };
        self.agenda.at(now + delay, wake);
        Ok(())
    }

    pub(super) fn resolve_activity(
        &mut self,
        key: (String, u32),
        result: Result<Payload, Failure>,
        now: u64,
    ) -> StoreResult<()> {
        let Some(flight) = self.forget_activity(&key) else {
            return Ok(());
        };
        self.store.delete_activity(&key.0, key.1)?;
        if !self.runs.contains_key(&key.0) {
            return Ok(());
        }
        let (seq, attempt) = (key.1, flight.row.attempt);
        let kind = match result {
            Ok(result) => EventKind::ActivityTaskCompleted { seq, result, attempt },
            Err(cause) => EventKind::ActivityTaskFailed {
                seq,
                failure: Failure::Activity {
                    activity_type: flight.row.activity_type,
                    attempts: attempt,
                    cause: Box::new(cause),
                },
                attempt,
            },
        };
        self.append(&key.0, kind, now)?;
        self.mark_dirty(&key.0);
        Ok(())
    }

    /// Drops an activity from the in-flight set and from its run's.
    pub(super) fn forget_activity(&mut self, key: &(String, u32)) -> Option<InFlight> {
        self.running.remove(key);
        if let Some(run) = self.runs.get_mut(&key.0) {
            run.activities.remove(&key.1);
        }
        self.activities.remove(key)
    }
}
