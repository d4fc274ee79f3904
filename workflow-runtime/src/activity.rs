//! Activities: the marker `#[workflow::activity]` and
//! `#[workflow::activities]` generate, and how an attempt is run.

use std::any::{type_name, Any};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
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

/// The instance a method activity of type `T` runs on; an error when it is
/// run on an instance of another type (`ActivityEnvironment::run_on` with
/// another type's activity).
#[doc(hidden)]
pub fn __activity_instance<T: Any>(instance: &Instance) -> Result<&T, ApplicationError> {
    instance.downcast_ref().ok_or_else(|| {
        ApplicationError::new(format!(
            "the activity is a method of `{}` and was run on an instance of another type",
            type_name::<T>()
        ))
        .with_type("WrongInstance")
        .non_retryable()
    })
}

/// Runs an activity on decoded-on-demand arguments.
pub type ExecuteFn = fn(ActivityContext, Vec<Payload>) -> BoxFuture<Result<Payload, ApplicationError>>;

/// Runs a method activity on an instance of its impl block's type, on
/// decoded-on-demand arguments.
pub type MethodFn = for<'a> fn(&'a Instance, ActivityContext, Vec<Payload>) -> ActivityFuture<'a>;

/// An activity attempt under way; a method's borrows its instance.
pub type ActivityFuture<'a> = Pin<Box<dyn Future<Output = Result<Payload, ApplicationError>> + Send + 'a>>;

/// An instance of an `#[workflow::activities]` type, as a worker shares it.
pub type Instance = dyn Any + Send + Sync;

/// The type of an `#[workflow::activities]` impl block, whose methods are
/// activities: a worker runs them all on one instance it shares between
/// attempts running at once (see `WorkerBuilder::activities`), so state
/// that changes goes behind a `Mutex` or an atomic.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no activities",
    label = "not the type of an `#[workflow::activities]` impl block",
    note = "put `#[workflow::activities]` on the impl block whose methods are the activities"
)]
pub trait Activities: Send + Sync + 'static {
    /// Hands every activity of the impl block to `visit`.
    #[doc(hidden)]
    fn __visit(visit: &mut impl VisitActivity);
}

/// What `WorkerBuilder::activities` takes: an instance of an
/// `#[workflow::activities]` type, or an `Arc` of one when the application
/// keeps a handle on it too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an instance of a type with activities",
    label = "an instance of the type of an `#[workflow::activities]` impl block, or an `Arc` of one",
    note = "put `#[workflow::activities]` on the impl block whose methods are the activities"
)]
pub trait IntoInstance<T: Activities> {
    /// The instance, shared.
    fn into_instance(self) -> Arc<T>;
}

impl<T: Activities> IntoInstance<T> for T {
    fn into_instance(self) -> Arc<T> {
        Arc::new(self)
    }
}

impl<T: Activities> IntoInstance<T> for Arc<T> {
    fn into_instance(self) -> Arc<T> {
        self
    }
}

/// What [`Activities::__visit`] hands the activities of an impl block to.
#[doc(hidden)]
pub trait VisitActivity {
    /// Takes one activity of the impl block.
    fn activity<A, O>(&mut self, activity: Activity<A, O>);
}

/// What a worker runs for an activity name: a registered activity's
/// [`ExecuteFn`], or a closure standing in for one (`mock_activity`).
pub(crate) type Execute =
    Arc<dyn Fn(ActivityContext, Vec<Payload>) -> BoxFuture<Result<Payload, ApplicationError>> + Send + Sync>;

/// An activity taking `A` and returning `O`: what `#[workflow::activity]`
/// turns an `async fn` into, and `#[workflow::activities]` each method of
/// an impl block; what `execute_activity` takes, and `Worker::activity`
/// for a free function.
pub struct Activity<A, O> {
    name: &'static str,
    dynamic: bool,
    encode: EncodeFn<A>,
    decode: DecodeFn<O>,
    body: Body,
    _types: PhantomData<fn() -> A>,
}

/// What runs an activity.
#[derive(Clone, Copy)]
enum Body {
    /// A free `#[workflow::activity]` function.
    Function(ExecuteFn),
    /// A method of the `#[workflow::activities]` impl block of the type
    /// named `owner`, run on an instance of it.
    Method { owner: &'static str, execute: MethodFn },
}

impl Body {
    /// Starts an attempt: a function on its own, a method on `instance`
    /// (an attempt without one fails).
    fn start(self, instance: Option<&Instance>, ctx: ActivityContext, args: Vec<Payload>) -> ActivityFuture<'_> {
        match (self, instance) {
            (Body::Function(execute), _) => execute(ctx, args),
            (Body::Method { execute, .. }, Some(instance)) => execute(instance, ctx, args),
            (Body::Method { owner, .. }, None) => {
                let message = format!(
                    "activity `{}` is a method of `{owner}` and runs on an instance of it, which was not given",
                    ctx.info().activity_type
                );
                Box::pin(std::future::ready(Err(ApplicationError::new(message)
                    .with_type("NoInstance")
                    .non_retryable())))
            }
        }
    }
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
        Activity::with_body(name, dynamic, encode, decode, Body::Function(execute))
    }

    #[doc(hidden)]
    pub const fn __method(
        owner: &'static str,
        name: &'static str,
        dynamic: bool,
        encode: EncodeFn<A>,
        decode: DecodeFn<O>,
        execute: MethodFn,
    ) -> Self {
        Activity::with_body(name, dynamic, encode, decode, Body::Method { owner, execute })
    }

    const fn with_body(
        name: &'static str,
        dynamic: bool,
        encode: EncodeFn<A>,
        decode: DecodeFn<O>,
        body: Body,
    ) -> Self {
        Activity {
            name,
            dynamic,
            encode,
            decode,
            body,
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

    /// For a method of an `#[workflow::activities]` impl block, the name of
    /// the block's type; `None` for a free function.
    pub fn owner(&self) -> Option<&'static str> {
        match self.body {
            Body::Function(_) => None,
            Body::Method { owner, .. } => Some(owner),
        }
    }

    /// Encodes arguments for a call, one payload each.
    pub fn encode(&self, args: A) -> Result<Vec<Payload>, PayloadError> {
        (self.encode)(args)
    }

    /// What a worker runs for it: a function on its own, a method on
    /// `instance`.
    pub(crate) fn executor(&self, instance: Option<Arc<Instance>>) -> Execute {
        let body = self.body;
        match body {
            Body::Function(execute) => Arc::new(execute),
            Body::Method { .. } => Arc::new(move |ctx, args| {
                let instance = instance.clone();
                Box::pin(async move { body.start(instance.as_deref(), ctx, args).await })
            }),
        }
    }

    /// Starts an attempt: a function on its own, a method on `instance`.
    pub(crate) fn start<'a>(
        &self,
        instance: Option<&'a Instance>,
        ctx: ActivityContext,
        args: Vec<Payload>,
    ) -> ActivityFuture<'a> {
        self.body.start(instance, ctx, args)
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
    run_attempt(ctx, |ctx| execute(ctx, args)).await
}

/// Runs the attempt `start` begins with `ctx`, as [`run_activity`] does.
pub(crate) async fn run_attempt<'a>(
    ctx: ActivityContext,
    start: impl FnOnce(ActivityContext) -> ActivityFuture<'a>,
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
    AssertUnwindSafe(start(ctx))
        .catch_unwind()
        .instrument(span)
        .await
        .unwrap_or_else(|_| Err(ApplicationError::new(format!("activity `{name}` panicked")).with_type("Panic")))
}
