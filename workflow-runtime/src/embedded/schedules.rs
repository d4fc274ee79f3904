//! The schedules the engine thread drives: every one is loaded at open
//! (there are few), found by key, by id, and by the workflow its action is
//! running.

use std::collections::HashMap;

use workflow_client::schedule::{ScheduleDescription, ScheduleSummary};

use super::store::{ScheduleKey, ScheduleRow};

/// The engine's schedules.
#[derive(Default)]
pub(crate) struct Schedules {
    /// Each schedule's row, as last written.
    pub(crate) by_key: HashMap<ScheduleKey, ScheduleRow>,
    /// Keys by schedule id.
    pub(crate) by_id: HashMap<String, ScheduleKey>,
    /// The schedule whose action started each workflow id still running.
    pub(crate) running: HashMap<String, ScheduleKey>,
}

impl Schedules {
    /// Adds (or replaces) a schedule.
    pub(crate) fn insert(&mut self, row: ScheduleRow) {
        self.by_id.insert(row.schedule_id.clone(), row.key);
        if let Some(workflow_id) = row.state.running_workflow_id() {
            self.running.insert(workflow_id.to_owned(), row.key);
        }
        self.by_key.insert(row.key, row);
    }

    /// Forgets a schedule.
    pub(crate) fn remove(&mut self, key: ScheduleKey) -> Option<ScheduleRow> {
        let row = self.by_key.remove(&key)?;
        self.by_id.remove(&row.schedule_id);
        self.running.retain(|_, k| *k != key);
        Some(row)
    }
}

/// How many next times `describe` lists, as Temporal's.
const NEXT_TIMES: usize = 10;

/// A schedule as `describe` shows it at `now_ms`.
pub(crate) fn described(row: &ScheduleRow, now_ms: i64) -> ScheduleDescription {
    let spec = &row.definition.spec;
    let mut next_action_times_ms = Vec::with_capacity(NEXT_TIMES);
    let mut after = row.state.last_processed_ms().max(now_ms);
    while next_action_times_ms.len() < NEXT_TIMES {
        let Some(fire) = spec.next_fire(&row.schedule_id, after) else {
            break;
        };
        next_action_times_ms.push(fire.actual_ms);
        after = fire.nominal_ms;
    }
    ScheduleDescription {
        schedule_id: row.schedule_id.clone(),
        definition: row.definition.clone(),
        paused: row.state.paused(),
        note: row.state.note().to_owned(),
        info: row.state.info().clone(),
        running_workflows: row.state.running_workflow_id().map(str::to_owned).into_iter().collect(),
        next_action_times_ms,
    }
}

/// A schedule as `list` shows it.
pub(crate) fn summary(row: &ScheduleRow) -> ScheduleSummary {
    ScheduleSummary {
        schedule_id: row.schedule_id.clone(),
        workflow_type: row.definition.action.workflow_type.clone(),
        paused: row.state.paused(),
        next_action_time_ms: row.state.next_wake(&row.definition.spec, &row.schedule_id),
    }
}
