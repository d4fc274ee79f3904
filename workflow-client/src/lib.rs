//! The typed client of the `workflow` DSL, and the vocabulary it shares with
//! the runtime: payloads, markers, failures, history and options.
//!
//! Users reach all of this through the `workflow` facade crate.
#![warn(missing_docs)]

mod backend;
mod client;
pub mod codec;
mod error;
mod failure;
mod handle;
mod header;
mod hex;
mod history;
pub mod id;
mod interceptor;
mod marker;
mod options;
mod payload;
pub mod schedule;
mod search_attribute;
mod task_token;
pub mod timestamp;
pub mod visibility;

pub use backend::{Backend, BoxFuture, Execution, Message, StartRequest, UpdateRequest, UpdateStatus};
pub use client::{AsyncActivityHandle, Client, LIST_PAGE_SIZE};
pub use error::{ClientError, Limit, WorkflowStatus};
pub use failure::{ApplicationError, Failure, TimeoutKind};
pub use handle::{UpdateHandle, WorkflowHandle};
pub use header::Headers;
pub use history::{
    Description, Event, EventKind, ExternalFailureCause, History, Marker, ParentInfo, PendingActivity,
    PendingActivityState,
};
pub use interceptor::{CallKind, ClientInterceptor, OutboundCall};
pub use marker::{DecodeFn, EncodeFn, Query, Run, Signal, Untyped, Update, WorkflowType};
pub use options::{
    ActivityCancellationType, ActivityOptions, IdConflictPolicy, IdReusePolicy, ParentClosePolicy, RetryPolicy,
    RunOptions, StartOptions, WaitStage,
};
pub use payload::{decode_arg, IntoArgs, Payload, PayloadError, RawValue};
pub use search_attribute::{
    SearchAttributeKey, SearchAttributeKind, SearchAttributeType, SearchAttributeUpdate, SearchAttributeValue,
    SearchAttributes,
};
pub use task_token::{TaskToken, TaskTokenError};
