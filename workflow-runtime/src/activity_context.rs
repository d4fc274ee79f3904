//! The context an activity attempt runs with: facts about the attempt,
//! heartbeats, and cancellation.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::watch;

use workflow_client::{ApplicationError, Headers, Payload, PayloadError, TaskToken};

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
    /// The headers the workflow scheduled it with.
    pub headers: Headers,
    /// When this attempt was scheduled: the activity's scheduling for the
    /// first, the end of the retry backoff for the others.
    pub current_attempt_scheduled_time: SystemTime,
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
    task_token: TaskToken,
    /// Set by [`ActivityContext::complete_async`]: what the attempt returns
    /// is not its outcome.
    completes_async: AtomicBool,
}

/// The error [`ActivityContext::complete_async`] returns, which the engine
/// takes as "no outcome yet". Convert it into the activity's error type:
/// `ApplicationError` and `anyhow::Error` take it as is; an error enum of
/// your own takes it with a `#[from] CompleteAsync` variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the activity completes asynchronously; a local activity cannot, so run it with `execute_activity`")]
pub struct CompleteAsync;

impl From<CompleteAsync> for ApplicationError {
    fn from(e: CompleteAsync) -> Self {
        ApplicationError::new(e.to_string())
            .with_type("CompleteAsync")
            .non_retryable()
    }
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
        task_token: TaskToken,
    ) -> Self {
        ActivityContext {
            inner: Arc::new(Attempt {
                info,
                heartbeat_details,
                cancel,
                heartbeat,
                task_token,
                completes_async: AtomicBool::new(false),
            }),
        }
    }

    /// The token that names this attempt, for finishing it from elsewhere
    /// with [`Client::async_activity`](workflow_client::Client::async_activity)
    /// after [`complete_async`](Self::complete_async).
    pub fn task_token(&self) -> &TaskToken {
        &self.inner.task_token
    }

    /// Says the attempt completes later, from elsewhere: return what this
    /// returns, and the engine waits for `client.async_activity(token)` to
    /// complete or fail the attempt (its start-to-close and heartbeat
    /// timeouts still run). A local activity cannot complete asynchronously;
    /// one that tries fails with this error, not retried.
    ///
    /// ```
    /// # use workflow_runtime::ActivityContext;
    /// # use workflow_client::ApplicationError;
    /// # struct Reviews;
    /// # impl Reviews { async fn submit(&self, _token: String, _doc: &str) -> Result<(), ApplicationError> { Ok(()) } }
    /// // An `#[workflow::activity]` whose answer comes from a person, much later.
    /// async fn review(ctx: ActivityContext, reviews: &Reviews, doc: String) -> Result<bool, ApplicationError> {
    ///     reviews.submit(ctx.task_token().to_string(), &doc).await?;
    ///     ctx.complete_async()
    /// }
    /// ```
    pub fn complete_async<T, E: From<CompleteAsync>>(&self) -> Result<T, E> {
        if !self.inner.info.is_local {
            self.inner.completes_async.store(true, Ordering::Release);
        }
        Err(CompleteAsync.into())
    }

    /// Whether the attempt said it completes asynchronously.
    pub(crate) fn completes_async(&self) -> bool {
        self.inner.completes_async.load(Ordering::Acquire)
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
