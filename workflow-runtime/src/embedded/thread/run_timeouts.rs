//! A run's own clock: its delayed first task, its run and execution
//! timeouts, and the retry of a failed or timed-out run by the workflow's
//! retry policy.

use workflow_client::{EventKind, Failure, TimeoutKind};

use super::*;
use crate::embedded::run_settings::Deadline;

/// What a run that ran out of time reports: Temporal's start-to-close
/// timeout, as its SDKs show it.
pub(crate) fn run_timed_out() -> Failure {
    Failure::Timeout {
        kind: TimeoutKind::StartToClose,
    }
}

impl EngineThread {
    /// A run's due time came: its first task may go, or its time is up.
    pub(super) fn run_due(&mut self, key: RunKey, now: u64) -> StoreResult<()> {
        let Some(run) = self.touch(key)? else {
            return Ok(());
        };
        let row = run.row.clone();
        if let Some((at, deadline)) = row.settings.deadline().filter(|(at, _)| *at <= now) {
            tracing::info!(workflow_id = %row.workflow_id, run_id = %row.run_id, deadline_ms = at, ?deadline, "run timed out");
            return self.time_out(&row, deadline, now);
        }
        if row.settings.first_task_ms.is_some_and(|at| at <= now) {
            self.end_first_task_wait(key)?;
        }
        let run = self.open_run(key)?;
        if let Some(at) = run.row.settings.due_ms() {
            self.agenda.at(at.max(now + 1), Wake::RunDue { run: key });
        }
        Ok(())
    }

    /// The run's first workflow task need wait no longer.
    pub(super) fn end_first_task_wait(&mut self, key: RunKey) -> StoreResult<()> {
        let run = self.run_mut(key)?;
        if run.row.settings.first_task_ms.take().is_some() {
            let row = run.row.clone();
            self.store.save_settings(&row)?;
            self.mark_dirty(key);
        }
        Ok(())
    }

    /// Closes a run that ran out of time; a run timeout may start a retry.
    fn time_out(&mut self, row: &RunRow, deadline: Deadline, now: u64) -> StoreResult<()> {
        self.append(row.key, EventKind::WorkflowExecutionTimedOut, now)?;
        let failure = run_timed_out();
        let successor = match deadline {
            Deadline::Run => self.retry_of(row, &failure, now)?,
            Deadline::Execution => None,
        };
        self.close_run(row.key, WorkflowStatus::TimedOut, Err(failure), successor, now)
    }

    /// The run that retries `row` after it ended with `failure`, if its
    /// retry policy starts one: the same arguments and headers, the next
    /// attempt, as Temporal retries a run.
    pub(super) fn retry_of(&self, row: &RunRow, failure: &Failure, now: u64) -> StoreResult<Option<Successor>> {
        let Some(settings) = row.settings.retry(failure, now) else {
            return Ok(None);
        };
        let started = self.store.events_between(row.key, 1, 2)?.into_iter().next();
        let (input, header) = match started.map(|e| e.kind) {
            Some(EventKind::WorkflowExecutionStarted { input, header, .. }) => (input, header),
            _ => Default::default(),
        };
        Ok(Some(Successor {
            run_id: workflow_client::id::unique_id(),
            input,
            header,
            settings,
        }))
    }
}
