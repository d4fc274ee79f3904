//! Activities: the marker `#[workflow::activity]` generates and the context
//! an activity runs with.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use workflow_client::{ApplicationError, BoxFuture, EncodeFn, Payload, PayloadError};

/// Runs an activity on decoded-on-demand arguments.
pub type ExecuteFn = fn(ActivityContext, Vec<Payload>) -> BoxFuture<Result<Payload, ApplicationError>>;

/// An activity taking `A` and returning `O`: what `#[workflow::activity]`
/// turns an `async fn` into, and what `execute_activity` and
/// `Worker::activity` take.
pub struct Activity<A, O> {
    name: &'static str,
    dynamic: bool,
    encode: EncodeFn<A>,
    execute: ExecuteFn,
    _types: PhantomData<fn() -> (A, O)>,
}

impl<A, O> Activity<A, O> {
    #[doc(hidden)]
    pub const fn __new(name: &'static str, dynamic: bool, encode: EncodeFn<A>, execute: ExecuteFn) -> Self {
        Activity {
            name,
            dynamic,
            encode,
            execute,
            _types: PhantomData,
        }
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

    pub(crate) fn executor(&self) -> ExecuteFn {
        self.execute
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

/// What an activity may ask about itself; take it as an optional first
/// parameter of an `#[workflow::activity]` function.
#[derive(Clone, Debug)]
pub struct ActivityContext {
    info: Arc<ActivityInfo>,
}

impl ActivityContext {
    pub(crate) fn new(info: ActivityInfo) -> Self {
        ActivityContext { info: Arc::new(info) }
    }

    /// Facts about this attempt.
    pub fn info(&self) -> &ActivityInfo {
        &self.info
    }
}
