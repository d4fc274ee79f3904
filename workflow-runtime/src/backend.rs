//! What an [`Engine`](crate::Engine) runs on: the embedded engine or a
//! Temporal server, behind one private interface.

use std::sync::Arc;

use tokio::runtime::Handle;
use workflow_client::Client;

use crate::registry::Offer;
use crate::setup_error::WorkerError;

/// An engine's backend.
pub(crate) trait EngineBackend: Send + Sync {
    /// A typed client of it.
    fn client(self: Arc<Self>) -> Client;

    /// Starts serving `task_queue` with what `offer` registers; activities
    /// run on `runtime`.
    fn start_worker(
        self: Arc<Self>,
        task_queue: String,
        offer: Offer,
        runtime: &Handle,
    ) -> Result<Box<dyn RunningWorker>, WorkerError>;

    /// Stops it (the embedded engine's thread) or its workers (Temporal).
    fn close(&self);
}

/// A started worker, as its backend stops it.
pub(crate) trait RunningWorker: Send + Sync {
    /// The task queue it serves.
    fn task_queue(&self) -> &str;

    /// Stops taking new tasks; what is under way finishes and reports.
    fn shutdown(self: Box<Self>);
}
