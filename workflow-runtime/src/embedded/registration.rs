//! A worker as the embedded engine sees it: what it serves, the channel its
//! activity attempts go down, and what comes back.

use tokio::sync::mpsc;
use workflow_client::{ApplicationError, Payload};

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
