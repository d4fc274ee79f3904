//! Activities: the marker `#[workflow::activity]` generates, and how an
//! attempt is run.

use std::fmt;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt as _;
use tracing::Instrument as _;

use workflow_client::{ApplicationError, BoxFuture, DecodeFn, EncodeFn, Payload, PayloadError};

use crate::activity_context::ActivityContext;

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
