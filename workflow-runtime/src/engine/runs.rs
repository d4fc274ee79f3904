//! In-memory state of open runs, and the cache of live run instances.

use std::collections::{BTreeMap, HashMap, HashSet};

use workflow_client::{Event, EventKind, Failure, ParentInfo, Payload, UpdateRequest};

use crate::executor::RunInstance;
use crate::replay::is_command_event;

use super::store::RunRow;

/// What the engine keeps in memory about an open run; all of it can be
/// rebuilt from the store.
pub(crate) struct OpenRun {
    pub(crate) row: RunRow,
    /// Id the next event will get.
    pub(crate) next_event_id: u64,
    /// First event not yet fed to the run (events from here on are new input).
    pub(crate) inputs_from: u64,
    /// The events from `inputs_from` on, kept so a workflow task need not
    /// read back what was just written.
    pub(crate) inputs: Vec<Event>,
    pub(crate) signals_received: u64,
    /// Update requests waiting for the next workflow task (not yet durable).
    pub(crate) pending_updates: Vec<UpdateRequest>,
    /// Accepted updates whose handler is still running.
    pub(crate) accepted_updates: HashSet<String>,
    /// Outcomes of completed updates, for late `update_result` calls.
    pub(crate) completed_updates: HashMap<String, Result<Payload, Failure>>,
    pub(crate) unhandled_signals: Vec<String>,
    pub(crate) task_failure: Option<String>,
    /// Timers started and not yet fired or canceled.
    pub(crate) timers: HashSet<u32>,
    /// Activities scheduled and not yet resolved.
    pub(crate) activities: HashSet<u32>,
    /// While set, workflow tasks wait until this time (after a failure).
    pub(crate) retry_at: Option<u64>,
}

impl OpenRun {
    pub(crate) fn new(row: RunRow) -> Self {
        OpenRun {
            row,
            next_event_id: 1,
            inputs_from: 1,
            inputs: Vec::new(),
            signals_received: 0,
            pending_updates: Vec::new(),
            accepted_updates: HashSet::new(),
            completed_updates: HashMap::new(),
            unhandled_signals: Vec::new(),
            task_failure: None,
            timers: HashSet::new(),
            activities: HashSet::new(),
            retry_at: None,
        }
    }

    /// Rebuilds the counters of a run from its history.
    pub(crate) fn from_history(row: RunRow, events: &[Event]) -> Self {
        let mut run = OpenRun::new(row);
        let mut after_task = false;
        for event in events {
            run.next_event_id = event.id + 1;
            match &event.kind {
                EventKind::WorkflowTaskCompleted => after_task = true,
                kind if after_task && is_command_event(kind) => {}
                _ => after_task = false,
            }
            if after_task {
                run.inputs_from = event.id + 1;
            }
            match &event.kind {
                EventKind::WorkflowExecutionSignaled { .. } => run.signals_received += 1,
                EventKind::WorkflowExecutionUpdateAccepted { update_id, .. } => {
                    run.accepted_updates.insert(update_id.clone());
                }
                EventKind::WorkflowExecutionUpdateCompleted { update_id, outcome } => {
                    run.accepted_updates.remove(update_id);
                    run.completed_updates.insert(update_id.clone(), outcome.clone());
                }
                _ => {}
            }
        }
        run.inputs = events.iter().filter(|e| e.id >= run.inputs_from).cloned().collect();
        run
    }

    /// Records an appended event; from `inputs_from` on, it is input.
    pub(crate) fn appended(&mut self, event: &Event) {
        self.next_event_id = event.id + 1;
        if event.id >= self.inputs_from {
            self.inputs.push(event.clone());
        }
    }

    /// Everything so far has been fed to the run.
    pub(crate) fn inputs_taken(&mut self) {
        self.inputs_from = self.next_event_id;
        self.inputs.clear();
    }

    pub(crate) fn parent(&self) -> Option<&ParentInfo> {
        self.row.parent.as_ref()
    }

    /// Whether an update with this id is waiting to be run or still running.
    pub(crate) fn awaits_update(&self, update_id: &str) -> bool {
        self.accepted_updates.contains(update_id) || self.pending_updates.iter().any(|u| u.update_id == update_id)
    }

    pub(crate) fn has_work(&self) -> bool {
        self.inputs_from < self.next_event_id || !self.pending_updates.is_empty()
    }
}

/// Least-recently-used cache of run instances.
pub(crate) struct RunCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (u64, Box<dyn RunInstance>)>,
    order: BTreeMap<u64, String>,
}

impl RunCache {
    pub(crate) fn new(capacity: usize) -> Self {
        RunCache {
            capacity,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Takes a run's instance out of the cache.
    pub(crate) fn take(&mut self, run_id: &str) -> Option<Box<dyn RunInstance>> {
        let (tick, instance) = self.entries.remove(run_id)?;
        self.order.remove(&tick);
        Some(instance)
    }

    /// Puts an instance back, evicting the least recently used beyond capacity.
    pub(crate) fn put(&mut self, run_id: &str, instance: Box<dyn RunInstance>) {
        if self.capacity == 0 {
            return;
        }
        self.tick += 1;
        self.order.insert(self.tick, run_id.to_owned());
        if let Some((old, _)) = self.entries.insert(run_id.to_owned(), (self.tick, instance)) {
            self.order.remove(&old);
        }
        while self.entries.len() > self.capacity {
            let Some((_, evicted)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&evicted);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}
