//! Runtime of the `workflow` DSL: the deterministic executor, the workflow
//! context, workers, and the embedded engine (SQLite history).
//!
//! Users reach all of this through the `workflow` facade crate.
#![warn(missing_docs)]

mod activity;
mod activity_context;
mod activity_environment;
mod backend;
mod codec;
mod context;
mod definition;
mod embedded;
mod engine;
mod error;
mod executor;
mod interceptor;
mod limits;
mod metrics;
mod protocol;
mod registry;
mod replay;
mod replayer;
mod setup_error;
mod stack_trace;
#[cfg(feature = "temporal")]
mod temporal;
mod testing;
mod tracing_interceptor;
mod worker;
mod workflow_metadata;

pub use activity::{
    __activity_failure, __activity_instance, Activities, Activity, ActivityError, ActivityFuture, ExecuteFn, Instance,
    IntoInstance, MethodFn, VisitActivity,
};
pub use activity_context::{ActivityContext, ActivityInfo, CompleteAsync};
pub use activity_environment::ActivityEnvironment;
pub use context::{
    ChildWorkflowHandle, ChildWorkflowOptions, ExternalWorkflowHandle, Sleep, UpdateInfo, WorkflowContext,
};
pub use definition::{Dispatch, HandlerDoc, HandlerKind, LocalFuture, WorkflowDefinition};
pub use embedded::{ListFilter, RunSummary, StoreFile, DEFAULT_RETENTION};
pub use engine::{Engine, EngineBuilder};
pub use error::{WorkflowError, WorkflowResult};
pub use executor::{QueryError, RunInstance, TaskFailure};
pub use interceptor::{
    ActivityAttempt, InboundCall, InboundKind, OutboundCommand, OutboundKind, WorkerInterceptor, WorkflowInterceptor,
};
pub use limits::Limits;
pub use protocol::{Activation, Command, Job, Rejection, WorkflowInfo};
pub use replay::{Nondeterminism, ReplayError};
pub use replayer::{ReplayReport, Replayer, RunReplay};
pub use setup_error::{EngineError, WorkerError};
#[cfg(feature = "temporal")]
pub use temporal::{ApiKey, ClientIdentity, ConnectOptions, TlsConfig};
pub use testing::TestEnvironment;
pub use tracing_interceptor::{TracingInterceptor, TRACE_HEADER};
pub use worker::{Worker, WorkerBuilder};
