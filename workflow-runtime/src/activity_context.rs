//! The context an activity attempt runs with: facts about the attempt,
//! heartbeats, and cancellation.

use std::fmt;
use std::sync::Arc;

use tokio::sync::watch;

use workflow_client::{Payload, PayloadError};

/// Facts about the running activity attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityInfo {
    /// The name it was called by (for a dynamic activity, the unregistered name).
    pub activity_type: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// The calling workflow's id.
    pub workflow_id: String,
    /// The calling workflow's run id.
    pub run_id: String,
    /// The task queue it runs on.
    pub task_queue: String,
    /// Whether it runs as a local activity (`ctx.execute_local_activity`).
    pub is_local: bool,
}

/// What an activity may ask about itself and tell its engine; take it as an
/// optional first parameter of an `#[workflow::activity]` function.
///
/// ```
/// use workflow_runtime::ActivityContext;
///
/// // Annotated `#[workflow::activity]` in an application.
/// async fn copy_files(ctx: ActivityContext, count: u32) -> Result<u32, workflow_client::ApplicationError> {
///     // Resume where the previous attempt left off.
///     let start: u32 = ctx.heartbeat_details().unwrap_or(0);
///     for done in start..count {
///         if ctx.is_cancelled() {
///             return Err(workflow_client::ApplicationError::new("canceled").with_type("Canceled"));
///         }
///         ctx.heartbeat(&(done + 1))?;
///     }
///     Ok(count)
/// }
/// ```
#[derive(Clone)]
pub struct ActivityContext {
    inner: Arc<Attempt>,
}

/// One attempt of an activity as its context sees it.
struct Attempt {
    info: ActivityInfo,
    heartbeat_details: Vec<Payload>,
    cancel: watch::Receiver<bool>,
    heartbeat: Option<HeartbeatFn>,
}

/// Where an engine takes heartbeats.
pub(crate) type HeartbeatFn = Box<dyn Fn(Vec<Payload>) + Send + Sync>;

impl ActivityContext {
    /// A context connected to its engine: heartbeat details of the previous
    /// attempt, the cancellation flag and where heartbeats go.
    pub(crate) fn with_engine(
        info: ActivityInfo,
        heartbeat_details: Vec<Payload>,
        cancel: watch::Receiver<bool>,
        heartbeat: Option<HeartbeatFn>,
    ) -> Self {
        ActivityContext {
            inner: Arc::new(Attempt {
                info,
                heartbeat_details,
                cancel,
                heartbeat,
            }),
        }
    }

    /// Facts about this attempt.
    pub fn info(&self) -> &ActivityInfo {
        &self.inner.info
    }

    /// Reports progress. On the Temporal engine this keeps a heartbeat timeout
    /// from expiring and is how cancellation reaches the activity; the last
    /// details reach the next attempt through
    /// [`heartbeat_details`](Self::heartbeat_details).
    pub fn heartbeat<T: serde::Serialize + ?Sized>(&self, details: &T) -> Result<(), PayloadError> {
        if let Some(heartbeat) = &self.inner.heartbeat {
            heartbeat(vec![Payload::encode(details)?]);
        }
        Ok(())
    }

    /// The details of the last heartbeat of the previous attempt, if any decode as `T`.
    pub fn heartbeat_details<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.inner.heartbeat_details.first().and_then(|p| p.decode().ok())
    }

    /// Whether the workflow asked for this activity to be canceled.
    pub fn is_cancelled(&self) -> bool {
        *self.inner.cancel.borrow()
    }

    /// Resolves when cancellation is requested (never, on an engine that does
    /// not deliver it).
    pub async fn cancelled(&self) {
        let mut cancel = self.inner.cancel.clone();
        if cancel.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl fmt::Debug for ActivityContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityContext")
            .field("info", &self.inner.info)
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}
