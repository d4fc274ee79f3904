//! In-memory state of open runs, and the cache of live run instances.

use std::collections::{BTreeMap, HashMap, HashSet};

use workflow_client::{Event, EventKind, Failure, ParentInfo, Payload, UpdateRequest};

use super::store::{Progress, RunKey, RunRow};
use crate::executor::RunInstance;

/// What the engine keeps in memory about an open run it has loaded; all of
/// it can be rebuilt from the store.
pub(crate) struct OpenRun {
    /// Its row, counters included; written back at the end of each batch
    /// that changed them.
    pub(crate) row: RunRow,
    /// Whether `row.progress` changed since it was last written.
    pub(crate) changed: bool,
    /// The events from `row.progress.inputs_from` on, kept so a workflow
    /// task need not read back what was just written.
    pub(crate) inputs: Vec<Event>,
    /// Update requests waiting for the next workflow task (not yet durable).
    pub(crate) pending_updates: Vec<UpdateRequest>,
    /// Accepted updates whose handler is still running.
    pub(crate) accepted_updates: HashSet<String>,
    /// Outcomes of completed updates, for late `update_result` calls.
    pub(crate) completed_updates: HashMap<String, Result<Payload, Failure>>,
    /// Timers started and not yet fired or canceled.
    pub(crate) timers: HashSet<u32>,
    /// Activities scheduled and not yet resolved.
    pub(crate) activities: HashSet<u32>,
    /// While set, workflow tasks wait until this time (after a failure).
    pub(crate) retry_at: Option<u64>,
    /// Markers of local activities that finished, for the next workflow
    /// task to take in and record (their rows stay in the store until then).
    pub(crate) local_outcomes: Vec<EventKind>,
}

impl OpenRun {
    /// A run just created, with no events yet.
    pub(crate) fn new(row: RunRow) -> Self {
        OpenRun {
            row,
            changed: false,
            inputs: Vec::new(),
            pending_updates: Vec::new(),
            accepted_updates: HashSet::new(),
            completed_updates: HashMap::new(),
            timers: HashSet::new(),
            activities: HashSet::new(),
            retry_at: None,
            local_outcomes: Vec::new(),
        }
    }

    /// A run loaded from its row and its history: the inputs no task has
    /// taken yet and the state of its updates.
    pub(crate) fn from_history(row: RunRow, events: &[Event]) -> Self {
        let mut run = OpenRun::new(row);
        let implied = Progress::from_history(events);
        let progress = &mut run.row.progress;
        if (progress.history_length, progress.inputs_from, progress.signals_received)
            != (implied.history_length, implied.inputs_from, implied.signals_received)
        {
            // The history is the record; the counters only summarize it.
            progress.history_length = implied.history_length;
            progress.inputs_from = implied.inputs_from;
            progress.signals_received = implied.signals_received;
            run.changed = true;
        }
        for event in events {
            match &event.kind {
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
        let from = run.row.progress.inputs_from;
        run.inputs = events.iter().filter(|e| e.id >= from).cloned().collect();
        run
    }

    /// The id the next event gets.
    pub(crate) fn next_event_id(&self) -> u64 {
        self.row.progress.history_length + 1
    }

    /// Records an appended event; from `inputs_from` on, it is input.
    pub(crate) fn appended(&mut self, event: &Event) {
        self.row.progress.history_length = event.id;
        if event.id >= self.row.progress.inputs_from {
            self.inputs.push(event.clone());
        }
        self.changed = true;
    }

    /// Everything so far has been fed to the run.
    pub(crate) fn inputs_taken(&mut self) {
        self.row.progress.inputs_from = self.next_event_id();
        self.inputs.clear();
        self.changed = true;
    }

    /// Records why the last workflow task failed, or that one succeeded.
    pub(crate) fn set_task_failure(&mut self, failure: Option<String>) {
        if self.row.progress.task_failure != failure {
            self.row.progress.task_failure = failure;
            self.changed = true;
        }
    }

    pub(crate) fn parent(&self) -> Option<&ParentInfo> {
        self.row.parent.as_ref()
    }

    /// Whether an update with this id is waiting to be run or still running.
    pub(crate) fn awaits_update(&self, update_id: &str) -> bool {
        self.accepted_updates.contains(update_id) || self.pending_updates.iter().any(|u| u.update_id == update_id)
    }

    pub(crate) fn has_work(&self) -> bool {
        self.row.progress.has_inputs() || !self.pending_updates.is_empty() || !self.local_outcomes.is_empty()
    }

    /// Whether it can leave memory: nothing waits in it that the store does
    /// not hold (loading it again rebuilds the rest from its history).
    pub(crate) fn is_idle(&self) -> bool {
        !self.has_work() && !self.changed && self.retry_at.is_none()
    }
}

/// Least-recently-used cache of run instances.
pub(crate) struct RunCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<RunKey, (u64, Box<dyn RunInstance>)>,
    order: BTreeMap<u64, RunKey>,
}

impl RunCache {
    /// How many instances it holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn new(capacity: usize) -> Self {
        RunCache {
            capacity,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Takes a run's instance out of the cache.
    pub(crate) fn take(&mut self, run: RunKey) -> Option<Box<dyn RunInstance>> {
        let (tick, instance) = self.entries.remove(&run)?;
        self.order.remove(&tick);
        Some(instance)
    }

    /// Whether it holds a run's instance.
    pub(crate) fn contains(&self, run: RunKey) -> bool {
        self.entries.contains_key(&run)
    }

    /// Puts an instance back, evicting the least recently used beyond
    /// capacity; the runs that lose their instance go to `evicted`.
    pub(crate) fn put(&mut self, run: RunKey, instance: Box<dyn RunInstance>, evicted: &mut Vec<RunKey>) {
        if self.capacity == 0 {
            evicted.push(run);
            return;
        }
        self.tick += 1;
        self.order.insert(self.tick, run);
        if let Some((old, _)) = self.entries.insert(run, (self.tick, instance)) {
            self.order.remove(&old);
        }
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
            evicted.push(oldest);
        }
    }

    /// Drops the instances of the runs `pick` selects; they go to `evicted`.
    pub(crate) fn evict(&mut self, mut pick: impl FnMut(RunKey) -> bool, evicted: &mut Vec<RunKey>) {
        let picked: Vec<(u64, RunKey)> = self
            .entries
            .iter()
            .filter(|(run, _)| pick(**run))
            .map(|(run, (tick, _))| (*tick, *run))
            .collect();
        for (tick, run) in picked {
            self.order.remove(&tick);
            self.entries.remove(&run);
            evicted.push(run);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}
