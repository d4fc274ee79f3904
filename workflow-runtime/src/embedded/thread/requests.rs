//! Client requests: start, signal, update, result, cancel, terminate, describe.

use workflow_client::{
    ClientError, Description, Event, EventKind, Execution, Failure, History, IdConflictPolicy, IdReusePolicy, Limit,
    Marker, Payload, PendingActivity, PendingActivityState, StartRequest, UpdateRequest, UpdateStatus, WaitStage,
    WorkflowStatus,
};

use super::run_timeouts::run_timed_out;
use super::*;
use crate::embedded::store::Progress;

/// Where a target's run is, before anything is loaded.
enum Found {
    /// Loaded and open.
    Loaded(RunKey),
    /// Only in the store (closed, or open and idle).
    Stored(Box<RunRow>),
    Missing,
}

impl EngineThread {
    pub(super) fn history_of(&self, row: &RunRow) -> StoreResult<History> {
        Ok(History {
            workflow_id: row.workflow_id.clone(),
            run_id: row.run_id.clone(),
            events: self.store.events(row.key, 1)?,
        })
    }

    pub(super) fn check_payloads<'a>(
        &self,
        workflow_id: &str,
        payloads: impl IntoIterator<Item = &'a Payload>,
    ) -> Result<(), ClientError> {
        let max = self.limits.max_payload_bytes;
        match payloads.into_iter().any(|p| p.data.len() > max) {
            true => Err(ClientError::LimitExceeded {
                workflow_id: workflow_id.to_owned(),
                limit: Limit::PayloadSize,
                max,
            }),
            false => Ok(()),
        }
    }

    /// The run a target names; an open one is loaded on first touch.
    pub(super) fn resolve(&mut self, target: &Execution) -> StoreResult<Target> {
        Ok(match self.find(target)? {
            Found::Loaded(key) => Target::Open(key),
            Found::Stored(row) if row.status == WorkflowStatus::Running => Target::Open(self.load_row(*row)?),
            Found::Stored(row) => Target::Closed(row),
            Found::Missing => Target::Missing,
        })
    }

    /// The run a target names, loaded or as its row says, without loading it.
    fn find(&self, target: &Execution) -> StoreResult<Found> {
        if let Some(key) = self.runs.current.get(target.workflow_id.as_str()).copied() {
            let run = self.open_run(key)?;
            if target.run_id.as_ref().is_none_or(|id| *id == run.row.run_id) {
                return Ok(Found::Loaded(key));
            }
        }
        let row = match &target.run_id {
            Some(run_id) => self.store.run(run_id)?.filter(|r| r.workflow_id == target.workflow_id),
            None => self.store.current_run(&target.workflow_id)?,
        };
        Ok(row.map_or(Found::Missing, |row| Found::Stored(Box::new(row))))
    }

    /// Appends an event to an open run's history.
    pub(super) fn append(&mut self, key: RunKey, kind: EventKind, now: u64) -> StoreResult<u64> {
        let run = self.runs.open.get_mut(&key).ok_or(StoreError::NotOpen(key))?;
        // A new event may start a new run of the id or change what the run
        // will see; answers kept for the id no longer hold.
        self.memo.forget(&run.row.workflow_id);
        // A local activity's outcome, and the task it drives, may be lost
        // to a power cut and run again; any other event must not be.
        let repeatable = matches!(
            kind,
            EventKind::WorkflowTaskCompleted
                | EventKind::MarkerRecorded {
                    marker: Marker::LocalActivity { .. }
                }
        );
        self.outbox.durable |= !repeatable;
        let event = Event {
            id: run.next_event_id(),
            time_ms: now,
            kind,
        };
        self.store.append(key, &event)?;
        run.appended(&event);
        self.runs.changed.push(key);
        Ok(event.id)
    }

    pub(super) fn start(&mut self, start: StartRequest, now: u64) -> StoreResult<Result<String, ClientError>> {
        let signal_args = start.start_signal.iter().flat_map(|(_, args)| args);
        let payloads = (start.args.iter().chain(signal_args))
            .chain(start.run.memo.values())
            .chain(start.header.values());
        if let Err(e) = self.check_payloads(&start.workflow_id, payloads) {
            return Ok(Err(e));
        }
        if let Some(message) = self.store.attribute_problem(start.run.search_attributes.iter())? {
            return Ok(Err(ClientError::InvalidOptions { message }));
        }
        if let Some(key) = self.current_open(&start.workflow_id)? {
            let run_id = self.open_run(key)?.row.run_id.clone();
            match start.conflict_policy() {
                IdConflictPolicy::Fail => {
                    return Ok(Err(ClientError::AlreadyStarted {
                        workflow_id: start.workflow_id,
                        run_id,
                    }))
                }
                IdConflictPolicy::UseExisting => {
                    return Ok(match start.start_signal {
                        Some((name, args)) => {
                            // Signal-with-start ends a start delay, as on Temporal.
                            self.end_first_task_wait(key)?;
                            let signal = Message {
                                name,
                                args,
                                header: start.header,
                            };
                            self.signal_open(key, signal, now)?.map(|()| run_id)
                        }
                        None => Ok(run_id),
                    });
                }
                IdConflictPolicy::TerminateExisting => {
                    let reason = "terminated by the start of a new run of its id (TerminateExisting)".to_owned();
                    self.terminate(key, reason, now)?;
                }
            }
        } else if let Some(last) = self.store.current_run(&start.workflow_id)? {
            // The id's last run is closed.
            let reusable = match start.id_reuse_policy {
                IdReusePolicy::AllowDuplicate | IdReusePolicy::TerminateIfRunning => true,
                IdReusePolicy::AllowDuplicateFailedOnly => last.status != WorkflowStatus::Completed,
                IdReusePolicy::RejectDuplicate => false,
            };
            if !reusable {
                return Ok(Err(ClientError::AlreadyStarted {
                    workflow_id: start.workflow_id,
                    run_id: last.run_id,
                }));
            }
        }
        let new = NewRun {
            run_id: None,
            workflow_id: start.workflow_id,
            workflow_type: start.workflow_type,
            task_queue: start.task_queue,
            input: start.args,
            parent: None,
            continued_from_run_id: None,
            header: start.header.clone(),
            settings: RunSettings::at_start(&start.run, now),
        };
        let key = self.create_run(new, now)?;
        self.store.save_memo(key, &start.run.memo)?;
        self.store.save_search_attributes(key, &start.run.search_attributes)?;
        if let Some((name, args)) = start.start_signal {
            let signal = Message {
                name,
                args,
                header: start.header,
            };
            self.signal_open(key, signal, now)?.ok();
        }
        Ok(Ok(self.open_run(key)?.row.run_id.clone()))
    }

    /// Records a new open run and its start event; returns its key.
    pub(super) fn create_run(&mut self, new: NewRun, now: u64) -> StoreResult<RunKey> {
        let run_id = new.run_id.unwrap_or_else(workflow_client::id::unique_id);
        let mut row = RunRow {
            key: RunKey(0),
            run_id: run_id.clone(),
            workflow_id: new.workflow_id.clone(),
            workflow_type: new.workflow_type.clone(),
            task_queue: new.task_queue.clone(),
            status: WorkflowStatus::Running,
            start_ms: now,
            close_ms: None,
            next_run_id: None,
            parent: new.parent.clone(),
            progress: Progress {
                inputs_from: 1,
                ..Progress::default()
            },
            settings: new.settings,
        };
        row.key = self.store.insert_run(&row)?;
        let key = row.key;
        let (attempt, due) = (row.settings.attempt, row.settings.due_ms());
        self.runs.open.insert(key, OpenRun::new(row));
        self.runs.current.insert(WorkflowId(new.workflow_id), key);
        // Seeds `ctx.random()`: fixed per run, so replay draws the same values.
        let seed = u64::from_str_radix(&run_id[..8], 16).unwrap_or(0) << 32 | now & 0xffff_ffff;
        let started = EventKind::WorkflowExecutionStarted {
            workflow_type: new.workflow_type,
            task_queue: new.task_queue,
            input: new.input,
            parent: new.parent,
            continued_from_run_id: new.continued_from_run_id,
            randomness_seed: seed,
            attempt,
            header: new.header,
        };
        self.append(key, started, now)?;
        self.mark_dirty(key);
        if let Some(at) = due {
            self.agenda.at(at, Wake::RunDue { run: key });
        }
        Ok(key)
    }

    /// Records a signal to an open run, within the received-signal limit.
    pub(super) fn signal_open(
        &mut self,
        key: RunKey,
        signal: Message,
        now: u64,
    ) -> StoreResult<Result<(), ClientError>> {
        let run = self.open_run(key)?;
        let max = self.limits.max_received_signals;
        if run.row.progress.signals_received >= max as u64 {
            return Ok(Err(ClientError::LimitExceeded {
                workflow_id: run.row.workflow_id.clone(),
                limit: Limit::ReceivedSignals,
                max,
            }));
        }
        self.append(
            key,
            EventKind::WorkflowExecutionSignaled {
                signal_name: signal.name,
                input: signal.args,
                header: signal.header,
            },
            now,
        )?;
        self.run_mut(key)?.row.progress.signals_received += 1;
        self.mark_dirty(key);
        Ok(Ok(()))
    }

    pub(super) fn update(&mut self, target: Execution, update: UpdateRequest, now: u64) -> StoreResult<Handled> {
        let key = match self.resolve(&target)? {
            Target::Open(key) => key,
            // A retry of an update the run completed before it closed gets
            // its outcome, as from the server.
            Target::Closed(row) => {
                let answer = match self.recorded_update(&row, &update.update_id)? {
                    Ok(RecordedUpdate::Completed(outcome)) => Ok(Reply::Update(UpdateStatus::Completed(outcome))),
                    Ok(_) => Err(closed(&row, "updates")),
                    Err(e) => Err(e),
                };
                return Ok(Handled::Answer(answer));
            }
            Target::Missing => return Ok(Handled::Answer(Err(not_found(&target)))),
        };
        if let Err(e) = self.check_payloads(&target.workflow_id, update.args.iter().chain(update.header.values())) {
            return Ok(Handled::Answer(Err(e)));
        }
        let (max_in_flight, max_total) = (self.limits.max_in_flight_updates, self.limits.max_total_updates);
        let run = self.run_mut(key)?;
        if let Some(outcome) = run.completed_updates.get(&update.update_id) {
            return Ok(Handled::Answer(Ok(Reply::Update(UpdateStatus::Completed(
                outcome.clone(),
            )))));
        }
        // A retry of an accepted update that asks for acceptance has it.
        if update.wait == WaitStage::Accepted && run.accepted_updates.contains(&update.update_id) {
            return Ok(Handled::Answer(Ok(Reply::Update(UpdateStatus::Accepted))));
        }
        let known = run.awaits_update(&update.update_id);
        if !known {
            let in_flight = run.accepted_updates.len() + run.pending_updates.len();
            let total = run.completed_updates.len() + in_flight;
            let exceeded = if in_flight >= max_in_flight {
                Some((Limit::InFlightUpdates, max_in_flight))
            } else if total >= max_total {
                Some((Limit::TotalUpdates, max_total))
            } else {
                None
            };
            if let Some((limit, max)) = exceeded {
                return Ok(Handled::Answer(Err(ClientError::LimitExceeded {
                    workflow_id: target.workflow_id,
                    limit,
                    max,
                })));
            }
        }
        let update_id = update.update_id.clone();
        let stage = update.wait;
        if !known {
            run.pending_updates.push(update);
            let deadline = now + self.worker_wait;
            self.waiters.update_deadlines.push((deadline, key, update_id.clone()));
            self.agenda.at(deadline, Wake::WaitExpired);
        }
        self.mark_dirty(key);
        Ok(Handled::Update {
            update_id,
            run: key,
            stage,
        })
    }

    /// Starts the run unless one of the id is open, then sends it the
    /// update: both in this batch, so a new run's first task takes the
    /// update before its run method's first step. The start stands when
    /// the validator rejects the update, as on Temporal.
    pub(super) fn update_with_start(
        &mut self,
        start: StartRequest,
        update: UpdateRequest,
        now: u64,
    ) -> StoreResult<Handled> {
        let target = Execution {
            workflow_id: start.workflow_id.clone(),
            run_id: None,
        };
        if self.current_open(&start.workflow_id)?.is_none() {
            if let Err(e) = self.start(start, now)? {
                return Ok(Handled::Answer(Err(e)));
            }
        }
        self.update(target, update, now)
    }

    pub(super) fn update_result(&mut self, target: Execution, update_id: String) -> StoreResult<Handled> {
        let answer = match self.resolve(&target)? {
            Target::Open(key) => {
                let run = self.open_run(key)?;
                if let Some(outcome) = run.completed_updates.get(&update_id) {
                    Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())))
                } else if run.awaits_update(&update_id) {
                    return Ok(Handled::Update {
                        update_id,
                        run: key,
                        stage: WaitStage::Completed,
                    });
                } else {
                    Err(unknown_update(&target.workflow_id, &update_id))
                }
            }
            Target::Closed(row) => match self.recorded_update(&row, &update_id)? {
                Ok(RecordedUpdate::Completed(outcome)) => Ok(Reply::Update(UpdateStatus::Completed(outcome))),
                Ok(RecordedUpdate::Unfinished) => Err(ClientError::UpdateUnfinished {
                    workflow_id: row.workflow_id.clone(),
                    update_id,
                    status: row.status,
                }),
                Ok(RecordedUpdate::Unknown) => Err(unknown_update(&target.workflow_id, &update_id)),
                Err(e) => Err(e),
            },
            Target::Missing => Err(not_found(&target)),
        };
        Ok(Handled::Answer(answer))
    }

    /// What a closed run's history says of update `update_id`.
    fn recorded_update(&self, row: &RunRow, update_id: &str) -> StoreResult<Result<RecordedUpdate, ClientError>> {
        Ok(contained(self.store.events(row.key, 1))?.map(|events| {
            let mut found = RecordedUpdate::Unknown;
            for event in events {
                match event.kind {
                    EventKind::WorkflowExecutionUpdateAccepted { update_id: id, .. } if id == update_id => {
                        found = RecordedUpdate::Unfinished;
                    }
                    EventKind::WorkflowExecutionUpdateCompleted { update_id: id, outcome } if id == update_id => {
                        return RecordedUpdate::Completed(outcome);
                    }
                    _ => {}
                }
            }
            found
        }))
    }

    pub(super) fn result(&mut self, target: Execution) -> StoreResult<Handled> {
        let mut row = match self.resolve(&target)? {
            Target::Open(key) => return Ok(Handled::Result(key)),
            Target::Closed(row) => *row,
            Target::Missing => return Ok(Handled::Answer(Err(not_found(&target)))),
        };
        loop {
            // A run continued as new, or retried, names the next of its chain.
            if let Some(next) = row.next_run_id.clone() {
                match self.store.run(&next)? {
                    Some(next_row) if next_row.status == WorkflowStatus::Running => {
                        return Ok(Handled::Result(self.load_row(next_row)?));
                    }
                    Some(next_row) => {
                        row = next_row;
                        continue;
                    }
                    None => {}
                }
            }
            let answer = contained(outcome(&self.store, &row))?.and_then(|answer| answer);
            return Ok(Handled::Answer(answer.map(Reply::Payload)));
        }
    }

    pub(super) fn describe(&mut self, target: &Execution) -> StoreResult<Result<Description, ClientError>> {
        // An idle run's row says all there is to say: no need to load it.
        Ok(match self.find(target)? {
            Found::Loaded(key) => {
                let row = self.open_run(key)?.row.clone();
                Ok(described(&self.store, row, self.pending_activities(key))?)
            }
            Found::Stored(row) => {
                let pending = self.pending_activities(row.key);
                Ok(described(&self.store, *row, pending)?)
            }
            Found::Missing => Err(not_found(target)),
        })
    }

    /// A run's scheduled activities, oldest first, as `describe` shows them
    /// (local activities are not listed, as on Temporal).
    fn pending_activities(&self, run: RunKey) -> Vec<PendingActivity> {
        let mut rows: Vec<&ActivityRow> = self
            .activities
            .scheduled
            .values()
            .filter(|a| a.key.run == run && !a.local)
            .collect();
        rows.sort_by_key(|a| a.key.seq);
        rows.into_iter()
            .map(|a| pending_activity(a, self.activities.running.contains_key(&a.key)))
            .collect()
    }

    pub(super) fn terminate(&mut self, key: RunKey, reason: String, now: u64) -> StoreResult<()> {
        self.append(
            key,
            EventKind::WorkflowExecutionTerminated { reason: reason.clone() },
            now,
        )?;
        self.close_run(
            key,
            WorkflowStatus::Terminated,
            Err(Failure::Terminated { reason }),
            None,
            now,
        )
    }
}

/// The outcome of a closed run, from its closing event.
pub(crate) fn outcome(store: &Store, row: &RunRow) -> StoreResult<Result<Payload, ClientError>> {
    let last = store.last_event(row.key)?;
    let failed = |failure| {
        Err(ClientError::WorkflowFailed {
            workflow_id: row.workflow_id.clone(),
            failure,
        })
    };
    Ok(match last.map(|e| e.kind) {
        Some(EventKind::WorkflowExecutionCompleted { result }) => Ok(result),
        Some(EventKind::WorkflowExecutionFailed { failure }) => failed(failure),
        Some(EventKind::WorkflowExecutionCanceled) => failed(Failure::Canceled),
        Some(EventKind::WorkflowExecutionTerminated { reason }) => failed(Failure::Terminated { reason }),
        Some(EventKind::WorkflowExecutionTimedOut) => failed(run_timed_out()),
        _ => Err(ClientError::Storage(format!(
            "run `{}` is closed but its history has no closing event",
            row.run_id
        ))),
    })
}

/// How `describe` shows a scheduled activity; `running` while an attempt
/// is under way (its row still holds the time the attempt was due).
pub(crate) fn pending_activity(row: &ActivityRow, running: bool) -> PendingActivity {
    let state = match (row.cancel_requested, running) {
        (true, _) => PendingActivityState::CancelRequested,
        (false, true) => PendingActivityState::Started,
        (false, false) => PendingActivityState::Scheduled,
    };
    PendingActivity {
        activity_id: row.key.seq.to_string(),
        activity_type: row.activity_type.clone(),
        state,
        attempt: row.attempt,
        last_failure: row.last_failure.clone(),
        next_attempt_time_ms: row.next_attempt_ms.filter(|_| !running),
        last_heartbeat_time_ms: row.heartbeat_ms,
        heartbeat_details: row.heartbeat.clone(),
    }
}

/// A run described from its row and its scheduled activities.
pub(crate) fn described(
    store: &Store,
    row: RunRow,
    pending_activities: Vec<PendingActivity>,
) -> StoreResult<Description> {
    Ok(Description {
        memo: store.memo_of(row.key)?,
        search_attributes: store.search_attributes_of(row.key)?,
        workflow_id: row.workflow_id,
        run_id: row.run_id,
        workflow_type: row.workflow_type,
        task_queue: row.task_queue,
        status: row.status,
        start_time_ms: row.start_ms,
        close_time_ms: row.close_ms,
        history_length: row.progress.history_length,
        signals_received: row.progress.signals_received,
        unhandled_signals: row.progress.unhandled_signals,
        task_failure: row.progress.task_failure,
        pending_activities,
    })
}

/// An update as a closed run's history recorded it.
enum RecordedUpdate {
    /// Never accepted.
    Unknown,
    /// Accepted, and the run closed before its handler finished.
    Unfinished,
    /// Its handler finished.
    Completed(Result<Payload, Failure>),
}
