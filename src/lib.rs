//! # workflow
//!
//! Typed, durable workflows for Rust with Temporal-style messaging: signals,
//! queries, updates with validators, dynamic handlers, external signals,
//! child workflows, timers, activities and continue-as-new. Workflows run
//! deterministically on an embedded engine whose history lives in SQLite.
//!
//! ```
//! use workflow::{Engine, StartOptions, WorkflowContext, WorkflowResult};
//!
//! #[derive(Default)]
//! pub struct Counter {
//!     value: i64,
//!     done: bool,
//! }
//!
//! #[workflow::defn]
//! impl Counter {
//!     #[workflow::run]
//!     async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<i64> {
//!         ctx.wait_condition(|s| s.done).await?;
//!         Ok(ctx.state(|s| s.value))
//!     }
//!
//!     #[workflow::signal]
//!     fn add(&mut self, n: i64) {
//!         self.value += n;
//!     }
//!
//!     #[workflow::signal]
//!     fn finish(&mut self) {
//!         self.done = true;
//!     }
//!
//!     #[workflow::query]
//!     fn value(&self) -> i64 {
//!         self.value
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Engine::in_memory()?;
//! let _worker = engine.worker("counters").workflow::<Counter>().start()?;
//! let client = engine.client();
//! let handle = client
//!     .start_workflow(Counter::run, (), StartOptions::new("counter-1").task_queue("counters"))
//!     .await?;
//! handle.signal(Counter::add, 2).await?;
//! handle.signal(Counter::add, 3).await?;
//! assert_eq!(handle.query(Counter::value, ()).await?, 5);
//! handle.signal(Counter::finish, ()).await?;
//! assert_eq!(handle.result().await?, 5);
//! # Ok(()) }
//! ```
//!
//! [`getting_started`] goes from an empty crate to a workflow that survives
//! a restart. The [`guide`] walks through signals, signal-with-start, queries, updates,
//! dynamic handlers, signals between workflows, the entity pattern, limits
//! and running on Temporal, each with a runnable example.
#![warn(missing_docs)]

#[doc(inline)]
pub use workflow_macros::{activities, activity, defn, init, nondeterministic, query, run, signal, update, validator};

pub use workflow_client::{schedule, timestamp, visibility};
pub use workflow_client::{
    ActivityCancellationType, ActivityOptions, ApplicationError, AsyncActivityHandle, Client, ClientError, Description,
    Event, EventKind, Failure, Headers, History, IdConflictPolicy, IdReusePolicy, IntoArgs, Limit, Marker,
    ParentClosePolicy, ParentInfo, Payload, PayloadError, PendingActivity, PendingActivityState, Query, RawValue,
    RetryPolicy, Run, RunOptions, SearchAttributeKey, SearchAttributeKind, SearchAttributeType, SearchAttributeUpdate,
    SearchAttributeValue, SearchAttributes, Signal, StartOptions, TaskToken, TaskTokenError, TimeoutKind, Untyped,
    Update, UpdateHandle, WaitStage, WorkflowHandle, WorkflowStatus, WorkflowType, LIST_PAGE_SIZE,
};
pub use workflow_runtime::{
    Activities, Activity, ActivityContext, ActivityEnvironment, ActivityError, ActivityInfo, ChildWorkflowHandle,
    ChildWorkflowOptions, CompleteAsync, Engine, EngineBuilder, EngineError, ExternalWorkflowHandle, HandlerDoc,
    HandlerKind, IntoInstance, Limits, ListFilter, Nondeterminism, ReplayError, ReplayReport, Replayer, RunReplay,
    RunSummary, StoreFile, TestEnvironment, Worker, WorkerBuilder, WorkerError, WorkflowContext, WorkflowDefinition,
    WorkflowError, WorkflowInfo, WorkflowResult, DEFAULT_RETENTION,
};
/// Options of [`Engine::connect`] (feature `temporal`).
#[cfg(feature = "temporal")]
pub use workflow_runtime::{ApiKey, ClientIdentity, ConnectOptions, TlsConfig};

#[doc = include_str!("../docs/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

/// The `futures` crate, to join and race workflow futures (see the guide's
/// "Concurrency in a workflow"): `join!`, `future::join_all` and
/// `select_biased!` poll in the order written, so a run and its replay take
/// the same branch. Its `select!` picks a branch at random; use
/// `select_biased!`.
#[doc(no_inline)]
pub use futures;

#[doc(inline)]
pub use workflow_client::codec;

/// Interceptors: code that sees every call a client makes and everything a
/// worker runs, and the [`Headers`] that travel with them (see the guide's
/// "Interceptors and tracing").
pub mod interceptor {
    pub use workflow_client::{BoxFuture, CallKind, ClientInterceptor, OutboundCall};
    pub use workflow_runtime::{
        ActivityAttempt, InboundCall, InboundKind, OutboundCommand, OutboundKind, TracingInterceptor,
        WorkerInterceptor, WorkflowInterceptor, TRACE_HEADER,
    };
}

/// The crates the DSL is built from, for code that needs their full API.
pub mod crates {
    pub use workflow_client as client;
    pub use workflow_runtime as runtime;
}

#[doc(hidden)]
pub mod __private {
    pub use serde::{de::DeserializeOwned, Serialize};
    pub use workflow_client::{
        decode_arg, ApplicationError, BoxFuture, Payload, PayloadError, Query, RawValue, Run, Signal, Update,
        WorkflowType,
    };
    pub use workflow_runtime::{
        __activity_failure, __activity_instance, Activities, Activity, ActivityContext, Dispatch, HandlerDoc,
        HandlerKind, LocalFuture, VisitActivity, WorkflowContext, WorkflowDefinition, WorkflowError, WorkflowResult,
    };
}
