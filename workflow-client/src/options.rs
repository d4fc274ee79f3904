//! Options of client calls and of activities: builders with defaults.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::failure::ApplicationError;
use crate::marker::{Signal, Untyped};
use crate::payload::{IntoArgs, Payload, PayloadError};
use crate::search_attribute::{SearchAttributeKey, SearchAttributeKind, SearchAttributes};

/// How to start a workflow: its id, task queue and an optional signal to
/// deliver with the start (signal-with-start).
///
/// ```
/// # use workflow_client::StartOptions;
/// let opts: StartOptions = StartOptions::new("order-42").task_queue("orders");
/// assert_eq!(opts.workflow_id(), "order-42");
/// ```
pub struct StartOptions<W = Untyped> {
    pub(crate) workflow_id: String,
    pub(crate) task_queue: String,
    pub(crate) start_signal: Option<(String, Result<Vec<Payload>, PayloadError>)>,
    pub(crate) id_reuse_policy: IdReusePolicy,
    pub(crate) id_conflict_policy: Option<IdConflictPolicy>,
    pub(crate) run: RunOptions,
    /// The first memo value that did not encode, reported by the start.
    pub(crate) memo_error: Option<PayloadError>,
    _workflow: PhantomData<fn() -> W>,
}

/// What the engine enforces on a run and what the run carries, beyond its
/// id and arguments: timeouts, retries, a start delay, its memo and its
/// search attributes. [`StartOptions`] and child workflow options fill it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunOptions {
    /// How long the workflow may take in all, across continue-as-new and
    /// retries; past it the run closes as timed out and is not retried.
    pub execution_timeout: Option<Duration>,
    /// How long one run may take; past it the run closes as timed out (and
    /// is retried if a retry policy says so).
    pub run_timeout: Option<Duration>,
    /// How long one workflow task may take before it is retried.
    pub task_timeout: Option<Duration>,
    /// Whether a failed or timed-out run starts again as a new run of the
    /// chain; `None` never retries (Temporal's default for workflows).
    pub retry_policy: Option<RetryPolicy>,
    /// How long the first workflow task waits after the start.
    pub start_delay: Option<Duration>,
    /// Values shown with the run and not indexed, by name.
    pub memo: BTreeMap<String, Payload>,
    /// Indexed values visibility queries find the run by.
    pub search_attributes: SearchAttributes,
}

/// Whether a start may reuse the id of a closed run, as Temporal's
/// `WorkflowIdReusePolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdReusePolicy {
    /// Start a new run whatever the last one ended with.
    #[default]
    AllowDuplicate,
    /// Start a new run only if the last one failed, was canceled, was
    /// terminated or timed out; not after one that completed.
    AllowDuplicateFailedOnly,
    /// Never start a second run of the id
    /// ([`ClientError::AlreadyStarted`](crate::ClientError::AlreadyStarted)
    /// names the closed run).
    RejectDuplicate,
    /// Terminate the running run, if any, and start a new one. Temporal
    /// keeps it for older code; [`IdConflictPolicy::TerminateExisting`] says
    /// the same, and the two cannot be combined.
    TerminateIfRunning,
}

/// What a start does when a run of the id is open, as Temporal's
/// `WorkflowIdConflictPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdConflictPolicy {
    /// Fail with [`ClientError::AlreadyStarted`](crate::ClientError::AlreadyStarted)
    /// (the default of a plain start).
    Fail,
    /// Use the running run: its handle is returned, nothing is started
    /// (the default of signal-with-start and update-with-start).
    UseExisting,
    /// Terminate the running run and start a new one.
    TerminateExisting,
}

impl<W> StartOptions<W> {
    /// Options for a workflow with this id on the `default` task queue.
    pub fn new(workflow_id: impl Into<String>) -> Self {
        StartOptions {
            workflow_id: workflow_id.into(),
            task_queue: "default".to_owned(),
            start_signal: None,
            id_reuse_policy: IdReusePolicy::AllowDuplicate,
            id_conflict_policy: None,
            run: RunOptions::default(),
            memo_error: None,
            _workflow: PhantomData,
        }
    }

    /// How long the workflow may take in all, across continue-as-new and
    /// retries (default: no limit). Past it the run closes with
    /// [`WorkflowStatus::TimedOut`](crate::WorkflowStatus::TimedOut).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::StartOptions;
    /// let options: StartOptions = StartOptions::new("order-7").execution_timeout(Duration::from_secs(30 * 86_400));
    /// ```
    pub fn execution_timeout(mut self, timeout: Duration) -> Self {
        self.run.execution_timeout = Some(timeout);
        self
    }

    /// How long one run may take (default: no limit).
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run.run_timeout = Some(timeout);
        self
    }

    /// How long one workflow task may take before it fails and is tried
    /// again (default: no limit on the embedded engine, 10 s on Temporal).
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.run.task_timeout = Some(timeout);
        self
    }

    /// Starts a failed or timed-out run again, as a new run of the same
    /// workflow id, per the policy (default: never).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::{RetryPolicy, StartOptions};
    /// let retry = RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() };
    /// let options: StartOptions = StartOptions::new("import-9").retry_policy(retry);
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.run.retry_policy = Some(policy);
        self
    }

    /// Waits this long before the run's first workflow task (a
    /// signal-with-start ends the wait).
    pub fn start_delay(mut self, delay: Duration) -> Self {
        self.run.start_delay = Some(delay);
        self
    }

    /// Adds a memo value: shown with the run, not indexed.
    ///
    /// ```
    /// # use workflow_client::StartOptions;
    /// let options: StartOptions = StartOptions::new("order-7").memo("source", "web");
    /// ```
    pub fn memo(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        match Payload::encode(&value) {
            Ok(payload) => {
                self.run.memo.insert(key.into(), payload);
            }
            Err(e) => {
                self.memo_error.get_or_insert(e);
            }
        }
        self
    }

    /// Sets a search attribute the run starts with.
    ///
    /// ```
    /// # use workflow_client::{SearchAttributeKey, StartOptions};
    /// const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
    /// let options: StartOptions = StartOptions::new("order-7").search_attribute(CUSTOMER_ID, "c-42");
    /// ```
    pub fn search_attribute<T: SearchAttributeKind>(mut self, key: SearchAttributeKey<T>, value: impl Into<T>) -> Self {
        self.run.search_attributes.apply(key.set(value));
        self
    }

    /// Sets every search attribute the run starts with.
    pub fn search_attributes(mut self, attributes: SearchAttributes) -> Self {
        self.run.search_attributes = attributes;
        self
    }

    /// Whether the start may reuse the id of a closed run (default: it may).
    ///
    /// ```
    /// # use workflow_client::{IdReusePolicy, StartOptions};
    /// // An order id is used once, however its run ended.
    /// let options: StartOptions = StartOptions::new("order-42").id_reuse_policy(IdReusePolicy::RejectDuplicate);
    /// ```
    pub fn id_reuse_policy(mut self, policy: IdReusePolicy) -> Self {
        self.id_reuse_policy = policy;
        self
    }

    /// What the start does when a run of the id is open (default: fail, or
    /// use it for signal-with-start).
    ///
    /// ```
    /// # use workflow_client::{IdConflictPolicy, StartOptions};
    /// // Starting a session twice joins the one running.
    /// let options: StartOptions = StartOptions::new("session-7").id_conflict_policy(IdConflictPolicy::UseExisting);
    /// ```
    pub fn id_conflict_policy(mut self, policy: IdConflictPolicy) -> Self {
        self.id_conflict_policy = Some(policy);
        self
    }

    /// The task queue whose worker runs the workflow.
    pub fn task_queue(mut self, task_queue: impl Into<String>) -> Self {
        self.task_queue = task_queue.into();
        self
    }

    /// Signal-with-start: if the workflow is running, signal it; otherwise
    /// start it and deliver this signal before its first step.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Payload, Signal, StartOptions, WorkflowType};
    /// # struct Cart;
    /// # impl WorkflowType for Cart { const NAME: &'static str = "Cart"; type Output = (); }
    /// # impl Cart {
    /// #     const add_item: Signal<Self, (String, u32)> = Signal::__new("add_item", |(a, b)| Ok(vec![Payload::encode(&a)?, Payload::encode(&b)?]));
    /// # }
    /// // `Cart::add_item` is a `#[workflow::signal] fn add_item(&mut self, item: String, count: u32)`.
    /// let options = StartOptions::new("cart-17")
    ///     .task_queue("carts")
    ///     .start_signal(Cart::add_item, ("apples".to_string(), 3));
    /// ```
    pub fn start_signal<A>(mut self, signal: Signal<W, A>, args: A) -> Self {
        self.start_signal = Some((signal.name().to_owned(), signal.encode(args)));
        self
    }

    /// Signal-with-start by signal name, for dynamic handlers and other SDKs.
    ///
    /// ```
    /// # use workflow_client::StartOptions;
    /// let options: StartOptions = StartOptions::new("cart-17")
    ///     .task_queue("carts")
    ///     .start_signal_by_name("add_item", ("apples", 3));
    /// ```
    pub fn start_signal_by_name(mut self, name: impl Into<String>, args: impl IntoArgs) -> Self {
        self.start_signal = Some((name.into(), args.into_args()));
        self
    }

    /// The workflow id.
    pub fn workflow_id(&self) -> &str {
        &self.workflow_id
    }
}

/// What happens to an open child workflow when its parent closes, as
/// Temporal's `ParentClosePolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParentClosePolicy {
    /// The child is terminated.
    #[default]
    Terminate,
    /// The child is asked to cancel.
    RequestCancel,
    /// The child runs on.
    Abandon,
}

/// How far an update must get before `start_update` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitStage {
    /// The validator accepted it and it is durably recorded.
    Accepted,
    /// Its handler finished.
    Completed,
}

/// When and how often a failed activity is tried again.
///
/// The default is Temporal's: 1 s initial interval, doubling, capped at
/// 100 s, unlimited attempts.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::RetryPolicy;
/// let policy = RetryPolicy {
///     maximum_attempts: 5,
///     maximum_interval: Duration::from_secs(10),
///     non_retryable_error_types: vec!["InvalidAccount".to_owned()],
///     ..RetryPolicy::default()
/// };
/// assert_eq!(policy.delay(1), Duration::from_secs(1));
/// assert_eq!(policy.delay(3), Duration::from_secs(4));
/// assert_eq!(policy.delay(5), Duration::from_secs(10), "capped");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_interval: Duration,
    /// Factor applied to the delay after each retry.
    pub backoff_coefficient: f64,
    /// Upper bound of the delay.
    pub maximum_interval: Duration,
    /// Attempts in all, retries included; 0 means unlimited.
    pub maximum_attempts: u32,
    /// Application error types that are never retried.
    pub non_retryable_error_types: Vec<String>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_interval: Duration::from_secs(1),
            backoff_coefficient: 2.0,
            maximum_interval: Duration::from_secs(100),
            maximum_attempts: 0,
            non_retryable_error_types: Vec::new(),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn no_retries() -> Self {
        RetryPolicy {
            maximum_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `attempt` (1-based: the first retry is 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = self.backoff_coefficient.max(1.0).powi(attempt.saturating_sub(1) as i32);
        let cap = self.maximum_interval.max(self.initial_interval);
        // In float seconds, so no interval given by a caller can overflow.
        Duration::try_from_secs_f64(self.initial_interval.as_secs_f64() * factor.min(1e9)).map_or(cap, |d| d.min(cap))
    }

    /// Whether the policy retries after `error`: not when the error says it
    /// is non-retryable or its type is listed as such. (Attempts left are
    /// counted apart.)
    pub fn retries(&self, error: &ApplicationError) -> bool {
        !error.is_non_retryable()
            && !error
                .error_type()
                .is_some_and(|t| self.non_retryable_error_types.iter().any(|n| n == t))
    }

    /// Whether attempt `attempt` may be followed by another.
    pub fn allows_after(&self, attempt: u32) -> bool {
        self.maximum_attempts == 0 || attempt < self.maximum_attempts
    }
}

/// Timeouts and retries of one activity call. At least one timeout is required,
/// so the constructors take one. A local activity uses the timeouts, the
/// retry policy and the cancellation type; it runs on its workflow's worker
/// and has no heartbeat timeout.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::{ActivityOptions, RetryPolicy};
/// let opts = ActivityOptions::start_to_close(Duration::from_secs(10))
///     .retry_policy(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() });
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityOptions {
    /// Longest one attempt may run.
    pub start_to_close_timeout: Option<Duration>,
    /// Longest all attempts together may take.
    pub schedule_to_close_timeout: Option<Duration>,
    /// The retry policy.
    pub retry_policy: RetryPolicy,
    /// Task queue of the activity worker; defaults to the workflow's.
    pub task_queue: Option<String>,
    /// Longest gap between heartbeats before an attempt times out and is
    /// retried per the retry policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_timeout: Option<Duration>,
    /// What canceling the call does to the activity. The workflow's own
    /// choice, as in Temporal: not part of the activity's history event.
    #[serde(default, skip)]
    pub cancellation_type: ActivityCancellationType,
}

/// What canceling an activity call (the workflow is canceled, or the call's
/// future is dropped) does, as Temporal's `ActivityCancellationType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActivityCancellationType {
    /// Ask the running attempt to stop and resolve the call as canceled at
    /// once, without waiting for the attempt.
    #[default]
    TryCancel,
    /// Ask the running attempt to stop and resolve the call when it has:
    /// canceled if it returns an error, its value if it completes anyway.
    WaitCancellationCompleted,
    /// Resolve the call as canceled at once and leave the attempt running;
    /// nothing is recorded and the activity is not told.
    Abandon,
}

impl ActivityOptions {
    /// Each attempt may run for at most `timeout`.
    pub fn start_to_close(timeout: Duration) -> Self {
        ActivityOptions {
            start_to_close_timeout: Some(timeout),
            schedule_to_close_timeout: None,
            retry_policy: RetryPolicy::default(),
            task_queue: None,
            heartbeat_timeout: None,
            cancellation_type: ActivityCancellationType::TryCancel,
        }
    }

    /// All attempts together may take at most `timeout`.
    pub fn schedule_to_close(timeout: Duration) -> Self {
        ActivityOptions {
            start_to_close_timeout: None,
            schedule_to_close_timeout: Some(timeout),
            retry_policy: RetryPolicy::default(),
            task_queue: None,
            heartbeat_timeout: None,
            cancellation_type: ActivityCancellationType::TryCancel,
        }
    }

    /// Also bounds each attempt.
    pub fn with_start_to_close(mut self, timeout: Duration) -> Self {
        self.start_to_close_timeout = Some(timeout);
        self
    }

    /// Also bounds all attempts together.
    pub fn with_schedule_to_close(mut self, timeout: Duration) -> Self {
        self.schedule_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// An attempt times out when it does not heartbeat for `timeout`.
    pub fn with_heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// Chooses what canceling the call does (see [`ActivityCancellationType`]).
    pub fn cancellation_type(mut self, cancellation_type: ActivityCancellationType) -> Self {
        self.cancellation_type = cancellation_type;
        self
    }

    /// Runs the activity on another task queue.
    pub fn task_queue(mut self, task_queue: impl Into<String>) -> Self {
        self.task_queue = Some(task_queue.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            maximum_interval: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(1), Duration::from_secs(1));
        assert_eq!(p.delay(3), Duration::from_secs(4));
        assert_eq!(p.delay(4), Duration::from_secs(5));
    }
}
