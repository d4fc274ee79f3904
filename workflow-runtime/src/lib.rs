//! Runtime of the `workflow` DSL: the deterministic executor, the workflow
//! context, workers, and the embedded engine (SQLite history).
//!
//! Users reach all of this through the `workflow` facade crate.
#![warn(missing_docs)]

mod activity;
mod context;
mod definition;
mod engine;
mod error;
mod executor;
mod protocol;
mod replay;
mod replayer;
#[cfg(feature = "temporal")]
mod temporal;
mod testing;
mod worker;

pub use activity::{Activity, ActivityContext, ActivityInfo, ExecuteFn};
pub use context::{ChildWorkflowHandle, ChildWorkflowOptions, ExternalWorkflowHandle, Sleep, WorkflowContext};
pub use definition::{Dispatch, LocalFuture, WorkflowDefinition};
pub use engine::{Engine, EngineBuilder, EngineError, Limits, ListFilter, RunSummary, StoreFile};
pub use error::{WorkflowError, WorkflowResult};
pub use executor::{QueryError, RunInstance, TaskFailure};
pub use protocol::{Activation, Command, Job, Rejection, WorkflowInfo};
pub use replay::{Nondeterminism, ReplayError};
pub use replayer::Replayer;
#[cfg(feature = "temporal")]
pub use temporal::ConnectOptions;
pub use testing::TestEnvironment;
pub use worker::{Worker, WorkerBuilder, WorkerError};
