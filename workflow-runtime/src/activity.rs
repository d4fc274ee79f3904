//! Activities: the marker `#[workflow::activity]` generates and the context
//! an activity runs with.

use std::fmt;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt as _;
use tokio::sync::watch;
use tracing::Instrument as _;

use workflow_client::{ApplicationError, BoxFuture, DecodeFn, EncodeFn, Payload, PayloadError};

/// What an activity may return as its error: anything that converts into
/// a boxed `std::error::Error`, as `?` does: any error type, an
/// `anyhow::Error`, an [`ApplicationError`] (kept as it is, so one can be
/// marked non-retryable), a `String`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an activity's error",
    label = "an activity's error must implement `std::error::Error + Send + Sync + 'static`",
    note = "return `Result<T, E>` with such an `E`, `anyhow::Result<T>`, or `Result<T, ApplicationError>` to choose the failure's type and whether it is retried"
)]
pub trait ActivityError: Into<Box<dyn std::error::Error + Send + Sync + 'static>> + 'static {}

impl<E: Into<Box<dyn std::error::Error + Send + Sync + 'static>> + 'static> ActivityError for E {}

/// The failure an activity's error becomes (see [`ApplicationError::from_error`]).
#[doc(hidden)]
pub fn __activity_failure<E: ActivityError>(error: E) -> ApplicationError {
    ApplicationError::from_error(error)
}

/// Runs an activity on decoded-on-demand arguments.
pub type ExecuteFn = fn(ActivityContext, Vec<Payload>) -> BoxFuture<Result<Payload, ApplicationError>>;

/// What a worker runs for an activity name: a registered activity's
/// [`ExecuteFn`], or a closure standing in for one (`mock_activity`).
pub(crate) type Execute =
    Arc<dyn Fn(ActivityContext, Vec<Payload>) -> BoxFuture<Result<Payload, ApplicationError>> + Send + Sync>;

/// An activity taking `A` and returning `O`: what `#[workflow::activity]`
/// turns an `async fn` into, and what `execute_activity` and
/// `Worker::activity` take.
pub struct Activity<A, O> {
    name: &'static str,
    dynamic: bool,
    encode: EncodeFn<A>,
    decode: DecodeFn<O>,
    execute: ExecuteFn,
    _types: PhantomData<fn() -> A>,
}

impl<A, O> Activity<A, O> {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        dynamic: bool,
        encode: EncodeFn<A>,
        decode: DecodeFn<O>,
        execute: ExecuteFn,
    ) -> Self {
        Activity {
            name,
            dynamic,
            encode,
            decode,
            execute,
            _types: PhantomData,
        }
    }

    /// Decodes the activity's result.
    pub fn decode(&self, payload: &Payload) -> Result<O, PayloadError> {
        (self.decode)(payload)
    }

    pub(crate) fn decoder(&self) -> DecodeFn<O> {
        self.decode
    }

    /// The activity's wire name (the function name unless renamed).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether this is the dynamic activity, run for unregistered names.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }

    /// Encodes arguments for a call, one payload each.
    pub fn encode(&self, args: A) -> Result<Vec<Payload>, PayloadError> {
        (self.encode)(args)
    }

    pub(crate) fn executor(&self) -> Execute {
        Arc::new(self.execute)
    }
}

impl<A, O> Clone for Activity<A, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, O> Copy for Activity<A, O> {}

impl<A, O> fmt::Debug for Activity<A, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Activity({:?})", self.name)
    }
}

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
    /// A context whose engine does not record heartbeats or deliver cancellation.
    pub(crate) fn new(info: ActivityInfo) -> Self {
        let (_, cancel) = watch::channel(false);
        ActivityContext::with_engine(info, Vec::new(), cancel, None)
    }

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

/// Runs one activity attempt; a panic becomes a retryable `Panic` error.
pub(crate) async fn run_activity(
    execute: Execute,
    ctx: ActivityContext,
    args: Vec<Payload>,
) -> Result<Payload, ApplicationError> {
    let name = ctx.info().activity_type.clone();
    let span = {
        let info = ctx.info();
        tracing::info_span!(
            "activity",
            workflow_id = info.workflow_id.as_str(),
            run_id = info.run_id.as_str(),
            activity = name.as_str(),
            attempt = info.attempt
        )
    };
    AssertUnwindSafe(execute(ctx, args))
        .catch_unwind()
        .instrument(span)
        .await
        .unwrap_or_else(|_| Err(ApplicationError::new(format!("activity `{name}` panicked")).with_type("Panic")))
}
