//! Client requests: start, signal, update, result, cancel, terminate, describe.

use workflow_client::{
    ClientError, Description, Event, EventKind, Execution, Failure, History, Limit, Payload, StartRequest,
    UpdateRequest, UpdateStatus, WaitStage, WorkflowStatus,
};

use super::*;

impl EngineCore {
    pub(super) fn history_of(&self, workflow_id: &str, run_id: &str) -> StoreResult<History> {
        Ok(History {
            workflow_id: workflow_id.to_owned(),
            run_id: run_id.to_owned(),
            events: self.store.events(run_id, 1)?,
        })
    }

    pub(super) fn check_payloads(&self, workflow_id: &str, payloads: &[Payload]) -> Result<(), ClientError> {
        let max = self.limits.max_payload_bytes;
        match payloads.iter().any(|p| p.data.len() > max) {
            true => Err(ClientError::LimitExceeded {
                workflow_id: workflow_id.to_owned(),
                limit: Limit::PayloadSize,
                max,
            }),
            false => Ok(()),
        }
    }

    pub(super) fn resolve(&self, target: &Execution) -> StoreResult<Target> {
        let row = match &target.run_id {
            Some(run_id) if self.runs.contains_key(run_id) => return Ok(Target::Open(run_id.clone())),
            Some(run_id) => self.store.run(run_id)?.filter(|r| r.workflow_id == target.workflow_id),
            None => match self.current.get(&target.workflow_id) {
                Some(run_id) => return Ok(Target::Open(run_id.clone())),
                None => self.store.current_run(&target.workflow_id)?,
            },
        };
        // A row still marked running but not loaded belongs to no open run.
        Ok(match row {
            Some(row) if row.status != WorkflowStatus::Running => Target::Closed(row),
            _ => Target::Missing,
        })
    }

    /// Appends an event to an open run's history.
    pub(super) fn append(&mut self, run_id: &str, kind: EventKind, now: u64) -> StoreResult<u64> {
        let run = self
            .runs
            .get_mut(run_id)
            .expect("events are appended to open runs only");
        // A new event may start a new run of the id or change what the run
        // will see; answers kept for the id no longer hold.
        self.memo.forget(&run.row.workflow_id);
        let event = Event {
            id: run.next_event_id,
            time_ms: now,
            kind,
        };
        self.store.append(run_id, &event)?;
        run.appended(&event);
        Ok(event.id)
    }

    pub(super) fn start(&mut self, start: StartRequest, now: u64) -> StoreResult<Result<String, ClientError>> {
        let mut payloads = start.args.clone();
        if let Some((_, args)) = &start.start_signal {
            payloads.extend(args.iter().cloned());
        }
        if let Err(e) = self.check_payloads(&start.workflow_id, &payloads) {
            return Ok(Err(e));
        }
        if let Some(run_id) = self.current.get(&start.workflow_id).cloned() {
            return Ok(match start.start_signal {
                Some((name, args)) => self.signal_open(&run_id, name, args, now)?.map(|()| run_id),
                None => Err(ClientError::AlreadyStarted {
                    workflow_id: start.workflow_id,
                    run_id,
                }),
            });
        }
        let new = NewRun {
            run_id: None,
            workflow_id: start.workflow_id,
            workflow_type: start.workflow_type,
            task_queue: start.task_queue,
            input: start.args,
            parent: None,
            continued_from_run_id: None,
        };
        let run_id = self.create_run(new, now)?;
        if let Some((name, args)) = start.start_signal {
            self.signal_open(&run_id, name, args, now)?.ok();
        }
        Ok(Ok(run_id))
    }

    /// Records a new open run and its start event; returns its run id.
    pub(super) fn create_run(&mut self, new: NewRun, now: u64) -> StoreResult<String> {
        let run_id = new.run_id.unwrap_or_else(workflow_client::id::unique_id);
        let row = RunRow {
            run_id: run_id.clone(),
            workflow_id: new.workflow_id.clone(),
            workflow_type: new.workflow_type.clone(),
            task_queue: new.task_queue.clone(),
            status: WorkflowStatus::Running,
            start_ms: now,
            close_ms: None,
            next_run_id: None,
            parent: new.parent.clone(),
        };
        self.store.insert_run(&row)?;
        self.runs.insert(run_id.clone(), OpenRun::new(row));
        self.current.insert(new.workflow_id, run_id.clone());
        // Seeds `ctx.random()`: fixed per run, so replay draws the same values.
        let seed = u64::from_str_radix(&run_id[..8], 16).unwrap_or(0) << 32 | now & 0xffff_ffff;
        let started = EventKind::WorkflowExecutionStarted {
            workflow_type: new.workflow_type,
            task_queue: new.task_queue,
            input: new.input,
            parent: new.parent,
            continued_from_run_id: new.continued_from_run_id,
            randomness_seed: seed,
        };
        self.append(&run_id, started, now)?;
        self.mark_dirty(&run_id);
        Ok(run_id)
    }

    /// Records a signal to an open run, within the received-signal limit.
    pub(super) fn signal_open(
        &mut self,
        run_id: &str,
        name: String,
        args: Vec<Payload>,
        now: u64,
    ) -> StoreResult<Result<(), ClientError>> {
        let run = &self.runs[run_id];
        let max = self.limits.max_received_signals;
        if run.signals_received >= max as u64 {
            return Ok(Err(ClientError::LimitExceeded {
                workflow_id: run.row.workflow_id.clone(),
                limit: Limit::ReceivedSignals,
                max,
            }));
        }
        self.append(
            run_id,
            EventKind::WorkflowExecutionSignaled {
                signal_name: name,
                input: args,
            },
            now,
        )?;
        self.runs.get_mut(run_id).expect("open").signals_received += 1;
        self.mark_dirty(run_id);
        Ok(Ok(()))
    }

    pub(super) fn update(
        &mut self,
        target: Execution,
        update: UpdateRequest,
        responder: Responder,
        now: u64,
    ) -> StoreResult<()> {
        let run_id = match self.resolve(&target)? {
            Target::Open(run_id) => run_id,
            Target::Closed(row) => {
                self.reply(responder, Err(closed(&row, "updates")));
                return Ok(());
            }
            Target::Missing => {
                self.reply(responder, Err(not_found(&target)));
                return Ok(());
            }
        };
        if let Err(e) = self.check_payloads(&target.workflow_id, &update.args) {
            self.reply(responder, Err(e));
            return Ok(());
        }
        let run = self.runs.get_mut(&run_id).expect("open");
        if let Some(outcome) = run.completed_updates.get(&update.update_id) {
            let answer = Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())));
            self.reply(responder, answer);
            return Ok(());
        }
        let known = run.awaits_update(&update.update_id);
        let update_id = update.update_id.clone();
        let stage = update.wait;
        if !known {
            run.pending_updates.push(update);
            self.update_deadlines
                .push((now + self.worker_wait, run_id.clone(), update_id.clone()));
            self.agenda.at(now + self.worker_wait, Wake::WaitExpired);
        }
        self.update_waiters.entry(update_id).or_default().push(UpdateWaiter {
            run_id: run_id.clone(),
            stage,
            responder,
        });
        self.mark_dirty(&run_id);
        Ok(())
    }

    pub(super) fn update_result(
        &mut self,
        target: Execution,
        update_id: String,
        responder: Responder,
    ) -> StoreResult<()> {
        match self.resolve(&target)? {
            Target::Open(run_id) => {
                let run = &self.runs[&run_id];
                if let Some(outcome) = run.completed_updates.get(&update_id) {
                    let answer = Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())));
                    self.reply(responder, answer);
                } else if run.awaits_update(&update_id) {
                    self.update_waiters.entry(update_id).or_default().push(UpdateWaiter {
                        run_id,
                        stage: WaitStage::Completed,
                        responder,
                    });
                } else {
                    self.reply(responder, Err(unknown_update(&target.workflow_id, &update_id)));
                }
            }
            Target::Closed(row) => {
                let events = self.store.events(&row.run_id, 1)?;
                let outcome = events.into_iter().find_map(|e| match e.kind {
                    EventKind::WorkflowExecutionUpdateCompleted { update_id: id, outcome } if id == update_id => {
                        Some(outcome)
                    }
                    _ => None,
                });
                let answer = match outcome {
                    Some(outcome) => Ok(Reply::Update(UpdateStatus::Completed(outcome))),
                    None => Err(closed(&row, "updates")),
                };
                self.reply(responder, answer);
            }
            Target::Missing => self.reply(responder, Err(not_found(&target))),
        }
        Ok(())
    }

    pub(super) fn result(&mut self, target: Execution, responder: Responder) -> StoreResult<()> {
        let mut row = match self.resolve(&target)? {
            Target::Open(run_id) => {
                self.result_waiters.entry(run_id).or_default().push(responder);
                return Ok(());
            }
            Target::Closed(row) => row,
            Target::Missing => {
                self.reply(responder, Err(not_found(&target)));
                return Ok(());
            }
        };
        loop {
            if row.status == WorkflowStatus::ContinuedAsNew {
                if let Some(next) = row.next_run_id.clone() {
                    if self.runs.contains_key(&next) {
                        self.result_waiters.entry(next).or_default().push(responder);
                        return Ok(());
                    }
                    if let Some(next_row) = self.store.run(&next)? {
                        row = next_row;
                        continue;
                    }
                }
            }
            let answer = outcome(&self.store, &row)?;
            self.reply(responder, answer.map(Reply::Payload));
            return Ok(());
        }
    }

    pub(super) fn describe(&self, target: &Execution) -> StoreResult<Result<Description, ClientError>> {
        let row = match self.resolve(target)? {
            Target::Open(run_id) => {
                let run = &self.runs[&run_id];
                return Ok(Ok(Description {
                    workflow_id: run.row.workflow_id.clone(),
                    run_id,
                    workflow_type: run.row.workflow_type.clone(),
                    task_queue: run.row.task_queue.clone(),
                    status: WorkflowStatus::Running,
                    start_time_ms: run.row.start_ms,
                    close_time_ms: None,
                    history_length: run.next_event_id - 1,
                    signals_received: run.signals_received,
                    unhandled_signals: run.unhandled_signals.clone(),
                    task_failure: run.task_failure.clone(),
                }));
            }
            Target::Closed(row) => row,
            Target::Missing => return Ok(Err(not_found(target))),
        };
        Ok(Ok(described(&self.store, row)?))
    }

    pub(super) fn terminate(&mut self, run_id: &str, reason: String, now: u64) -> StoreResult<()> {
        self.append(
            run_id,
            EventKind::WorkflowExecutionTerminated { reason: reason.clone() },
            now,
        )?;
        self.close_run(
            run_id,
            WorkflowStatus::Terminated,
            Err(Failure::Terminated { reason }),
            None,
            now,
        )
    }
}

/// The outcome of a closed run, from its closing event.
pub(crate) fn outcome(store: &Store, row: &RunRow) -> StoreResult<Result<Payload, ClientError>> {
    let last = store.last_event(&row.run_id)?;
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
        _ => Err(ClientError::Storage(format!(
            "run `{}` is closed but its history has no closing event",
            row.run_id
        ))),
    })
}

/// A run described from its history alone: what a process without the
/// workflow's code can tell (no unhandled signals, no task failure).
pub(crate) fn described(store: &Store, row: RunRow) -> StoreResult<Description> {
    let events = store.events(&row.run_id, 1)?;
    let summary = OpenRun::from_history(row.clone(), &events);
    Ok(Description {
        workflow_id: row.workflow_id,
        run_id: row.run_id,
        workflow_type: row.workflow_type,
        task_queue: row.task_queue,
        status: row.status,
        start_time_ms: row.start_ms,
        close_time_ms: row.close_ms,
        history_length: events.len() as u64,
        signals_received: summary.signals_received,
        unhandled_signals: Vec::new(),
        task_failure: None,
    })
}
