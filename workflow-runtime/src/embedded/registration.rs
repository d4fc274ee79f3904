//! A worker as the embedded engine sees it: what it serves, the channel its
//! activity attempts go down, and what comes back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use workflow_client::{ApplicationError, Payload, TaskToken};

use super::store::ActivityKey;
use crate::activity::Execute;
use crate::activity_context::ActivityInfo;
use crate::registry::Offer;

/// One attempt of an activity, sent to a worker.
pub(crate) struct ActivityTask {
    pub(crate) activity: ActivityKey,
    pub(crate) info: ActivityInfo,
    pub(crate) args: Vec<Payload>,
    pub(crate) execute: Execute,
    /// The details of the activity's last heartbeat, from an earlier attempt.
    pub(crate) heartbeat_details: Vec<Payload>,
    /// Turns true when the engine wants the attempt to stop.
    pub(crate) cancel: watch::Receiver<bool>,
    /// Where the attempt leaves its heartbeats for the engine thread.
    pub(crate) heartbeat: HeartbeatSlot,
    /// Names the attempt, should it complete asynchronously.
    pub(crate) task_token: TaskToken,
}

/// The latest heartbeat of an attempt that the engine thread has not taken
/// yet. Each heartbeat replaces the details waiting there, and the engine
/// thread is told at most once per interval, so an attempt heartbeating in
/// a tight loop costs one store write per interval, not one per heartbeat;
/// what the last interval left is taken when the attempt fails.
#[derive(Clone)]
pub(crate) struct HeartbeatSlot {
    state: Arc<Mutex<SlotState>>,
    /// The least time between two notices to the engine thread.
    interval: Duration,
}

#[derive(Default)]
struct SlotState {
    details: Option<Vec<Payload>>,
    /// When the engine thread was last told.
    told: Option<Instant>,
}

impl HeartbeatSlot {
    pub(crate) fn new(interval: Duration) -> Self {
        HeartbeatSlot {
            state: Arc::default(),
            interval,
        }
    }

    /// Leaves `details`; true when the engine thread is due to be told.
    pub(crate) fn put(&self, details: Vec<Payload>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.details = Some(details);
        let now = Instant::now();
        let due = state.told.is_none_or(|told| now.duration_since(told) >= self.interval);
        if due {
            state.told = Some(now);
        }
        due
    }

    /// Takes the latest details, if any are waiting.
    pub(crate) fn take(&self) -> Option<Vec<Payload>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).details.take()
    }
}

/// A finished activity attempt, reported to the engine.
pub(crate) struct ActivityDone {
    pub(crate) activity: ActivityKey,
    pub(crate) attempt: u32,
    pub(crate) result: Result<Payload, ApplicationError>,
}

/// What a started worker offers the embedded engine on its task queue.
pub(crate) struct Registration {
    /// Tells this worker from others of the same task queue.
    pub(crate) id: u64,
    pub(crate) task_queue: String,
    pub(crate) offer: Offer,
    /// Where its activity attempts go.
    pub(crate) tasks: mpsc::UnboundedSender<ActivityTask>,
}

impl Registration {
    /// Hands an activity attempt to the worker; false if it has stopped.
    pub(crate) fn dispatch(&self, task: ActivityTask) -> bool {
        self.tasks.send(task).is_ok()
    }
}
