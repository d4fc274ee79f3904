//! Workflow tasks: feeding new history to a run, recording its commands,
//! and what they do (timers, activities, signals, children, closing).

use std::sync::Arc;
use std::time::Duration;

use workflow_client::{
    ActivityCancellationType, ClientError, EventKind, ExternalFailureCause, Failure, Marker, ParentClosePolicy,
    ParentInfo, Payload, UpdateRequest, UpdateStatus, WaitStage, WorkflowStatus,
};

use super::*;
use crate::executor::{activate_timed, RunLabel};
use crate::registry::{unregistered, Registrable};
use crate::replay::local_activity_resolution;

impl EngineThread {
    pub(super) fn worker_for(
        &self,
        task_queue: &str,
        pick: impl Fn(&Registration) -> bool,
    ) -> Option<Arc<Registration>> {
        self.workers.get(task_queue)?.iter().find(|w| pick(w)).cloned()
    }

    pub(super) fn factory(&self, task_queue: &str, workflow_type: &str) -> Result<Factory, Unavailable> {
        if !self.workers.contains_key(task_queue) {
            return Err(Unavailable::NoWorker);
        }
        self.worker_for(task_queue, |w| w.offer.serves_workflow(workflow_type))
            .and_then(|w| w.offer.workflow(workflow_type))
            .ok_or_else(|| {
                let registered = self.workers[task_queue].iter().flat_map(|w| w.offer.workflow_names());
                Unavailable::Failed(unregistered(
                    Registrable::WorkflowType,
                    workflow_type,
                    task_queue,
                    registered,
                ))
            })
    }

    /// The live instance of a run: from the cache, or rebuilt from history.
    pub(super) fn acquire(&mut self, row: &RunRow) -> StoreResult<Result<Box<dyn RunInstance>, Unavailable>> {
        if let Some(instance) = self.cache.take(row.key) {
            return Ok(Ok(instance));
        }
        // An open run replays what its tasks took in; a closed one, all of it.
        let upto = match self.runs.open.get(&row.key) {
            Some(run) => run.row.progress.inputs_from,
            None => u64::MAX,
        };
        let factory = match self.factory(&row.task_queue, &row.workflow_type) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        let mut instance = factory.instance(self.limits.max_pending_outgoing_signals);
        let events = match self.store.events_between(row.key, 1, upto) {
            Ok(events) => events,
            Err(e @ StoreError::Undecodable { .. }) => return Ok(Err(Unavailable::Failed(e.to_string()))),
            Err(e) => return Err(e),
        };
        Ok(
            match replay(&mut *instance, &events, &row.workflow_id, &row.run_id, &self.limits) {
                Ok(()) => Ok(instance),
                Err(e) => Err(Unavailable::Failed(e.to_string())),
            },
        )
    }

    /// The `log_slow_activations` threshold of the worker serving a workflow
    /// type: the same worker `factory` picks.
    fn slow_activations(&self, task_queue: &str, workflow_type: &str) -> Option<Duration> {
        self.worker_for(task_queue, |w| w.offer.serves_workflow(workflow_type))?
            .offer
            .slow_activations()
    }

    pub(super) fn release(&mut self, run: RunKey, instance: Box<dyn RunInstance>) {
        self.cache.put(run, instance, &mut self.runs.evicted);
    }

    pub(super) fn process_dirty(&mut self, now: u64) -> StoreResult<()> {
        while let Some(run) = self.dirty.order.pop_front() {
            self.dirty.set.remove(&run);
            self.workflow_task(run, now)?;
        }
        Ok(())
    }

    pub(super) fn workflow_task(&mut self, key: RunKey, now: u64) -> StoreResult<()> {
        let Some(run) = self.runs.open.get(&key) else {
            return Ok(());
        };
        if run.retry_at.is_some_and(|t| t > now)
            || run.row.settings.first_task_waits(now)
            || !run.has_work()
            || !self.workers.contains_key(&run.row.task_queue)
        {
            return Ok(());
        }
        let inputs = run.inputs.clone();
        let suggest = Suggest {
            history_events: run.row.progress.history_length,
            signals: run.row.progress.signals_received,
        };
        let row = run.row.clone();
        // The activation changes the state, also when it takes inputs appended
        // in an earlier batch (a retry after a failed task).
        self.memo.forget(&row.workflow_id);
        let run = self.run_mut(key)?;
        let updates = std::mem::take(&mut run.pending_updates);
        let locals = std::mem::take(&mut run.local_outcomes);
        let mut instance = match self.acquire(&row)? {
            Ok(instance) => instance,
            Err(Unavailable::NoWorker) => {
                let run = self.run_mut(key)?;
                run.pending_updates = updates;
                run.local_outcomes = locals;
                return Ok(());
            }
            Err(Unavailable::Failed(message)) => return self.task_failed(key, message, updates, locals, now),
        };
        let mut jobs: Vec<Job> = inputs
            .iter()
            .filter_map(|e| job_for(&e.kind, &row.workflow_id, &row.run_id))
            .collect();
        jobs.extend(updates.iter().map(|u| Job::Update {
            id: u.update_id.clone(),
            name: u.name.clone(),
            args: u.args.clone(),
            validate: true,
            header: u.header.clone(),
        }));
        let label = RunLabel {
            workflow_id: &row.workflow_id,
            run_id: &row.run_id,
            workflow_type: &row.workflow_type,
        };
        let slow = self.slow_activations(&row.task_queue, &row.workflow_type);
        let task_started = std::time::Instant::now();
        // The run's inputs, then the local activities that finished, each
        // an activation of the one task, as Temporal's Core takes them: the
        // markers are recorded between the commands of the two.
        let mut activate = |jobs: Vec<Job>| {
            let activation = Activation {
                now: time_of(now),
                replaying: false,
                history_length: suggest.history_events,
                continue_as_new_suggested: suggest.suggested(&self.limits),
                jobs,
            };
            activate_timed(&mut *instance, activation, slow, label)
        };
        let mut commands = match jobs.is_empty() {
            true => Ok(Vec::new()),
            false => activate(jobs),
        };
        let markers_at = commands.as_ref().map_or(0, Vec::len);
        if let Ok(before) = &mut commands {
            if !locals.is_empty() && !before.iter().any(Command::is_closing) {
                let resolved = locals.iter().filter_map(local_activity_resolution).collect();
                commands = activate(resolved).map(|after| before.drain(..).chain(after).collect());
            }
        }
        // A task that took too long, or sets a search attribute that cannot
        // be stored, fails; its commands are dropped with the instance, and the retry
        // replays.
        let refusal = match &commands {
            Ok(_)
                if row
                    .settings
                    .task_timeout
                    .is_some_and(|limit| task_started.elapsed() > limit) =>
            {
                Some(format!(
                    "workflow task timed out: it took longer than its {:?} task timeout",
                    row.settings.task_timeout.unwrap_or_default()
                ))
            }
            Ok(issued) => self.attribute_problem(issued)?,
            Err(_) => None,
        };
        if let Some(message) = refusal {
            commands = Err(crate::executor::TaskFailure { message });
        }
        match commands {
            Ok(commands) => {
                let run = self.run_mut(key)?;
                if run.row.progress.unhandled_signals.len() != instance.unhandled_signals().len() {
                    run.row.progress.unhandled_signals = instance.unhandled_signals().to_vec();
                    run.changed = true;
                    self.runs.changed.push(key);
                }
                self.release(key, instance);
                let taken = TaskOutput {
                    had_inputs: !inputs.is_empty() || !locals.is_empty(),
                    updates,
                    commands,
                    markers_at,
                    markers: locals,
                };
                self.apply_commands(key, taken, now)
            }
            Err(failure) => self.task_failed(key, failure.message, updates, locals, now),
        }
    }

    /// Why the search attributes the task's commands set (upserts, and
    /// children's starts) cannot be stored, if they cannot.
    fn attribute_problem(&self, commands: &[Command]) -> StoreResult<Option<String>> {
        let values = commands.iter().flat_map(|command| -> Box<dyn Iterator<Item = _>> {
            match command {
                Command::UpsertSearchAttributes(updates) => Box::new(
                    updates
                        .iter()
                        .filter_map(|u| u.value.as_ref().map(|v| (u.name.as_str(), v))),
                ),
                Command::StartChild { run, .. } => Box::new(run.search_attributes.iter()),
                _ => Box::new(std::iter::empty()),
            }
        });
        self.store.attribute_problem(values)
    }

    pub(super) fn task_failed(
        &mut self,
        key: RunKey,
        message: String,
        updates: Vec<UpdateRequest>,
        locals: Vec<EventKind>,
        now: u64,
    ) -> StoreResult<()> {
        let run = self.run_mut(key)?;
        // The next try takes them in again.
        run.local_outcomes = locals;
        tracing::error!(
            workflow_id = %run.row.workflow_id, run_id = %run.row.run_id, error = %message,
            "workflow task failed; will retry"
        );
        run.set_task_failure(Some(message.clone()));
        run.retry_at = Some(now + TASK_RETRY_MS);
        let workflow_id = run.row.workflow_id.clone();
        self.runs.changed.push(key);
        self.agenda.at(now + TASK_RETRY_MS, Wake::TaskRetry { run: key });
        for update in updates {
            let error = ClientError::WorkflowTask {
                workflow_id: workflow_id.clone(),
                message: message.clone(),
            };
            self.finish_update_waiters(&update.update_id, |_| true, Err(error));
        }
        Ok(())
    }

    pub(super) fn finish_update_waiters(
        &mut self,
        update_id: &str,
        pick: impl Fn(&UpdateWaiter) -> bool,
        answer: Result<UpdateStatus, ClientError>,
    ) {
        let Some(waiters) = self.waiters.updates.remove(update_id) else {
            return;
        };
        let (done, keep): (Vec<_>, Vec<_>) = waiters.into_iter().partition(|w| pick(w));
        for waiter in done {
            self.reply(waiter.responder, answer.clone().map(Reply::Update));
        }
        if !keep.is_empty() {
            self.waiters.updates.insert(update_id.to_owned(), keep);
        }
    }

    pub(super) fn apply_commands(&mut self, key: RunKey, taken: TaskOutput, now: u64) -> StoreResult<()> {
        let TaskOutput {
            had_inputs,
            updates,
            commands,
            markers_at,
            markers,
        } = taken;
        let row = self.open_run(key)?.row.clone();
        let mut accepted = 0;
        for command in &commands {
            match command {
                Command::UpdateAccepted { id } => {
                    let Some(update) = updates.iter().find(|u| &u.update_id == id) else {
                        continue;
                    };
                    accepted += 1;
                    self.append(
                        key,
                        EventKind::WorkflowExecutionUpdateAccepted {
                            update_id: id.clone(),
                            update_name: update.name.clone(),
                            input: update.args.clone(),
                            header: update.header.clone(),
                        },
                        now,
                    )?;
                    self.run_mut(key)?.accepted_updates.insert(id.clone());
                    self.finish_update_waiters(id, |w| w.stage == WaitStage::Accepted, Ok(UpdateStatus::Accepted));
                }
                Command::UpdateRejected { id, rejection } => {
                    let name = updates.iter().find(|u| &u.update_id == id).map(|u| u.name.clone());
                    let name = name.unwrap_or_default();
                    let error = match rejection.clone() {
                        Rejection::Unknown { known } => ClientError::UnknownUpdate {
                            workflow_type: row.workflow_type.clone(),
                            name,
                            known,
                        },
                        Rejection::Invalid(failure) => ClientError::UpdateRejected { name, failure },
                    };
                    self.finish_update_waiters(id, |_| true, Err(error));
                }
                _ => {}
            }
        }
        if !had_inputs && accepted == 0 {
            return Ok(());
        }
        self.append(key, EventKind::WorkflowTaskCompleted, now)?;
        // What the task asks for, up to the command closing the run: update
        // responses are done with, and local activities have no event.
        let is_response = |c: &Command| matches!(c, Command::UpdateAccepted { .. } | Command::UpdateRejected { .. });
        let markers_at = markers_at - commands[..markers_at].iter().filter(|c| is_response(c)).count();
        let issued: Vec<Command> = commands.into_iter().filter(|c| !is_response(c)).collect();
        let close_at = issued.iter().position(Command::is_closing);
        let issued = &issued[..close_at.map_or(issued.len(), |i| i + 1)];
        // A run closed before its local activities resolved records none.
        let mut markers = Some(markers).filter(|_| close_at.is_none_or(|c| markers_at <= c));
        let mut new_run_id = None;
        for (n, command) in issued.iter().enumerate() {
            if n == markers_at {
                self.record_local_outcomes(key, markers.take(), now)?;
            }
            if let Command::RequestCancelLocalActivity { seq } = command {
                let marker = self.try_cancel_local(ActivityKey { run: key, seq: *seq });
                self.record_local_outcomes(key, marker.map(|m| vec![m]), now)?;
            }
            if !is_recorded(command) {
                continue;
            }
            let kind = match command {
                Command::ContinueAsNew { args, .. } => {
                    let id = workflow_client::id::unique_id();
                    new_run_id = Some(id.clone());
                    EventKind::WorkflowExecutionContinuedAsNew {
                        new_run_id: id,
                        input: args.clone(),
                    }
                }
                other => match command_event(other, &row.task_queue) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            self.append(key, kind, now)?;
        }
        self.record_local_outcomes(key, markers, now)?;
        let run = self.run_mut(key)?;
        run.inputs_taken();
        run.set_task_failure(None);
        run.retry_at = None;
        let closing = close_at.is_some();
        for command in issued {
            self.command_effect(&row, command, closing, now)?;
        }
        if let Some(close) = close_at.map(|i| &issued[i]) {
            let (status, outcome) = match close {
                Command::Complete(result) => (WorkflowStatus::Completed, Ok(result.clone())),
                Command::Fail(failure) => (WorkflowStatus::Failed, Err(failure.clone())),
                Command::CancelWorkflow => (WorkflowStatus::Canceled, Err(Failure::Canceled)),
                _ => (WorkflowStatus::ContinuedAsNew, Ok(Payload::null())),
            };
            let successor = match (close, new_run_id, &outcome) {
                (Command::ContinueAsNew { args, header }, Some(run_id), _) => Some(Successor {
                    run_id,
                    input: args.clone(),
                    header: header.clone(),
                    settings: row.settings.continued(now),
                }),
                (Command::Fail(_), _, Err(failure)) => self.retry_of(&row, failure, now)?,
                _ => None,
            };
            self.close_run(key, status, outcome, successor, now)?;
        }
        Ok(())
    }

    pub(super) fn command_effect(
        &mut self,
        row: &RunRow,
        command: &Command,
        closing: bool,
        now: u64,
    ) -> StoreResult<()> {
        let key = row.key;
        match command {
            Command::UpsertSearchAttributes(updates) => {
                let mut attributes = self.store.search_attributes_of(key)?;
                updates.iter().cloned().for_each(|u| attributes.apply(u));
                self.store.save_search_attributes(key, &attributes)?;
            }
            Command::UpsertMemo(changes) => {
                let mut memo = self.store.memo_of(key)?;
                for (k, v) in changes {
                    match v {
                        Some(value) => memo.insert(k.clone(), value.clone()),
                        None => memo.remove(k),
                    };
                }
                self.store.save_memo(key, &memo)?;
            }
            Command::StartTimer { seq, duration } => {
                let fire_at = now.saturating_add(duration_ms(*duration));
                self.store.insert_timer(key, *seq, fire_at)?;
                self.run_mut(key)?.timers.insert(*seq);
                self.agenda.at(fire_at, Wake::Timer { run: key, seq: *seq });
            }
            Command::CancelTimer { seq } => {
                self.store.delete_timer(key, *seq)?;
                self.run_mut(key)?.timers.remove(seq);
            }
            Command::ScheduleActivity { .. } => self.schedule_activity(row, command, now)?,
            // A local activity issued with the close needs no running.
            Command::ScheduleLocalActivity { .. } if !closing => self.schedule_activity(row, command, now)?,
            Command::RequestCancelActivity { seq } | Command::RequestCancelLocalActivity { seq } => {
                self.request_activity_cancel(ActivityKey { run: key, seq: *seq }, closing, now)?;
            }
            Command::SignalExternal {
                seq,
                workflow_id: target,
                name,
                args,
                header,
            } => {
                let signal = Message {
                    name: name.clone(),
                    args: args.clone(),
                    header: header.clone(),
                };
                let outcome = match self.current_open(target)? {
                    Some(target_run) => self
                        .signal_open(target_run, signal, now)?
                        .map_err(|_| ExternalFailureCause::LimitExceeded),
                    None => Err(ExternalFailureCause::NotFound),
                };
                let seq = *seq;
                let kind = match outcome {
                    Ok(()) => EventKind::ExternalWorkflowExecutionSignaled { seq },
                    Err(cause) => EventKind::SignalExternalWorkflowExecutionFailed { seq, cause },
                };
                self.resolve_in_sender(key, closing, kind, now)?;
            }
            Command::CancelExternal {
                seq,
                workflow_id: target,
            } => {
                let outcome = match self.current_open(target)? {
                    Some(target_run) => {
                        let reason = format!("requested by workflow `{}`", row.workflow_id);
                        self.append(target_run, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                        self.mark_dirty(target_run);
                        Ok(())
                    }
                    None => Err(ExternalFailureCause::NotFound),
                };
                let seq = *seq;
                let kind = match outcome {
                    Ok(()) => EventKind::ExternalWorkflowExecutionCancelRequested { seq },
                    Err(cause) => EventKind::RequestCancelExternalWorkflowExecutionFailed { seq, cause },
                };
                self.resolve_in_sender(key, closing, kind, now)?;
            }
            Command::StartChild {
                seq,
                workflow_type,
                workflow_id: child_id,
                task_queue: child_queue,
                args,
                run: child_run,
                parent_close_policy,
                header,
            } => {
                let kind = match self.current_open(child_id)? {
                    Some(existing) => EventKind::StartChildWorkflowExecutionFailed {
                        seq: *seq,
                        existing_run_id: self.open_run(existing)?.row.run_id.clone(),
                    },
                    None if closing => return Ok(()),
                    None => {
                        let parent = ParentInfo {
                            workflow_id: row.workflow_id.clone(),
                            run_id: row.run_id.clone(),
                            seq: *seq,
                        };
                        let new = NewRun {
                            run_id: None,
                            workflow_id: child_id.clone(),
                            workflow_type: workflow_type.clone(),
                            task_queue: child_queue.clone(),
                            input: args.clone(),
                            parent: Some(parent),
                            continued_from_run_id: None,
                            header: header.clone(),
                            settings: RunSettings {
                                parent_close_policy: *parent_close_policy,
                                ..RunSettings::at_start(child_run, now)
                            },
                        };
                        let child = self.create_run(new, now)?;
                        self.store.save_memo(child, &child_run.memo)?;
                        self.store.save_search_attributes(child, &child_run.search_attributes)?;
                        EventKind::ChildWorkflowExecutionStarted {
                            seq: *seq,
                            run_id: self.open_run(child)?.row.run_id.clone(),
                        }
                    }
                };
                self.resolve_in_sender(key, closing, kind, now)?;
            }
            Command::UpdateCompleted { id, outcome } => {
                let run = self.run_mut(key)?;
                run.accepted_updates.remove(id);
                run.completed_updates.insert(id.clone(), outcome.clone());
                self.finish_update_waiters(id, |_| true, Ok(UpdateStatus::Completed(outcome.clone())));
            }
            _ => {}
        }
        Ok(())
    }

    /// Cancels a try-cancel local activity at once, as Core does: its
    /// attempt is told to stop, and its marker is what the request records.
    /// Other cancellation types wait for the attempt (`command_effect`).
    fn try_cancel_local(&mut self, key: ActivityKey) -> Option<EventKind> {
        let row = self.activities.scheduled.get(&key)?;
        if !row.local || row.options.cancellation_type != ActivityCancellationType::TryCancel {
            return None;
        }
        let row = self.forget_activity(key)?;
        Some(EventKind::MarkerRecorded {
            marker: Marker::LocalActivity {
                seq: key.seq,
                activity_type: row.activity_type,
                attempt: row.attempt,
                result: Err(Failure::Canceled),
            },
        })
    }

    /// Records the markers of the local activities a task took in; their
    /// rows are done with.
    fn record_local_outcomes(&mut self, key: RunKey, markers: Option<Vec<EventKind>>, now: u64) -> StoreResult<()> {
        for marker in markers.into_iter().flatten() {
            if let EventKind::MarkerRecorded {
                marker: Marker::LocalActivity { seq, .. },
            } = &marker
            {
                self.store.delete_activity(ActivityKey { run: key, seq: *seq })?;
            }
            self.append(key, marker, now)?;
        }
        Ok(())
    }

    /// Keeps an activity a command schedules and sends its first attempt off.
    fn schedule_activity(&mut self, row: &RunRow, command: &Command, now: u64) -> StoreResult<()> {
        let Some(scheduled) = scheduled_activity(row, command, now) else {
            return Ok(());
        };
        let key = scheduled.key;
        self.store.insert_activity(&scheduled)?;
        self.arm_schedule_timeout(&scheduled);
        self.run_mut(key.run)?.activities.insert(key.seq);
        self.activities.scheduled.insert(key, scheduled);
        self.dispatch(key, now);
        Ok(())
    }

    /// Records how a command resolved as new input of the run that issued it,
    /// unless that run is closing in the same task.
    fn resolve_in_sender(&mut self, key: RunKey, closing: bool, kind: EventKind, now: u64) -> StoreResult<()> {
        if !closing {
            self.append(key, kind, now)?;
            self.mark_dirty(key);
        }
        Ok(())
    }

    /// Closes an open run: status, cleanup, waiters, parent, children, and
    /// the next run after continue-as-new.
    pub(super) fn close_run(
        &mut self,
        key: RunKey,
        status: WorkflowStatus,
        outcome: Result<Payload, Failure>,
        successor: Option<Successor>,
        now: u64,
    ) -> StoreResult<()> {
        let next_run_id = successor.as_ref().map(|s| s.run_id.as_str());
        self.store.close_run(key, status, now, next_run_id)?;
        let run = self.runs.open.remove(&key).ok_or(StoreError::NotOpen(key))?;
        self.store.save_progress(key, &run.row.progress)?;
        if self.runs.current.get(run.row.workflow_id.as_str()) == Some(&key) {
            self.runs.current.remove(run.row.workflow_id.as_str());
        }
        for seq in &run.activities {
            self.forget_activity(ActivityKey { run: key, seq: *seq });
        }
        for update_id in &run.accepted_updates {
            let error = ClientError::UpdateUnfinished {
                workflow_id: run.row.workflow_id.clone(),
                update_id: update_id.clone(),
                status,
            };
            self.finish_update_waiters(update_id, |w| w.run == key, Err(error));
        }
        for update in &run.pending_updates {
            let error = ClientError::Closed {
                workflow_id: run.row.workflow_id.clone(),
                status,
                what: "updates",
            };
            self.finish_update_waiters(&update.update_id, |w| w.run == key, Err(error));
        }
        let waiters = self.waiters.results.remove(&key).unwrap_or_default();
        if let Some(successor) = successor {
            let new = NewRun {
                run_id: Some(successor.run_id),
                workflow_id: run.row.workflow_id.clone(),
                workflow_type: run.row.workflow_type.clone(),
                task_queue: run.row.task_queue.clone(),
                input: successor.input,
                parent: run.row.parent.clone(),
                continued_from_run_id: Some(run.row.run_id.clone()),
                header: successor.header,
                settings: successor.settings,
            };
            let next = self.create_run(new, now)?;
            // The chain keeps its memo and search attributes, as on Temporal.
            self.store.save_memo(next, &self.store.memo_of(key)?)?;
            self.store
                .save_search_attributes(next, &self.store.search_attributes_of(key)?)?;
            self.waiters.results.entry(next).or_default().extend(waiters);
        } else {
            let answer = outcome.clone().map_err(|failure| ClientError::WorkflowFailed {
                workflow_id: run.row.workflow_id.clone(),
                failure,
            });
            for waiter in waiters {
                self.reply(waiter, answer.clone().map(Reply::Payload));
            }
            let message = answer.as_ref().err().map(ToString::to_string).unwrap_or_default();
            self.schedule_action_closed(&run.row.workflow_id, status, message);
            if let Some(parent) = run.parent().cloned() {
                self.notify_parent(&run, &parent, outcome, now)?;
            }
        }
        for child in self.store.open_children(&run.row.run_id)? {
            let Some(open) = self.touch(child)? else {
                continue;
            };
            let reason = format!("parent workflow `{}` closed", run.row.workflow_id);
            match open.row.settings.parent_close_policy {
                ParentClosePolicy::Terminate => self.terminate(child, reason, now)?,
                ParentClosePolicy::RequestCancel => {
                    self.append(child, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                    self.mark_dirty(child);
                }
                ParentClosePolicy::Abandon => {}
            }
        }
        Ok(())
    }

    pub(super) fn notify_parent(
        &mut self,
        child: &OpenRun,
        parent: &ParentInfo,
        outcome: Result<Payload, Failure>,
        now: u64,
    ) -> StoreResult<()> {
        let parent_run = match self.current_open(&parent.workflow_id)? {
            Some(key) if self.open_run(key)?.row.run_id == parent.run_id => key,
            _ => return Ok(()),
        };
        let kind = match outcome {
            Ok(result) => EventKind::ChildWorkflowExecutionCompleted {
                seq: parent.seq,
                result,
            },
            Err(cause) => EventKind::ChildWorkflowExecutionFailed {
                seq: parent.seq,
                failure: Failure::ChildWorkflow {
                    workflow_type: child.row.workflow_type.clone(),
                    workflow_id: child.row.workflow_id.clone(),
                    cause: Box::new(cause),
                },
            },
        };
        self.append(parent_run, kind, now)?;
        self.mark_dirty(parent_run);
        Ok(())
    }
}

/// What one workflow task took in and gave out, for `apply_commands`.
pub(super) struct TaskOutput {
    /// Whether it took in new events (or local activity outcomes).
    pub(super) had_inputs: bool,
    /// The updates it was offered.
    pub(super) updates: Vec<UpdateRequest>,
    /// Its commands, in order.
    pub(super) commands: Vec<Command>,
    /// How many of the commands came before the local activities resolved.
    pub(super) markers_at: usize,
    /// The markers of the local activities it took in.
    pub(super) markers: Vec<EventKind>,
}

/// The activity a schedule command asks `run` for, before its first attempt.
fn scheduled_activity(run: &RunRow, command: &Command, now: u64) -> Option<ActivityRow> {
    let (seq, activity_type, args, options, header, local) = match command {
        Command::ScheduleActivity {
            seq,
            activity_type,
            args,
            options,
            header,
        } => (seq, activity_type, args, options, header, false),
        Command::ScheduleLocalActivity {
            seq,
            activity_type,
            args,
            options,
            header,
        } => (seq, activity_type, args, options, header, true),
        _ => return None,
    };
    // A local activity runs where its workflow does.
    let task_queue = match &options.task_queue {
        Some(queue) if !local => queue.clone(),
        _ => run.task_queue.clone(),
    };
    Some(ActivityRow {
        key: ActivityKey {
            run: run.key,
            seq: *seq,
        },
        workflow_id: run.workflow_id.clone(),
        run_id: run.run_id.clone(),
        task_queue,
        activity_type: activity_type.clone(),
        input: args.clone(),
        options: options.clone(),
        attempt: 1,
        scheduled_ms: now,
        heartbeat: Vec::new(),
        heartbeat_ms: None,
        last_failure: None,
        next_attempt_ms: None,
        cancel_requested: false,
        local,
        header: header.clone(),
    })
}

/// The event recording a command; update responses have none (acceptance
/// is recorded when it is decided, rejection not at all).
fn command_event(command: &Command, task_queue: &str) -> Option<EventKind> {
    Some(match command.clone() {
        Command::StartTimer { seq, duration } => EventKind::TimerStarted {
            seq,
            duration_ms: duration_ms(duration),
        },
        Command::CancelTimer { seq } => EventKind::TimerCanceled { seq },
        Command::ScheduleActivity {
            seq,
            activity_type,
            args,
            options,
            header,
        } => EventKind::ActivityTaskScheduled {
            seq,
            activity_type,
            task_queue: options.task_queue.clone().unwrap_or_else(|| task_queue.to_owned()),
            input: args,
            options,
            header,
        },
        Command::RequestCancelActivity { seq } => EventKind::ActivityTaskCancelRequested { seq },
        Command::SignalExternal {
            seq,
            workflow_id,
            name,
            args,
            header,
        } => EventKind::SignalExternalWorkflowExecutionInitiated {
            seq,
            workflow_id,
            signal_name: name,
            input: args,
            header,
        },
        Command::CancelExternal { seq, workflow_id } => {
            EventKind::RequestCancelExternalWorkflowExecutionInitiated { seq, workflow_id }
        }
        Command::StartChild {
            seq,
            workflow_type,
            workflow_id,
            task_queue,
            args,
            header,
            ..
        } => EventKind::StartChildWorkflowExecutionInitiated {
            seq,
            workflow_id,
            workflow_type,
            task_queue,
            input: args,
            header,
        },
        Command::UpdateCompleted { id, outcome } => {
            EventKind::WorkflowExecutionUpdateCompleted { update_id: id, outcome }
        }
        Command::Complete(result) => EventKind::WorkflowExecutionCompleted { result },
        Command::Fail(failure) => EventKind::WorkflowExecutionFailed { failure },
        Command::CancelWorkflow => EventKind::WorkflowExecutionCanceled,
        Command::ContinueAsNew { args: input, .. } => EventKind::WorkflowExecutionContinuedAsNew {
            new_run_id: String::new(),
            input,
        },
        Command::SetPatchMarker { patch_id, deprecated } => EventKind::MarkerRecorded {
            marker: Marker::Patch { patch_id, deprecated },
        },
        Command::UpsertSearchAttributes(updates) => EventKind::UpsertWorkflowSearchAttributes { updates },
        Command::UpsertMemo(memo) => EventKind::WorkflowPropertiesModified { memo },
        Command::UpdateAccepted { .. }
        | Command::UpdateRejected { .. }
        | Command::ScheduleLocalActivity { .. }
        | Command::RequestCancelLocalActivity { .. } => return None,
    })
}
