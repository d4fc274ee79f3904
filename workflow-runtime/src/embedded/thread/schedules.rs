//! Schedules on the engine thread: calls from clients, the agenda's wakes
//! that tick them, the workflows they start, and what those runs closing
//! tells them.

use workflow_client::schedule::{
    ActionOutcome, ScheduleAction, ScheduleOp, ScheduleReply, ScheduleState, ScheduleSummary,
};
use workflow_client::{IdConflictPolicy, IdReusePolicy, StartRequest};

use super::*;
use crate::embedded::schedules::{described, summary};
use crate::embedded::store::{ScheduleKey, ScheduleRow};

impl EngineThread {
    /// Loads every schedule; one whose running workflow closed while no
    /// process owned the file learns it first. Each then ticks at once:
    /// times missed meanwhile are caught up per its catch-up window.
    pub(super) fn load_schedules(&mut self) -> StoreResult<()> {
        self.schedules = Default::default();
        for row in self.store.schedules()? {
            let key = row.key;
            self.schedules.insert(row);
            let running: Vec<String> = self
                .schedules
                .running
                .iter()
                .filter(|(_, k)| **k == key)
                .map(|(w, _)| w.clone())
                .collect();
            for workflow_id in running {
                if let Some(closed) = self.store.current_run(&workflow_id)?.filter(|r| !r.status.is_running()) {
                    self.schedule_action_closed(&workflow_id, closed.status, String::new());
                }
            }
            self.agenda.at(self.clock.now(), Wake::Schedule { schedule: key });
        }
        Ok(())
    }

    /// A client's call on schedule `schedule_id`.
    pub(super) fn schedule_call(
        &mut self,
        schedule_id: String,
        op: ScheduleOp,
        now: u64,
    ) -> StoreResult<Result<ScheduleReply, ClientError>> {
        let now_ms = i64::try_from(now).unwrap_or(i64::MAX);
        let key = self.schedules.by_id.get(&schedule_id).copied();
        let (key, op) = match (key, op) {
            (None, ScheduleOp::Create(definition)) => {
                let mut state = ScheduleState::new(now_ms);
                if definition.paused {
                    state.pause(definition.note.clone());
                }
                let Some(key) = self.store.insert_schedule(&schedule_id, &definition, &state)? else {
                    return Ok(Err(ClientError::ScheduleAlreadyExists { schedule_id }));
                };
                self.schedules.insert(ScheduleRow {
                    key,
                    schedule_id,
                    definition: *definition,
                    state,
                });
                self.arm_schedule(key);
                return Ok(Ok(ScheduleReply::Done));
            }
            (Some(_), ScheduleOp::Create(_)) => return Ok(Err(ClientError::ScheduleAlreadyExists { schedule_id })),
            (None, _) => return Ok(Err(ClientError::ScheduleNotFound { schedule_id })),
            (Some(key), op) => (key, op),
        };
        let Some(row) = self.schedules.by_key.get_mut(&key) else {
            return Ok(Err(ClientError::ScheduleNotFound { schedule_id }));
        };
        match op {
            ScheduleOp::Describe => return Ok(Ok(ScheduleReply::Description(Box::new(described(row, now_ms))))),
            ScheduleOp::Delete => {
                self.store.delete_schedule(key)?;
                self.schedules.remove(key);
                return Ok(Ok(ScheduleReply::Done));
            }
            ScheduleOp::Pause(note) => row.state.pause(note),
            ScheduleOp::Unpause(note) => row.state.unpause(now_ms, note),
            ScheduleOp::Trigger(overlap) => row.state.trigger_now(now_ms, overlap),
            ScheduleOp::Update(definition) => {
                row.definition = *definition;
                row.state.updated(now_ms);
            }
            ScheduleOp::Create(_) => unreachable!("handled above"),
        }
        self.store.save_schedule(key, &row.definition, &row.state)?;
        self.agenda.at(now, Wake::Schedule { schedule: key });
        Ok(Ok(ScheduleReply::Done))
    }

    /// Every schedule, by id.
    pub(super) fn schedule_summaries(&self) -> Vec<ScheduleSummary> {
        let mut all: Vec<ScheduleSummary> = self.schedules.by_key.values().map(summary).collect();
        all.sort_by(|a, b| a.schedule_id.cmp(&b.schedule_id));
        all
    }

    /// A schedule's wake: tick it and carry out its actions.
    pub(super) fn fire_schedule(&mut self, key: ScheduleKey, now: u64) -> StoreResult<()> {
        let now_ms = i64::try_from(now).unwrap_or(i64::MAX);
        let Some(row) = self.schedules.by_key.get_mut(&key) else {
            return Ok(());
        };
        let base_id = row.definition.action.workflow_id.clone();
        let actions = row.state.tick(
            &row.definition.spec,
            &row.definition.policies,
            &row.schedule_id,
            &base_id,
            now_ms,
        );
        let template = row.definition.action.clone();
        for action in actions {
            match action {
                ScheduleAction::Start(start) => {
                    let request = StartRequest {
                        workflow_id: start.workflow_id.clone(),
                        id_reuse_policy: match start.manual {
                            true => IdReusePolicy::AllowDuplicate,
                            false => IdReusePolicy::RejectDuplicate,
                        },
                        id_conflict_policy: Some(IdConflictPolicy::Fail),
                        ..template.clone()
                    };
                    self.schedules.running.insert(start.workflow_id.clone(), key);
                    if let Err(e) = self.start(request, now)? {
                        tracing::warn!(schedule = %base_id, workflow_id = %start.workflow_id, error = %e, "a scheduled start failed");
                        self.schedule_action_closed(&start.workflow_id, WorkflowStatus::Failed, e.to_string());
                    }
                }
                ScheduleAction::CancelRunning { workflow_id } => {
                    if let Some(run) = self.current_open(&workflow_id)? {
                        let reason = "canceled by its schedule's overlap policy".to_owned();
                        self.append(run, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                        self.mark_dirty(run);
                    }
                }
                ScheduleAction::TerminateRunning { workflow_id } => {
                    if let Some(run) = self.current_open(&workflow_id)? {
                        let reason = "terminated by its schedule's overlap policy".to_owned();
                        self.terminate(run, reason, now)?;
                    }
                }
            }
        }
        if let Some(row) = self.schedules.by_key.get(&key) {
            self.store.save_schedule(key, &row.definition, &row.state)?;
        }
        self.arm_schedule(key);
        Ok(())
    }

    /// A workflow a schedule started closed (not continued as new): the
    /// schedule may start what it buffered.
    pub(super) fn schedule_action_closed(&mut self, workflow_id: &str, status: WorkflowStatus, message: String) {
        let Some(key) = self.schedules.running.remove(workflow_id) else {
            return;
        };
        let Some(row) = self.schedules.by_key.get_mut(&key) else {
            return;
        };
        let outcome = match status {
            WorkflowStatus::Completed => ActionOutcome::Completed,
            WorkflowStatus::TimedOut => ActionOutcome::TimedOut,
            WorkflowStatus::Canceled => ActionOutcome::Canceled,
            WorkflowStatus::Terminated => ActionOutcome::Terminated,
            _ => ActionOutcome::Failed { message },
        };
        row.state.action_closed(workflow_id, outcome, &row.definition.policies);
        self.agenda.at(self.clock.now(), Wake::Schedule { schedule: key });
    }

    /// Puts a schedule's next tick on the agenda.
    fn arm_schedule(&mut self, key: ScheduleKey) {
        let Some(row) = self.schedules.by_key.get(&key) else {
            return;
        };
        let mut next = row.state.next_wake(&row.definition.spec, &row.schedule_id);
        if !row.state.buffered_starts().is_empty() {
            // A buffered start goes as soon as the run it waits for closes,
            // which wakes the schedule; a trigger goes now.
            next = Some(i64::try_from(self.clock.now()).unwrap_or(i64::MAX))
                .min(next)
                .or(next);
        }
        if let Some(at) = next {
            self.agenda
                .at(u64::try_from(at).unwrap_or(0), Wake::Schedule { schedule: key });
        }
    }
}
