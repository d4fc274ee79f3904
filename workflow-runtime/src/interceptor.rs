//! Worker interceptors: code that sees what a worker runs, with the headers
//! that came with it, and adds headers to what a run sends out. Both engines
//! keep the headers in history, so a run replayed elsewhere sees the same.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use workflow_client::{ApplicationError, BoxFuture, Failure, Headers, Payload};

use crate::activity::Execute;
use crate::activity_context::ActivityInfo;
use crate::executor::{panic_message, QueryError, RunInstance, TaskFailure};
use crate::protocol::{Activation, Command, Job, WorkflowInfo};

/// One attempt of an activity, as an interceptor wraps it.
pub type ActivityAttempt = BoxFuture<Result<Payload, ApplicationError>>;

/// Sees what a worker runs. Install one with
/// [`WorkerBuilder::interceptor`](crate::WorkerBuilder::interceptor).
///
/// ```
/// use workflow_runtime::{ActivityAttempt, ActivityInfo, InboundCall, WorkerInterceptor, WorkflowInfo, WorkflowInterceptor};
///
/// /// Logs the tenant header of every handler and activity.
/// struct TenantLog;
///
/// struct RunLog(String);
///
/// impl WorkflowInterceptor for RunLog {
///     fn inbound(&mut self, call: &InboundCall<'_>) {
///         if !call.replaying {
///             println!("{} {:?} `{}` for {:?}", self.0, call.kind, call.name, call.headers.get("tenant"));
///         }
///     }
/// }
///
/// impl WorkerInterceptor for TenantLog {
///     fn workflow(&self, info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
///         Some(Box::new(RunLog(info.workflow_id.clone())))
///     }
///
///     fn activity(&self, info: &ActivityInfo, attempt: ActivityAttempt) -> ActivityAttempt {
///         println!("activity `{}` for {:?}", info.activity_type, info.headers.get("tenant"));
///         attempt
///     }
/// }
/// ```
pub trait WorkerInterceptor: Send + Sync + 'static {
    /// An interceptor for one run, made when the worker takes the run up
    /// (and again whenever it replays the run into memory), or `None`.
    fn workflow(&self, info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
        let _ = info;
        None
    }

    /// Wraps one attempt of an activity; `info.headers` are the headers the
    /// workflow scheduled it with.
    fn activity(&self, info: &ActivityInfo, attempt: ActivityAttempt) -> ActivityAttempt {
        let _ = info;
        attempt
    }
}

/// Sees one run: each handler as it is called, and each command that leaves
/// it. Runs on the workflow's thread, inside its workflow task: it must not
/// block, and what it writes into outbound headers is recorded in history.
pub trait WorkflowInterceptor {
    /// A handler of the run is called: the run method, a signal, a query or
    /// an update's validator, before it runs; an accepted update's handler
    /// once the task that accepted it has run its first step.
    fn inbound(&mut self, call: &InboundCall<'_>) {
        let _ = call;
    }

    /// The run schedules an activity, starts a child, signals another
    /// workflow or continues as new; headers added here travel with it.
    fn outbound(&mut self, call: &mut OutboundCommand<'_>) {
        let _ = call;
    }
}

/// Which handler an inbound call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InboundKind {
    /// The run method.
    Run,
    /// A signal handler.
    Signal,
    /// A query handler.
    Query,
    /// An update's validator.
    UpdateValidator,
    /// An accepted update's handler.
    Update,
}

/// A handler call coming into a run.
#[derive(Debug)]
#[non_exhaustive]
pub struct InboundCall<'a> {
    /// Which handler.
    pub kind: InboundKind,
    /// The workflow type (for the run method), or the handler's wire name.
    pub name: &'a str,
    /// The headers the call carried.
    pub headers: &'a Headers,
    /// Whether the call comes from recorded history: it was seen before,
    /// when the run first took it.
    pub replaying: bool,
}

/// What an outbound call asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutboundKind {
    /// An activity.
    Activity,
    /// A local activity.
    LocalActivity,
    /// A child workflow's start.
    ChildWorkflow,
    /// A signal to another workflow.
    SignalExternal,
    /// The start of the run that continues this one (continue-as-new).
    ContinueAsNew,
}

/// A command leaving a run.
#[derive(Debug)]
#[non_exhaustive]
pub struct OutboundCommand<'a> {
    /// What it asks for.
    pub kind: OutboundKind,
    /// The activity's name, the child's workflow type, the signal's name,
    /// or the workflow type a continue-as-new starts.
    pub name: &'a str,
    /// Its headers, to add to.
    pub headers: &'a mut Headers,
    /// Whether the run is replaying recorded history, where the command was
    /// recorded with the headers it had then.
    pub replaying: bool,
}

/// A worker's interceptors, in the order they were installed.
pub(crate) type Interceptors = Arc<[Arc<dyn WorkerInterceptor>]>;

/// A run instance whose calls and commands pass its interceptors.
pub(crate) struct InterceptedRun {
    pub(crate) inner: Box<dyn RunInstance>,
    pub(crate) interceptors: Interceptors,
    /// The run's own interceptors, made at its start job.
    pub(crate) run: RefCell<Vec<Box<dyn WorkflowInterceptor>>>,
    /// The run's workflow type, from its start job: what continue-as-new starts.
    pub(crate) workflow_type: String,
}

impl InterceptedRun {
    fn each(&self, mut f: impl FnMut(&mut dyn WorkflowInterceptor)) {
        for interceptor in self.run.borrow_mut().iter_mut() {
            f(&mut **interceptor);
        }
    }

    fn inbound(&self, kind: InboundKind, name: &str, headers: &Headers, replaying: bool) {
        let call = InboundCall {
            kind,
            name,
            headers,
            replaying,
        };
        self.each(|interceptor| interceptor.inbound(&call));
    }
}

/// What a task or query reports when an interceptor panicked: the run's own
/// code is guarded inside the executor, interceptors here.
fn interceptor_panic(panic: Box<dyn std::any::Any + Send>) -> String {
    format!("worker interceptor panicked: {}", panic_message(panic))
}

impl RunInstance for InterceptedRun {
    fn activate(&mut self, activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        catch_unwind(AssertUnwindSafe(|| self.intercept(activation))).unwrap_or_else(|panic| {
            Err(TaskFailure {
                message: interceptor_panic(panic),
            })
        })
    }

    fn query(&self, name: &str, args: Vec<Payload>, header: &Headers) -> Result<Payload, QueryError> {
        let answer = catch_unwind(AssertUnwindSafe(|| {
            self.inbound(InboundKind::Query, name, header, false);
            self.inner.query(name, args, header)
        }));
        answer.unwrap_or_else(|panic| {
            Err(QueryError::Failed(Failure::Application(ApplicationError::new(
                interceptor_panic(panic),
            ))))
        })
    }

    fn unhandled_signals(&self) -> &[String] {
        self.inner.unhandled_signals()
    }
}

impl InterceptedRun {
    /// Applies an activation, its calls and commands passing the interceptors.
    fn intercept(&mut self, activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        let replaying = activation.replaying;
        // Updates whose handler runs once the validator accepts them.
        let mut updates = HashMap::new();
        for job in &activation.jobs {
            match job {
                Job::Start { info, header, .. } => {
                    let made = self.interceptors.iter().filter_map(|i| i.workflow(info)).collect();
                    *self.run.borrow_mut() = made;
                    self.workflow_type.clone_from(&info.workflow_type);
                    self.inbound(InboundKind::Run, &info.workflow_type, header, replaying);
                }
                Job::Signal { name, header, .. } => self.inbound(InboundKind::Signal, name, header, replaying),
                Job::Update {
                    id,
                    name,
                    header,
                    validate,
                    ..
                } => {
                    if *validate {
                        self.inbound(InboundKind::UpdateValidator, name, header, replaying);
                    }
                    updates.insert(id.clone(), (name.clone(), header.clone()));
                }
                _ => {}
            }
        }
        let mut commands = self.inner.activate(activation)?;
        for command in &mut commands {
            if let Command::UpdateAccepted { id } = command {
                if let Some((name, header)) = updates.get(id) {
                    self.inbound(InboundKind::Update, name, header, replaying);
                }
            }
            let (kind, name, headers) = match command {
                Command::ScheduleActivity {
                    activity_type, header, ..
                } => (OutboundKind::Activity, &*activity_type, header),
                Command::ScheduleLocalActivity {
                    activity_type, header, ..
                } => (OutboundKind::LocalActivity, &*activity_type, header),
                Command::StartChild {
                    workflow_type, header, ..
                } => (OutboundKind::ChildWorkflow, &*workflow_type, header),
                Command::SignalExternal { name, header, .. } => (OutboundKind::SignalExternal, &*name, header),
                Command::ContinueAsNew { header, .. } => (OutboundKind::ContinueAsNew, &self.workflow_type, header),
                _ => continue,
            };
            let mut call = OutboundCommand {
                kind,
                name,
                headers,
                replaying,
            };
            self.each(|interceptor| interceptor.outbound(&mut call));
        }
        Ok(commands)
    }
}

/// `execute` with each attempt wrapped by `interceptors`, the first
/// installed outermost.
pub(crate) fn intercepted_activity(execute: Execute, interceptors: Interceptors) -> Execute {
    Arc::new(move |ctx, args| {
        let info = ctx.info().clone();
        let attempt = execute(ctx, args);
        interceptors
            .iter()
            .rev()
            .fold(attempt, |attempt, interceptor| interceptor.activity(&info, attempt))
    })
}
