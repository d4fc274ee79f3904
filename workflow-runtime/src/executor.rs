//! The deterministic executor of one run: applies activations, polls the run
//! method and handler routines until they settle, and returns commands.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tracing::Span;
use workflow_client::{Failure, Headers, Payload};

use crate::context::{Resolution, RunState, UpdateInfo, WorkflowContext};
use crate::definition::{Dispatch, LocalFuture, WorkflowDefinition};
use crate::error::{WorkflowError, WorkflowResult};
use crate::protocol::{Activation, Command, Job, Rejection, WorkflowInfo};
use crate::stack_trace::{stack_trace, RoutineTrace, Wait, STACK_TRACE_QUERY};
use crate::workflow_metadata::{workflow_metadata, WORKFLOW_METADATA_QUERY};

/// Passes over the routines before an activation is declared unable to settle.
const MAX_ROUNDS: usize = 100_000;

/// A span of one of a run's handlers, carrying the run's ids: `run_span!(info, "signal", signal = name)`.
macro_rules! run_span {
    ($info:expr, $name:literal, $($fields:tt)*) => {
        tracing::info_span!(
            $name,
            workflow_id = $info.workflow_id.as_str(),
            run_id = $info.run_id.as_str(),
            $($fields)*
        )
    };
}

/// A run as the engine sees it, whatever its workflow type.
pub trait RunInstance {
    /// Applies an activation and returns the commands it produced.
    fn activate(&mut self, activation: Activation) -> Result<Vec<Command>, TaskFailure>;
    /// Answers a query from the current state; `header` is what the query carried.
    fn query(&self, name: &str, args: Vec<Payload>, header: &Headers) -> Result<Payload, QueryError>;
    /// Names of signals no handler took, in arrival order.
    fn unhandled_signals(&self) -> &[String];
}

/// A workflow task could not complete: the run's code panicked or does not
/// settle. The engine records it and retries; the run is not changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TaskFailure {
    /// What went wrong.
    pub message: String,
}

/// Why a query got no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryError {
    /// The run has not started yet.
    NotStarted,
    /// No handler of that name; the static names are listed.
    Unknown {
        /// The static query names.
        known: Vec<String>,
    },
    /// The handler failed (or panicked).
    Failed(Failure),
}

enum RoutineKind {
    Main,
    /// A signal handler, by signal name.
    Signal(String),
    /// An update handler; shared with `ctx.current_update_info()` while it runs.
    Update(Rc<UpdateInfo>),
}

impl RoutineKind {
    /// How the stack trace names the routine.
    fn label(&self) -> String {
        match self {
            RoutineKind::Main => "run".to_owned(),
            RoutineKind::Signal(name) => format!("signal `{name}`"),
            RoutineKind::Update(info) => format!("update `{}` (id {})", info.name, info.id),
        }
    }

    /// What `ctx.current_update_info()` answers while this routine runs.
    fn update_info(&self) -> Option<Rc<UpdateInfo>> {
        match self {
            RoutineKind::Update(info) => Some(info.clone()),
            _ => None,
        }
    }
}

struct Routine {
    kind: RoutineKind,
    future: LocalFuture<WorkflowResult<Payload>>,
    /// The handler's span, entered around each poll: a routine outlives the
    /// activation that started it, so a guard cannot be held across awaits.
    span: Span,
    /// What the routine waited on when last polled, for `__stack_trace`.
    waits: Vec<Wait>,
}

struct Started<W> {
    ctx: WorkflowContext<W>,
    run_state: Rc<RefCell<RunState>>,
    routines: Vec<Routine>,
    /// Whether the routines have been polled at least once.
    polled: bool,
}

/// The executor of a run of workflow `W`.
pub(crate) struct RunExecutor<W> {
    max_pending_outgoing_signals: usize,
    run: Option<Started<W>>,
    unhandled: Vec<String>,
    closed: bool,
    poisoned: Option<String>,
    _workflow: PhantomData<W>,
}

impl<W: WorkflowDefinition> RunExecutor<W> {
    pub(crate) fn new(max_pending_outgoing_signals: usize) -> Self {
        RunExecutor {
            max_pending_outgoing_signals,
            run: None,
            unhandled: Vec::new(),
            closed: false,
            poisoned: None,
            _workflow: PhantomData,
        }
    }

    fn apply(&mut self, mut activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        let mut early = Vec::new();
        // A cancellation that arrives with the start cancels the run's first
        // await, not nothing: it is applied once the run has begun.
        let mut deferred_cancel = false;
        if let Some(run) = &self.run {
            run.run_state.borrow_mut().observe(&activation);
        }
        // Patches are known before any code runs, the start's included.
        let mut patches = Vec::new();
        let jobs: Vec<Job> = std::mem::take(&mut activation.jobs)
            .into_iter()
            .filter_map(|job| match job {
                Job::NotifyHasPatch { patch_id } => {
                    patches.push(patch_id);
                    None
                }
                job => Some(job),
            })
            .collect();
        if let Some(run) = &self.run {
            run.run_state
                .borrow_mut()
                .patches_in_history
                .extend(patches.iter().cloned());
        }
        for job in jobs {
            if self.closed {
                break;
            }
            if let Job::Start {
                info,
                args,
                randomness_seed,
                ..
            } = job
            {
                let mut run_state = RunState::new(info, randomness_seed, self.max_pending_outgoing_signals);
                run_state.observe(&activation);
                run_state.patches_in_history.extend(patches.iter().cloned());
                match Started::new(run_state, args) {
                    Ok(run) => self.run = Some(run),
                    Err(e) => {
                        self.closed = true;
                        early.push(Command::Fail(e.to_failure()));
                    }
                }
                continue;
            }
            let run = self.run.as_mut().ok_or_else(|| TaskFailure {
                message: "history delivers a job before the run started".to_owned(),
            })?;
            if matches!(job, Job::Cancel) && !run.polled {
                deferred_cancel = true;
                continue;
            }
            run.apply_job(job, &mut self.unhandled);
        }
        let Some(run) = self.run.as_mut() else {
            return Ok(early);
        };
        if !self.closed {
            self.closed = run.settle()?;
        }
        if deferred_cancel && !self.closed {
            run.apply_job(Job::Cancel, &mut self.unhandled);
            self.closed = run.settle()?;
        }
        early.append(&mut run.run_state.borrow_mut().commands);
        Ok(early)
    }

    /// The span of one activation; the first one names the run from its start job.
    fn task_span(&self, activation: &Activation) -> Span {
        let (jobs, replaying) = (activation.jobs.len(), activation.replaying);
        let span = |info: &WorkflowInfo| {
            run_span!(
                info,
                "workflow_task",
                workflow_type = info.workflow_type.as_str(),
                jobs,
                replaying
            )
        };
        if let Some(run) = &self.run {
            return span(&run.run_state.borrow().info);
        }
        let start = activation.jobs.iter().find_map(|job| match job {
            Job::Start { info, .. } => Some(info),
            _ => None,
        });
        match start {
            Some(info) => span(info),
            None => tracing::info_span!("workflow_task", workflow_type = W::NAME, jobs, replaying),
        }
    }
}

impl<W: WorkflowDefinition> Started<W> {
    /// Builds the state from the run arguments and starts the run method.
    fn new(run_state: RunState, args: Vec<Payload>) -> WorkflowResult<Self> {
        let run_state = Rc::new(RefCell::new(run_state));
        let ctx = WorkflowContext::new(W::create(&args)?, run_state.clone());
        let main = W::run(ctx.clone(), args);
        Ok(Started {
            ctx,
            run_state,
            // The run method is polled inside the activation's `workflow_task`
            // span, which already names the run.
            routines: vec![Routine {
                kind: RoutineKind::Main,
                future: main,
                span: Span::none(),
                waits: Vec::new(),
            }],
            polled: false,
        })
    }

    fn apply_job(&mut self, job: Job, unhandled: &mut Vec<String>) {
        let resolve = |seq, resolution| {
            self.run_state.borrow_mut().resolved.insert(seq, resolution);
        };
        match job {
            Job::Start { .. } => {}
            Job::Signal { name, args, .. } => {
                let span = run_span!(self.run_state.borrow().info, "signal", signal = name.as_str());
                let _entered = span.enter();
                match W::signal(&self.ctx, &name, args) {
                    None => {
                        tracing::warn!(signal = %name, workflow_type = W::NAME, "no handler for signal; it stays in history");
                        unhandled.push(name);
                    }
                    Some(Dispatch::Done(Ok(()))) => {}
                    Some(Dispatch::Done(Err(e))) => {
                        tracing::warn!(signal = %name, error = %e, "signal arguments did not decode; it stays in history");
                        unhandled.push(name);
                    }
                    Some(Dispatch::Spawn(future)) => self.spawn(
                        RoutineKind::Signal(name),
                        Box::pin(async move { future.await.map(|()| Payload::null()) }),
                        span.clone(),
                    ),
                }
            }
            Job::Update {
                id,
                name,
                args,
                validate,
                ..
            } => self.apply_update(id, name, args, validate),
            Job::FireTimer { seq } => resolve(seq, Resolution::Timer),
            Job::ResolveActivity { seq, result } => resolve(seq, Resolution::Activity(result)),
            Job::ResolveSignalExternal { seq, result } | Job::ResolveCancelExternal { seq, result } => {
                resolve(seq, Resolution::External(result))
            }
            Job::ResolveChildStart { seq, result } => resolve(seq, Resolution::ChildStart(result)),
            Job::ResolveChild { seq, result } => {
                self.run_state.borrow_mut().child_results.insert(seq, result);
            }
            Job::Cancel => self.run_state.borrow_mut().cancel_epoch += 1,
            // Taken by `RunExecutor::apply` before the other jobs.
            Job::NotifyHasPatch { .. } => {}
        }
        self.run_state.borrow_mut().progress += 1;
    }

    fn apply_update(&mut self, id: String, name: String, args: Vec<Payload>, validate: bool) {
        let span = run_span!(
            self.run_state.borrow().info,
            "update",
            update = name.as_str(),
            update_id = id.as_str()
        );
        let _entered = span.enter();
        let info = Rc::new(UpdateInfo {
            id: id.clone(),
            name: name.clone(),
        });
        self.run_state.borrow_mut().current_update = Some(info.clone());
        self.dispatch_update(info, args, validate, &span);
        self.run_state.borrow_mut().current_update = None;
    }

    fn dispatch_update(&mut self, info: Rc<UpdateInfo>, args: Vec<Payload>, validate: bool, span: &Span) {
        let (id, name) = (info.id.clone(), info.name.clone());
        let command = |c| self.run_state.borrow_mut().commands.push(c);
        if validate {
            let validator = run_span!(self.run_state.borrow().info, "validator", update = name.as_str());
            let verdict = validator.in_scope(|| self.ctx.state(|s| s.validate_update(&name, &args)));
            let rejection = match verdict {
                Some(Ok(())) => None,
                Some(Err(e)) => Some(Rejection::Invalid(e.to_failure())),
                None => Some(Rejection::Unknown {
                    known: W::UPDATES.iter().map(|s| (*s).to_owned()).collect(),
                }),
            };
            if let Some(rejection) = rejection {
                command(Command::UpdateRejected { id, rejection });
                return;
            }
        }
        command(Command::UpdateAccepted { id: id.clone() });
        match W::update(&self.ctx, &name, args) {
            Some(Dispatch::Done(outcome)) => command(Command::UpdateCompleted {
                id,
                outcome: outcome.map_err(|e| e.to_failure()),
            }),
            Some(Dispatch::Spawn(future)) => self.spawn(RoutineKind::Update(info), future, span.clone()),
            None => command(Command::UpdateCompleted {
                id,
                outcome: Err(
                    WorkflowError::Application(workflow_client::ApplicationError::new(format!(
                        "update `{name}` has no handler in this version of the workflow"
                    )))
                    .to_failure(),
                ),
            }),
        }
    }

    fn spawn(&mut self, kind: RoutineKind, future: LocalFuture<WorkflowResult<Payload>>, span: Span) {
        self.run_state.borrow_mut().handlers_running += 1;
        self.routines.push(Routine {
            kind,
            future,
            span,
            waits: Vec::new(),
        });
    }

    /// Polls routines until none can make progress; returns whether the run closed.
    fn settle(&mut self) -> Result<bool, TaskFailure> {
        self.polled = true;
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..MAX_ROUNDS {
            let before = self.run_state.borrow().progress;
            let mut i = 0;
            while i < self.routines.len() {
                let routine = &mut self.routines[i];
                {
                    let mut run_state = self.run_state.borrow_mut();
                    run_state.current_update = routine.kind.update_info();
                    run_state.waits.clear();
                }
                let polled = routine.span.in_scope(|| routine.future.as_mut().poll(&mut cx));
                {
                    let mut run_state = self.run_state.borrow_mut();
                    run_state.current_update = None;
                    if polled.is_pending() {
                        // The two lists trade places, so polling reuses their buffers.
                        std::mem::swap(&mut routine.waits, &mut run_state.waits);
                    }
                }
                let Poll::Ready(outcome) = polled else {
                    i += 1;
                    continue;
                };
                let routine = self.routines.remove(i);
                let mut run_state = self.run_state.borrow_mut();
                run_state.progress += 1;
                let closing = match (routine.kind, outcome) {
                    (RoutineKind::Main, outcome) => Some(close_command(outcome, run_state.cancel_epoch > 0)),
                    (RoutineKind::Signal(_), Ok(_)) => None,
                    (RoutineKind::Signal(_), Err(e)) => Some(Command::Fail(e.to_failure())),
                    (RoutineKind::Update(info), outcome) => {
                        run_state.commands.push(Command::UpdateCompleted {
                            id: info.id.clone(),
                            outcome: outcome.map_err(|e| e.to_failure()),
                        });
                        None
                    }
                };
                if closing.is_none() {
                    run_state.handlers_running = run_state.handlers_running.saturating_sub(1);
                }
                if let Some(close) = closing {
                    run_state.closed = true;
                    if !run_state.replaying && matches!(close, Command::Complete(_) | Command::ContinueAsNew { .. }) {
                        warn_unfinished::<W>(&run_state.info, &self.routines);
                    }
                    run_state.commands.push(close);
                    drop(run_state);
                    self.routines.clear();
                    return Ok(true);
                }
            }
            if self.run_state.borrow().progress == before {
                return Ok(false);
            }
        }
        Err(TaskFailure {
            message: format!("workflow code did not settle after {MAX_ROUNDS} passes: a routine keeps changing state without awaiting"),
        })
    }
}

/// Warns, as Temporal's SDKs do, that the run completes or continues as
/// new with handlers still running (their updates' callers get
/// `UpdateUnfinished`), naming them; handlers marked
/// `unfinished_policy = "abandon"` are left out.
fn warn_unfinished<W: WorkflowDefinition>(info: &WorkflowInfo, routines: &[Routine]) {
    let abandoned = |name: &str| {
        let is_static = W::SIGNALS.contains(&name) || W::UPDATES.contains(&name);
        W::ABANDON_UNFINISHED.contains(&name) || (!is_static && W::ABANDON_UNFINISHED.contains(&"*"))
    };
    let mut signals = Vec::new();
    let mut updates = Vec::new();
    for routine in routines {
        match &routine.kind {
            RoutineKind::Signal(name) if !abandoned(name) => signals.push(name.as_str()),
            RoutineKind::Update(info) if !abandoned(&info.name) => {
                updates.push(format!("{} (id {})", info.name, info.id))
            }
            _ => {}
        }
    }
    if signals.is_empty() && updates.is_empty() {
        return;
    }
    tracing::warn!(
        workflow_id = info.workflow_id.as_str(),
        run_id = info.run_id.as_str(),
        workflow_type = info.workflow_type.as_str(),
        unfinished_signals = ?signals,
        unfinished_updates = ?updates,
        "workflow finished while signal or update handlers were still running: their work was cut short and \
         the updates' callers get an error instead of a result; wait until `ctx.all_handlers_finished()` \
         before returning, or mark a handler `unfinished_policy = \"abandon\"` where cutting it short is fine"
    );
}

fn close_command(outcome: WorkflowResult<Payload>, cancel_requested: bool) -> Command {
    match outcome {
        Ok(payload) => Command::Complete(payload),
        Err(WorkflowError::ContinueAsNew(args)) => Command::ContinueAsNew {
            args,
            header: Headers::default(),
        },
        Err(WorkflowError::Canceled) if cancel_requested => Command::CancelWorkflow,
        Err(e) => Command::Fail(e.to_failure()),
    }
}

pub(crate) fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

impl<W: WorkflowDefinition> RunInstance for RunExecutor<W> {
    fn activate(&mut self, activation: Activation) -> Result<Vec<Command>, TaskFailure> {
        let _task = self.task_span(&activation).entered();
        if let Some(message) = &self.poisoned {
            return Err(TaskFailure {
                message: message.clone(),
            });
        }
        match catch_unwind(AssertUnwindSafe(|| self.apply(activation))) {
            Ok(result) => result,
            Err(panic) => {
                let message = format!("workflow code panicked: {}", panic_message(panic));
                self.poisoned = Some(message.clone());
                Err(TaskFailure { message })
            }
        }
    }

    fn query(&self, name: &str, args: Vec<Payload>, _header: &Headers) -> Result<Payload, QueryError> {
        let run = self.run.as_ref().ok_or(QueryError::NotStarted)?;
        let _span = run_span!(run.run_state.borrow().info, "query", query = name).entered();
        if name == STACK_TRACE_QUERY {
            let routines = run.routines.iter().map(|r| RoutineTrace {
                label: r.kind.label(),
                waits: &r.waits,
            });
            return Payload::encode(&stack_trace(routines))
                .map_err(|e| QueryError::Failed(Failure::Application(e.into())));
        }
        if name == WORKFLOW_METADATA_QUERY {
            let run_state = run.run_state.borrow();
            return Ok(workflow_metadata(
                &run_state.info.workflow_type,
                W::HANDLER_DOCS,
                &run_state.current_details,
            ));
        }
        let answer = catch_unwind(AssertUnwindSafe(|| run.ctx.state(|s| s.query(name, args))));
        match answer {
            Ok(Some(Ok(payload))) => Ok(payload),
            Ok(Some(Err(e))) => Err(QueryError::Failed(e.to_failure())),
            Ok(None) => Err(QueryError::Unknown {
                known: W::QUERIES.iter().map(|s| (*s).to_owned()).collect(),
            }),
            Err(panic) => Err(QueryError::Failed(Failure::Application(
                workflow_client::ApplicationError::new(format!("query handler panicked: {}", panic_message(panic))),
            ))),
        }
    }

    fn unhandled_signals(&self) -> &[String] {
        &self.unhandled
    }
}

/// The run an activation belongs to, as logs name it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunLabel<'a> {
    pub(crate) workflow_id: &'a str,
    pub(crate) run_id: &'a str,
    pub(crate) workflow_type: &'a str,
}

/// Applies an activation and warns when the executor spent longer than
/// `slow` on it (a worker's
/// [`log_slow_activations`](crate::WorkerBuilder::log_slow_activations)):
/// workflow code that blocks holds up every other run of its worker.
pub(crate) fn activate_timed(
    instance: &mut dyn RunInstance,
    activation: Activation,
    slow: Option<Duration>,
    run: RunLabel<'_>,
) -> Result<Vec<Command>, TaskFailure> {
    let Some(threshold) = slow else {
        return instance.activate(activation);
    };
    let jobs = activation.jobs.len();
    let started = Instant::now();
    let outcome = instance.activate(activation);
    let elapsed = started.elapsed();
    if elapsed > threshold {
        tracing::warn!(
            workflow_id = run.workflow_id,
            run_id = run.run_id,
            workflow_type = run.workflow_type,
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            jobs,
            "slow workflow activation"
        );
    }
    outcome
}

/// Builds a fresh executor for workflow `W`: what a worker registers.
pub(crate) fn new_instance<W: WorkflowDefinition>(max_pending_outgoing_signals: usize) -> Box<dyn RunInstance> {
    Box::new(RunExecutor::<W>::new(max_pending_outgoing_signals))
}
