//! What callers ask the engine thread, and what it answers: the same from a
//! client in this process and, through the file's inbox, from another.

use tokio::sync::oneshot;
use workflow_client::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use workflow_client::visibility::WorkflowPage;
use workflow_client::{
    ApplicationError, ClientError, Description, Execution, History, Message, Payload, StartRequest, TaskToken,
    UpdateRequest, UpdateStatus,
};

/// Where the answer to a request goes.
pub(crate) type Responder = oneshot::Sender<Answer>;

/// The engine thread's answer to a request.
pub(crate) type Answer = Result<Reply, ClientError>;

/// A caller's request.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) enum Request {
    Start(Box<StartRequest>),
    Signal(Execution, Message),
    Query(Execution, Message),
    Update(Execution, UpdateRequest),
    UpdateWithStart(Box<StartRequest>, UpdateRequest),
    UpdateResult(Execution, String),
    Result(Execution),
    Cancel(Execution, String),
    Terminate(Execution, String),
    Describe(Execution),
    ListWorkflows {
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    },
    CountWorkflows(String),
    Schedule(String, ScheduleOp),
    ListSchedules,
    History(Execution),
    CompleteActivity(TaskToken, Result<Payload, ApplicationError>),
    HeartbeatActivity(TaskToken, Vec<Payload>),
}

/// The engine thread's answer, when it has one.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) enum Reply {
    RunId(String),
    Unit,
    Payload(Payload),
    Update(UpdateStatus),
    Description(Box<Description>),
    History(History),
    Page(WorkflowPage),
    Count(u64),
    Schedule(ScheduleReply),
    Schedules(Vec<ScheduleSummary>),
}
