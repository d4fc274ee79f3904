//! The engine thread: applies client requests, runs workflow tasks, fires
//! timers and dispatches activities. Each batch of messages is one store
//! transaction, and replies leave only after it commits, so concurrent
//! acknowledgements share one sync (group commit).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use workflow_client::{
    ClientError, Description, Event, EventKind, Execution, ExternalFailureCause, Failure, History, Limit, ParentInfo,
    Payload, StartRequest, TimeoutKind, UpdateRequest, UpdateStatus, WaitStage, WorkflowStatus,
};

use super::agenda::{Agenda, Wake};
use super::runs::{OpenRun, RunCache};
use super::store::{ActivityRow, RunRow, Store, StoreResult};
use super::Limits;
use crate::activity::ActivityInfo;
use crate::executor::{QueryError, RunInstance};
use crate::protocol::{Activation, Command, Job, Rejection};
use crate::replay::{duration_ms, is_recorded, job_for, replay, Suggest};
use crate::worker::{ActivityDone, ActivityTask, Factory, Registration};

/// Messages handled in one batch at most; bounds the latency of the batch.
const MAX_BATCH: usize = 4_096;
/// Delay before a failed workflow task is tried again.
const TASK_RETRY_MS: u64 = 1_000;

pub(crate) type Responder = oneshot::Sender<Result<Reply, ClientError>>;

pub(crate) enum Msg {
    Call(Request, Responder),
    Register(Arc<Registration>),
    Unregister { task_queue: String, worker_id: u64 },
    ActivityDone(ActivityDone),
    Close,
}

pub(crate) enum Request {
    Start(StartRequest),
    Signal(Execution, String, Vec<Payload>),
    Query(Execution, String, Vec<Payload>),
    Update(Execution, UpdateRequest),
    UpdateResult(Execution, String),
    Result(Execution),
    Cancel(Execution, String),
    Terminate(Execution, String),
    Describe(Execution),
    History(Execution),
}

pub(crate) enum Reply {
    RunId(String),
    Unit,
    Payload(Payload),
    Update(UpdateStatus),
    Description(Box<Description>),
    History(History),
}

type Answer = Result<Reply, ClientError>;

struct UpdateWaiter {
    run_id: String,
    stage: WaitStage,
    responder: Responder,
}

struct PendingQuery {
    target: Execution,
    name: String,
    args: Vec<Payload>,
    responder: Responder,
    deadline: u64,
}

/// An activity scheduled and not yet resolved.
struct InFlight {
    row: ActivityRow,
}

/// Whom a target execution resolves to.
enum Target {
    Open(String),
    Closed(RunRow),
    Missing,
}

/// Why no run instance could be had.
enum Unavailable {
    NoWorker,
    Failed(String),
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn time_of(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

pub(crate) struct EngineCore {
    store: Store,
    limits: Limits,
    worker_wait: u64,
    runs: HashMap<String, OpenRun>,
    current: HashMap<String, String>,
    cache: RunCache,
    dirty: VecDeque<String>,
    dirty_set: HashSet<String>,
    workers: HashMap<String, Vec<Arc<Registration>>>,
    agenda: Agenda,
    timers: HashSet<(String, u32)>,
    activities: HashMap<(String, u32), InFlight>,
    backlog: HashMap<String, VecDeque<(String, u32)>>,
    result_waiters: HashMap<String, Vec<Responder>>,
    update_waiters: HashMap<String, Vec<UpdateWaiter>>,
    update_deadlines: Vec<(u64, String, String)>,
    queries: Vec<PendingQuery>,
    replies: Vec<(Responder, Answer)>,
    dispatches: Vec<(Arc<Registration>, ActivityTask)>,
}

impl EngineCore {
    pub(crate) fn load(
        store: Store,
        limits: Limits,
        cache_capacity: usize,
        worker_wait: Duration,
    ) -> StoreResult<Self> {
        let mut core = EngineCore {
            store,
            limits,
            worker_wait: worker_wait.as_millis() as u64,
            runs: HashMap::new(),
            current: HashMap::new(),
            cache: RunCache::new(cache_capacity),
            dirty: VecDeque::new(),
            dirty_set: HashSet::new(),
            workers: HashMap::new(),
            agenda: Agenda::default(),
            timers: HashSet::new(),
            activities: HashMap::new(),
            backlog: HashMap::new(),
            result_waiters: HashMap::new(),
            update_waiters: HashMap::new(),
            update_deadlines: Vec::new(),
            queries: Vec::new(),
            replies: Vec::new(),
            dispatches: Vec::new(),
        };
        core.reload()?;
        Ok(core)
    }

    /// Rebuilds all in-memory state from the store.
    fn reload(&mut self) -> StoreResult<()> {
        self.runs.clear();
        self.current.clear();
        self.cache.clear();
        self.dirty.clear();
        self.dirty_set.clear();
        self.agenda.clear();
        self.timers.clear();
        self.activities.clear();
        self.backlog.clear();
        for row in self.store.open_runs()? {
            let events = self.store.events(&row.run_id, 1)?;
            let run = OpenRun::from_history(row, &events);
            let run_id = run.row.run_id.clone();
            self.current.insert(run.row.workflow_id.clone(), run_id.clone());
            let has_work = run.has_work();
            self.runs.insert(run_id.clone(), run);
            if has_work {
                self.mark_dirty(&run_id);
            }
        }
        for (run_id, seq, fire_at) in self.store.timers()? {
            self.timers.insert((run_id.clone(), seq));
            self.agenda.at(fire_at, Wake::Timer { run_id, seq });
        }
        let now = now_ms();
        for row in self.store.activities()? {
            let key = (row.run_id.clone(), row.seq);
            self.arm_schedule_timeout(&row);
            self.activities.insert(key.clone(), InFlight { row });
            self.dispatch(key, now);
        }
        Ok(())
    }

    /// The engine thread's loop.
    pub(crate) fn run(mut self, inbox: Receiver<Msg>) {
        loop {
            let first = match self.agenda.next() {
                Some(at) => inbox.recv_timeout(Duration::from_millis(at.saturating_sub(now_ms()))),
                None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let mut batch = Vec::new();
            match first {
                Ok(msg) => batch.push(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while batch.len() < MAX_BATCH {
                match inbox.try_recv() {
                    Ok(msg) => batch.push(msg),
                    Err(_) => break,
                }
            }
            let closing = batch.iter().any(|m| matches!(m, Msg::Close));
            self.step(batch);
            if closing {
                return;
            }
        }
    }

    fn step(&mut self, batch: Vec<Msg>) {
        let outcome = self.store.begin().and_then(|()| {
            let now = now_ms();
            for msg in batch {
                self.handle(msg, now)?;
            }
            self.wake_due(now)?;
            self.process_dirty(now)?;
            self.answer_queries(now)?;
            self.store.commit()
        });
        match outcome {
            Ok(()) => {
                for (responder, answer) in self.replies.drain(..) {
                    let _ = responder.send(answer);
                }
                for (worker, task) in self.dispatches.drain(..) {
                    if !worker.dispatch(task) {
                        tracing::warn!(task_queue = %worker.task_queue, "worker stopped before taking an activity");
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store transaction failed; reloading engine state");
                self.store.rollback();
                self.dispatches.clear();
                let error = ClientError::from(e);
                for (responder, _) in self.replies.drain(..) {
                    let _ = responder.send(Err(error.clone()));
                }
                self.fail_all_waiters(&error);
                if let Err(e) = self.reload() {
                    tracing::error!(error = %e, "cannot reload engine state from the store");
                }
            }
        }
    }

    fn fail_all_waiters(&mut self, error: &ClientError) {
        let waiters = self.result_waiters.drain().flat_map(|(_, w)| w);
        let updates = self
            .update_waiters
            .drain()
            .flat_map(|(_, w)| w.into_iter().map(|w| w.responder));
        let queries = self.queries.drain(..).map(|q| q.responder);
        for responder in waiters.chain(updates).chain(queries) {
            let _ = responder.send(Err(error.clone()));
        }
        self.update_deadlines.clear();
    }

    fn reply(&mut self, responder: Responder, answer: Answer) {
        self.replies.push((responder, answer));
    }

    fn mark_dirty(&mut self, run_id: &str) {
        if self.dirty_set.insert(run_id.to_owned()) {
            self.dirty.push_back(run_id.to_owned());
        }
    }

    fn handle(&mut self, msg: Msg, now: u64) -> StoreResult<()> {
        match msg {
            Msg::Call(request, responder) => self.call(request, responder, now)?,
            Msg::Register(worker) => {
                let queue = worker.task_queue.clone();
                self.workers.entry(queue.clone()).or_default().push(worker);
                let runs: Vec<String> = self
                    .runs
                    .values()
                    .filter(|r| r.row.task_queue == queue && r.has_work())
                    .map(|r| r.row.run_id.clone())
                    .collect();
                for run_id in runs {
                    self.mark_dirty(&run_id);
                }
                for key in self.backlog.remove(&queue).unwrap_or_default() {
                    self.dispatch(key, now);
                }
            }
            Msg::Unregister { task_queue, worker_id } => {
                if let Some(workers) = self.workers.get_mut(&task_queue) {
                    workers.retain(|w| w.id != worker_id);
                    if workers.is_empty() {
                        self.workers.remove(&task_queue);
                    }
                }
            }
            Msg::ActivityDone(done) => self.activity_done(done, now)?,
            Msg::Close => {}
        }
        Ok(())
    }

    fn call(&mut self, request: Request, responder: Responder, now: u64) -> StoreResult<()> {
        match request {
            Request::Start(start) => {
                let answer = self.start(start, now)?;
                self.reply(responder, answer.map(Reply::RunId));
            }
            Request::Signal(target, name, args) => {
                let answer = match self.check_payloads(&target.workflow_id, &args) {
                    Err(e) => Err(e),
                    Ok(()) => match self.resolve(&target)? {
                        Target::Open(run_id) => self.signal_open(&run_id, name, args, now)?,
                        Target::Closed(row) => Err(closed(&row, "signals")),
                        Target::Missing => Err(not_found(&target)),
                    },
                };
                self.reply(responder, answer.map(|()| Reply::Unit));
            }
            Request::Query(target, name, args) => self.queries.push(PendingQuery {
                target,
                name,
                args,
                responder,
                deadline: now + self.worker_wait,
            }),
            Request::Update(target, update) => self.update(target, update, responder, now)?,
            Request::UpdateResult(target, update_id) => self.update_result(target, update_id, responder)?,
            Request::Result(target) => self.result(target, responder)?,
            Request::Cancel(target, reason) => {
                let answer = match self.resolve(&target)? {
                    Target::Open(run_id) => {
                        self.append(&run_id, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                        self.mark_dirty(&run_id);
                        Ok(Reply::Unit)
                    }
                    Target::Closed(row) => Err(closed(&row, "cancellation")),
                    Target::Missing => Err(not_found(&target)),
                };
                self.reply(responder, answer);
            }
            Request::Terminate(target, reason) => {
                let answer = match self.resolve(&target)? {
                    Target::Open(run_id) => {
                        self.terminate(&run_id, reason, now)?;
                        Ok(Reply::Unit)
                    }
                    Target::Closed(row) => Err(closed(&row, "termination")),
                    Target::Missing => Err(not_found(&target)),
                };
                self.reply(responder, answer);
            }
            Request::Describe(target) => {
                let answer = self.describe(&target)?;
                self.reply(responder, answer.map(|d| Reply::Description(Box::new(d))));
            }
            Request::History(target) => {
                let answer = match self.resolve(&target)? {
                    Target::Open(run_id) => Ok(self.history_of(&target.workflow_id, &run_id)?),
                    Target::Closed(row) => Ok(self.history_of(&row.workflow_id, &row.run_id)?),
                    Target::Missing => Err(not_found(&target)),
                };
                self.reply(responder, answer.map(Reply::History));
            }
        }
        Ok(())
    }

    fn history_of(&self, workflow_id: &str, run_id: &str) -> StoreResult<History> {
        Ok(History {
            workflow_id: workflow_id.to_owned(),
            run_id: run_id.to_owned(),
            events: self.store.events(run_id, 1)?,
        })
    }

    fn check_payloads(&self, workflow_id: &str, payloads: &[Payload]) -> Result<(), ClientError> {
        let max = self.limits.max_payload_bytes;
        match payloads.iter().any(|p| p.data.len() > max) {
            true => Err(ClientError::LimitExceeded {
                workflow_id: workflow_id.to_owned(),
                limit: Limit::PayloadSize,
                max,
            }),
            false => Ok(()),
        }
    }

    fn resolve(&self, target: &Execution) -> StoreResult<Target> {
        let row = match &target.run_id {
            Some(run_id) if self.runs.contains_key(run_id) => return Ok(Target::Open(run_id.clone())),
            Some(run_id) => self.store.run(run_id)?.filter(|r| r.workflow_id == target.workflow_id),
            None => match self.current.get(&target.workflow_id) {
                Some(run_id) => return Ok(Target::Open(run_id.clone())),
                None => self.store.current_run(&target.workflow_id)?,
            },
        };
        // A row still marked running but not loaded belongs to no open run.
        Ok(match row {
            Some(row) if row.status != WorkflowStatus::Running => Target::Closed(row),
            _ => Target::Missing,
        })
    }

    /// Appends an event to an open run's history.
    fn append(&mut self, run_id: &str, kind: EventKind, now: u64) -> StoreResult<u64> {
        let run = self
            .runs
            .get_mut(run_id)
            .expect("events are appended to open runs only");
        let event = Event {
            id: run.next_event_id,
            time_ms: now,
            kind,
        };
        run.next_event_id += 1;
        self.store.append(run_id, &event)?;
        Ok(event.id)
    }

    fn start(&mut self, start: StartRequest, now: u64) -> StoreResult<Result<String, ClientError>> {
        let mut payloads = start.args.clone();
        if let Some((_, args)) = &start.start_signal {
            payloads.extend(args.iter().cloned());
        }
        if let Err(e) = self.check_payloads(&start.workflow_id, &payloads) {
            return Ok(Err(e));
        }
        if let Some(run_id) = self.current.get(&start.workflow_id).cloned() {
            return Ok(match start.start_signal {
                Some((name, args)) => self.signal_open(&run_id, name, args, now)?.map(|()| run_id),
                None => Err(ClientError::AlreadyStarted {
                    workflow_id: start.workflow_id,
                    run_id,
                }),
            });
        }
        let run_id = self.create_run(
            start.workflow_id,
            start.workflow_type,
            start.task_queue,
            start.args,
            None,
            None,
            now,
        )?;
        if let Some((name, args)) = start.start_signal {
            self.signal_open(&run_id, name, args, now)?.ok();
        }
        Ok(Ok(run_id))
    }

    #[allow(clippy::too_many_arguments)]
    fn create_run(
        &mut self,
        workflow_id: String,
        workflow_type: String,
        task_queue: String,
        input: Vec<Payload>,
        parent: Option<ParentInfo>,
        continued_from_run_id: Option<String>,
        now: u64,
    ) -> StoreResult<String> {
        let run_id = workflow_client::id::unique_id();
        let row = RunRow {
            run_id: run_id.clone(),
            workflow_id: workflow_id.clone(),
            workflow_type: workflow_type.clone(),
            task_queue: task_queue.clone(),
            status: WorkflowStatus::Running,
            start_ms: now,
            close_ms: None,
            next_run_id: None,
            parent: parent.clone(),
        };
        self.store.insert_run(&row)?;
        self.runs.insert(run_id.clone(), OpenRun::new(row));
        self.current.insert(workflow_id, run_id.clone());
        let seed = u64::from_str_radix(&run_id[..8], 16).unwrap_or(0) << 32 | now & 0xffff_ffff;
        self.append(
            &run_id,
            EventKind::WorkflowExecutionStarted {
                workflow_type,
                task_queue,
                input,
                parent,
                continued_from_run_id,
                randomness_seed: seed,
            },
            now,
        )?;
        self.mark_dirty(&run_id);
        Ok(run_id)
    }

    /// Records a signal to an open run, within the received-signal limit.
    fn signal_open(
        &mut self,
        run_id: &str,
        name: String,
        args: Vec<Payload>,
        now: u64,
    ) -> StoreResult<Result<(), ClientError>> {
        let run = &self.runs[run_id];
        let max = self.limits.max_received_signals;
        if run.signals_received >= max as u64 {
            return Ok(Err(ClientError::LimitExceeded {
                workflow_id: run.row.workflow_id.clone(),
                limit: Limit::ReceivedSignals,
                max,
            }));
        }
        self.append(
            run_id,
            EventKind::WorkflowExecutionSignaled {
                signal_name: name,
                input: args,
            },
            now,
        )?;
        self.runs.get_mut(run_id).expect("open").signals_received += 1;
        self.mark_dirty(run_id);
        Ok(Ok(()))
    }

    fn update(&mut self, target: Execution, update: UpdateRequest, responder: Responder, now: u64) -> StoreResult<()> {
        let run_id = match self.resolve(&target)? {
            Target::Open(run_id) => run_id,
            Target::Closed(row) => {
                self.reply(responder, Err(closed(&row, "updates")));
                return Ok(());
            }
            Target::Missing => {
                self.reply(responder, Err(not_found(&target)));
                return Ok(());
            }
        };
        if let Err(e) = self.check_payloads(&target.workflow_id, &update.args) {
            self.reply(responder, Err(e));
            return Ok(());
        }
        let run = self.runs.get_mut(&run_id).expect("open");
        if let Some(outcome) = run.completed_updates.get(&update.update_id) {
            let answer = Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())));
            self.reply(responder, answer);
            return Ok(());
        }
        let known = run.accepted_updates.contains(&update.update_id)
            || run.pending_updates.iter().any(|u| u.update_id == update.update_id);
        let update_id = update.update_id.clone();
        let stage = update.wait;
        if !known {
            run.pending_updates.push(update);
            self.update_deadlines
                .push((now + self.worker_wait, run_id.clone(), update_id.clone()));
            self.agenda.at(now + self.worker_wait, Wake::WaitExpired);
        }
        self.update_waiters.entry(update_id).or_default().push(UpdateWaiter {
            run_id: run_id.clone(),
            stage,
            responder,
        });
        self.mark_dirty(&run_id);
        Ok(())
    }

    fn update_result(&mut self, target: Execution, update_id: String, responder: Responder) -> StoreResult<()> {
        match self.resolve(&target)? {
            Target::Open(run_id) => {
                let run = &self.runs[&run_id];
                if let Some(outcome) = run.completed_updates.get(&update_id) {
                    let answer = Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())));
                    self.reply(responder, answer);
                } else if run.accepted_updates.contains(&update_id)
                    || run.pending_updates.iter().any(|u| u.update_id == update_id)
                {
                    self.update_waiters.entry(update_id).or_default().push(UpdateWaiter {
                        run_id,
                        stage: WaitStage::Completed,
                        responder,
                    });
                } else {
                    self.reply(responder, Err(unknown_update(&target.workflow_id, &update_id)));
                }
            }
            Target::Closed(row) => {
                let events = self.store.events(&row.run_id, 1)?;
                let outcome = events.into_iter().find_map(|e| match e.kind {
                    EventKind::WorkflowExecutionUpdateCompleted { update_id: id, outcome } if id == update_id => {
                        Some(outcome)
                    }
                    _ => None,
                });
                let answer = match outcome {
                    Some(outcome) => Ok(Reply::Update(UpdateStatus::Completed(outcome))),
                    None => Err(closed(&row, "updates")),
                };
                self.reply(responder, answer);
            }
            Target::Missing => self.reply(responder, Err(not_found(&target))),
        }
        Ok(())
    }

    fn result(&mut self, target: Execution, responder: Responder) -> StoreResult<()> {
        let mut row = match self.resolve(&target)? {
            Target::Open(run_id) => {
                self.result_waiters.entry(run_id).or_default().push(responder);
                return Ok(());
            }
            Target::Closed(row) => row,
            Target::Missing => {
                self.reply(responder, Err(not_found(&target)));
                return Ok(());
            }
        };
        loop {
            if row.status == WorkflowStatus::ContinuedAsNew {
                if let Some(next) = row.next_run_id.clone() {
                    if self.runs.contains_key(&next) {
                        self.result_waiters.entry(next).or_default().push(responder);
                        return Ok(());
                    }
                    if let Some(next_row) = self.store.run(&next)? {
                        row = next_row;
                        continue;
                    }
                }
            }
            let answer = self.closed_outcome(&row)?;
            self.reply(responder, answer.map(Reply::Payload));
            return Ok(());
        }
    }

    /// The outcome of a closed run, from its closing event.
    fn closed_outcome(&self, row: &RunRow) -> StoreResult<Result<Payload, ClientError>> {
        let events = self.store.events(&row.run_id, 1)?;
        let failed = |failure| {
            Err(ClientError::WorkflowFailed {
                workflow_id: row.workflow_id.clone(),
                failure,
            })
        };
        Ok(match events.into_iter().last().map(|e| e.kind) {
            Some(EventKind::WorkflowExecutionCompleted { result }) => Ok(result),
            Some(EventKind::WorkflowExecutionFailed { failure }) => failed(failure),
            Some(EventKind::WorkflowExecutionCanceled) => failed(Failure::Canceled),
            Some(EventKind::WorkflowExecutionTerminated { reason }) => failed(Failure::Terminated { reason }),
            _ => Err(ClientError::Storage(format!(
                "run `{}` is closed but its history has no closing event",
                row.run_id
            ))),
        })
    }

    fn describe(&self, target: &Execution) -> StoreResult<Result<Description, ClientError>> {
        let row = match self.resolve(target)? {
            Target::Open(run_id) => {
                let run = &self.runs[&run_id];
                return Ok(Ok(Description {
                    workflow_id: run.row.workflow_id.clone(),
                    run_id,
                    workflow_type: run.row.workflow_type.clone(),
                    task_queue: run.row.task_queue.clone(),
                    status: WorkflowStatus::Running,
                    start_time_ms: run.row.start_ms,
                    close_time_ms: None,
                    history_length: run.next_event_id - 1,
                    signals_received: run.signals_received,
                    unhandled_signals: run.unhandled_signals.clone(),
                    task_failure: run.task_failure.clone(),
                }));
            }
            Target::Closed(row) => row,
            Target::Missing => return Ok(Err(not_found(target))),
        };
        let events = self.store.events(&row.run_id, 1)?;
        let summary = OpenRun::from_history(row.clone(), &events);
        Ok(Ok(Description {
            workflow_id: row.workflow_id,
            run_id: row.run_id,
            workflow_type: row.workflow_type,
            task_queue: row.task_queue,
            status: row.status,
            start_time_ms: row.start_ms,
            close_time_ms: row.close_ms,
            history_length: events.len() as u64,
            signals_received: summary.signals_received,
            unhandled_signals: Vec::new(),
            task_failure: None,
        }))
    }

    fn terminate(&mut self, run_id: &str, reason: String, now: u64) -> StoreResult<()> {
        self.append(
            run_id,
            EventKind::WorkflowExecutionTerminated { reason: reason.clone() },
            now,
        )?;
        self.close_run(
            run_id,
            WorkflowStatus::Terminated,
            Err(Failure::Terminated { reason }),
            None,
            now,
        )
    }

    // ----- workflow tasks -----

    fn worker_for(&self, task_queue: &str, pick: impl Fn(&Registration) -> bool) -> Option<Arc<Registration>> {
        self.workers.get(task_queue)?.iter().find(|w| pick(w)).cloned()
    }

    fn factory(&self, task_queue: &str, workflow_type: &str) -> Result<Factory, Unavailable> {
        if !self.workers.contains_key(task_queue) {
            return Err(Unavailable::NoWorker);
        }
        self.worker_for(task_queue, |w| w.workflow(workflow_type).is_some())
            .and_then(|w| w.workflow(workflow_type))
            .ok_or_else(|| {
                Unavailable::Failed(format!(
                    "workflow type `{workflow_type}` is not registered on any worker of task queue `{task_queue}`"
                ))
            })
    }

    /// The live instance of a run: from the cache, or rebuilt from history.
    fn acquire(&mut self, run_id: &str) -> StoreResult<Result<Box<dyn RunInstance>, Unavailable>> {
        if let Some(instance) = self.cache.take(run_id) {
            return Ok(Ok(instance));
        }
        let (row, upto) = match self.runs.get(run_id) {
            Some(run) => (run.row.clone(), run.inputs_from),
            None => match self.store.run(run_id)? {
                Some(row) => (row, u64::MAX),
                None => return Ok(Err(Unavailable::Failed(format!("run `{run_id}` not found")))),
            },
        };
        let factory = match self.factory(&row.task_queue, &row.workflow_type) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        let mut instance = factory(self.limits.max_pending_outgoing_signals);
        let mut events = self.store.events(run_id, 1)?;
        events.retain(|e| e.id < upto);
        Ok(
            match replay(&mut *instance, &events, &row.workflow_id, run_id, &self.limits) {
                Ok(()) => Ok(instance),
                Err(e) => Err(Unavailable::Failed(e.to_string())),
            },
        )
    }

    fn release(&mut self, run_id: &str, instance: Box<dyn RunInstance>) {
        self.cache.put(run_id, instance);
    }

    fn process_dirty(&mut self, now: u64) -> StoreResult<()> {
        while let Some(run_id) = self.dirty.pop_front() {
            self.dirty_set.remove(&run_id);
            self.workflow_task(&run_id, now)?;
        }
        Ok(())
    }

    fn workflow_task(&mut self, run_id: &str, now: u64) -> StoreResult<()> {
        let Some(run) = self.runs.get(run_id) else {
            return Ok(());
        };
        if run.retry_at.is_some_and(|t| t > now) || !run.has_work() || !self.workers.contains_key(&run.row.task_queue) {
            return Ok(());
        }
        let inputs = self.store.events(run_id, run.inputs_from)?;
        let suggest = Suggest {
            history_events: run.next_event_id - 1,
            signals: run.signals_received,
        };
        let (workflow_id, run_id_owned) = (run.row.workflow_id.clone(), run.row.run_id.clone());
        let updates = std::mem::take(&mut self.runs.get_mut(run_id).expect("open").pending_updates);
        let mut instance = match self.acquire(run_id)? {
            Ok(instance) => instance,
            Err(Unavailable::NoWorker) => {
                self.runs.get_mut(run_id).expect("open").pending_updates = updates;
                return Ok(());
            }
            Err(Unavailable::Failed(message)) => return self.task_failed(run_id, message, updates, now),
        };
        let mut jobs: Vec<Job> = inputs
            .iter()
            .filter_map(|e| job_for(&e.kind, &workflow_id, &run_id_owned))
            .collect();
        jobs.extend(updates.iter().map(|u| Job::Update {
            id: u.update_id.clone(),
            name: u.name.clone(),
            args: u.args.clone(),
            validate: true,
        }));
        let activation = Activation {
            now: time_of(now),
            replaying: false,
            history_length: suggest.history_events,
            continue_as_new_suggested: suggest.suggested(&self.limits),
            jobs,
        };
        match instance.activate(activation) {
            Ok(commands) => {
                let run = self.runs.get_mut(run_id).expect("open");
                if run.unhandled_signals.len() != instance.unhandled_signals().len() {
                    run.unhandled_signals = instance.unhandled_signals().to_vec();
                }
                self.release(run_id, instance);
                self.apply_commands(run_id, !inputs.is_empty(), updates, commands, now)
            }
            Err(failure) => self.task_failed(run_id, failure.message, updates, now),
        }
    }

    fn task_failed(&mut self, run_id: &str, message: String, updates: Vec<UpdateRequest>, now: u64) -> StoreResult<()> {
        let run = self.runs.get_mut(run_id).expect("open");
        tracing::error!(workflow_id = %run.row.workflow_id, run_id, error = %message, "workflow task failed; will retry");
        run.task_failure = Some(message.clone());
        run.retry_at = Some(now + TASK_RETRY_MS);
        let workflow_id = run.row.workflow_id.clone();
        self.agenda.at(
            now + TASK_RETRY_MS,
            Wake::TaskRetry {
                run_id: run_id.to_owned(),
            },
        );
        for update in updates {
            let error = ClientError::WorkflowTask {
                workflow_id: workflow_id.clone(),
                message: message.clone(),
            };
            self.finish_update_waiters(&update.update_id, |_| true, Err(error));
        }
        Ok(())
    }

    fn finish_update_waiters(&mut self, update_id: &str, pick: impl Fn(&UpdateWaiter) -> bool, answer: Answer) {
        let Some(waiters) = self.update_waiters.remove(update_id) else {
            return;
        };
        let (done, keep): (Vec<_>, Vec<_>) = waiters.into_iter().partition(|w| pick(w));
        for waiter in done {
            let answer = match &answer {
                Ok(Reply::Update(s)) => Ok(Reply::Update(s.clone())),
                Err(e) => Err(e.clone()),
                Ok(_) => unreachable!("update waiters get update replies"),
            };
            self.reply(waiter.responder, answer);
        }
        if !keep.is_empty() {
            self.update_waiters.insert(update_id.to_owned(), keep);
        }
    }

    fn apply_commands(
        &mut self,
        run_id: &str,
        had_inputs: bool,
        updates: Vec<UpdateRequest>,
        commands: Vec<Command>,
        now: u64,
    ) -> StoreResult<()> {
        let workflow_id = self.runs[run_id].row.workflow_id.clone();
        let mut accepted = 0;
        for command in &commands {
            match command {
                Command::UpdateAccepted { id } => {
                    let Some(update) = updates.iter().find(|u| &u.update_id == id) else {
                        continue;
                    };
                    accepted += 1;
                    self.append(
                        run_id,
                        EventKind::WorkflowExecutionUpdateAccepted {
                            update_id: id.clone(),
                            update_name: update.name.clone(),
                            input: update.args.clone(),
                        },
                        now,
                    )?;
                    self.runs
                        .get_mut(run_id)
                        .expect("open")
                        .accepted_updates
                        .insert(id.clone());
                    self.finish_update_waiters(
                        id,
                        |w| w.stage == WaitStage::Accepted,
                        Ok(Reply::Update(UpdateStatus::Accepted)),
                    );
                }
                Command::UpdateRejected { id, rejection } => {
                    let name = updates.iter().find(|u| &u.update_id == id).map(|u| u.name.clone());
                    let name = name.unwrap_or_default();
                    let error = match rejection.clone() {
                        Rejection::Unknown { known } => ClientError::UnknownUpdate {
                            workflow_type: self.runs[run_id].row.workflow_type.clone(),
                            name,
                            known,
                        },
                        Rejection::Invalid(failure) => ClientError::UpdateRejected { name, failure },
                    };
                    self.finish_update_waiters(id, |_| true, Err(error));
                }
                _ => {}
            }
        }
        if !had_inputs && accepted == 0 {
            return Ok(());
        }
        self.append(run_id, EventKind::WorkflowTaskCompleted, now)?;
        let task_queue = self.runs[run_id].row.task_queue.clone();
        let recorded: Vec<Command> = commands.into_iter().filter(is_recorded).collect();
        let close_at = recorded.iter().position(Command::is_closing);
        let recorded = &recorded[..close_at.map_or(recorded.len(), |i| i + 1)];
        let mut new_run_id = None;
        for command in recorded {
            let kind = match command {
                Command::ContinueAsNew(args) => {
                    let id = workflow_client::id::unique_id();
                    new_run_id = Some(id.clone());
                    EventKind::WorkflowExecutionContinuedAsNew {
                        new_run_id: id,
                        input: args.clone(),
                    }
                }
                other => command_event(other, &task_queue),
            };
            self.append(run_id, kind, now)?;
        }
        let run = self.runs.get_mut(run_id).expect("open");
        run.inputs_from = run.next_event_id;
        run.task_failure = None;
        run.retry_at = None;
        let closing = close_at.is_some();
        for command in recorded {
            self.command_effect(run_id, &workflow_id, &task_queue, command, closing, now)?;
        }
        if let (Some(close), Some(_)) = (recorded.last().filter(|c| c.is_closing()), close_at) {
            let (status, outcome) = match close {
                Command::Complete(result) => (WorkflowStatus::Completed, Ok(result.clone())),
                Command::Fail(failure) => (WorkflowStatus::Failed, Err(failure.clone())),
                Command::CancelWorkflow => (WorkflowStatus::Canceled, Err(Failure::Canceled)),
                _ => (WorkflowStatus::ContinuedAsNew, Ok(Payload::null())),
            };
            let continued = match close {
                Command::ContinueAsNew(args) => new_run_id.map(|id| (id, args.clone())),
                _ => None,
            };
            self.close_run(run_id, status, outcome, continued, now)?;
        }
        Ok(())
    }

    fn command_effect(
        &mut self,
        run_id: &str,
        workflow_id: &str,
        task_queue: &str,
        command: &Command,
        closing: bool,
        now: u64,
    ) -> StoreResult<()> {
        match command {
            Command::StartTimer { seq, duration } => {
                let fire_at = now.saturating_add(duration_ms(*duration));
                self.store.insert_timer(run_id, *seq, fire_at)?;
                self.timers.insert((run_id.to_owned(), *seq));
                self.agenda.at(
                    fire_at,
                    Wake::Timer {
                        run_id: run_id.to_owned(),
                        seq: *seq,
                    },
                );
            }
            Command::CancelTimer { seq } => {
                self.store.delete_timer(run_id, *seq)?;
                self.timers.remove(&(run_id.to_owned(), *seq));
            }
            Command::ScheduleActivity {
                seq,
                activity_type,
                args,
                options,
            } => {
                let row = ActivityRow {
                    run_id: run_id.to_owned(),
                    seq: *seq,
                    workflow_id: workflow_id.to_owned(),
                    task_queue: options.task_queue.clone().unwrap_or_else(|| task_queue.to_owned()),
                    activity_type: activity_type.clone(),
                    input: args.clone(),
                    options: options.clone(),
                    attempt: 1,
                    scheduled_ms: now,
                };
                self.store.insert_activity(&row)?;
                self.arm_schedule_timeout(&row);
                let key = (run_id.to_owned(), *seq);
                self.activities.insert(key.clone(), InFlight { row });
                self.dispatch(key, now);
            }
            Command::RequestCancelActivity { seq } => {
                self.store.delete_activity(run_id, *seq)?;
                self.activities.remove(&(run_id.to_owned(), *seq));
            }
            Command::SignalExternal {
                seq,
                workflow_id: target,
                name,
                args,
            } => {
                let outcome = match self.current.get(target).cloned() {
                    Some(target_run) => self
                        .signal_open(&target_run, name.clone(), args.clone(), now)?
                        .map_err(|_| ExternalFailureCause::LimitExceeded),
                    None => Err(ExternalFailureCause::NotFound),
                };
                if !closing {
                    let seq = *seq;
                    let kind = match outcome {
                        Ok(()) => EventKind::ExternalWorkflowExecutionSignaled { seq },
                        Err(cause) => EventKind::SignalExternalWorkflowExecutionFailed { seq, cause },
                    };
                    self.append(run_id, kind, now)?;
                    self.mark_dirty(run_id);
                }
            }
            Command::CancelExternal {
                seq,
                workflow_id: target,
            } => {
                let outcome = match self.current.get(target).cloned() {
                    Some(target_run) => {
                        let reason = format!("requested by workflow `{workflow_id}`");
                        self.append(&target_run, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                        self.mark_dirty(&target_run);
                        Ok(())
                    }
                    None => Err(ExternalFailureCause::NotFound),
                };
                if !closing {
                    let seq = *seq;
                    let kind = match outcome {
                        Ok(()) => EventKind::ExternalWorkflowExecutionCancelRequested { seq },
                        Err(cause) => EventKind::RequestCancelExternalWorkflowExecutionFailed { seq, cause },
                    };
                    self.append(run_id, kind, now)?;
                    self.mark_dirty(run_id);
                }
            }
            Command::StartChild {
                seq,
                workflow_type,
                workflow_id: child_id,
                task_queue: child_queue,
                args,
            } => {
                let kind = match self.current.get(child_id).cloned() {
                    Some(existing_run_id) => EventKind::StartChildWorkflowExecutionFailed {
                        seq: *seq,
                        existing_run_id,
                    },
                    None if closing => return Ok(()),
                    None => {
                        let parent = ParentInfo {
                            workflow_id: workflow_id.to_owned(),
                            run_id: run_id.to_owned(),
                            seq: *seq,
                        };
                        let child_run = self.create_run(
                            child_id.clone(),
                            workflow_type.clone(),
                            child_queue.clone(),
                            args.clone(),
                            Some(parent),
                            None,
                            now,
                        )?;
                        EventKind::ChildWorkflowExecutionStarted {
                            seq: *seq,
                            run_id: child_run,
                        }
                    }
                };
                if !closing {
                    self.append(run_id, kind, now)?;
                    self.mark_dirty(run_id);
                }
            }
            Command::UpdateCompleted { id, outcome } => {
                let run = self.runs.get_mut(run_id).expect("open");
                run.accepted_updates.remove(id);
                run.completed_updates.insert(id.clone(), outcome.clone());
                let answer = Ok(Reply::Update(UpdateStatus::Completed(outcome.clone())));
                self.finish_update_waiters(id, |_| true, answer);
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes an open run: status, cleanup, waiters, parent, children, and
    /// the next run after continue-as-new.
    fn close_run(
        &mut self,
        run_id: &str,
        status: WorkflowStatus,
        outcome: Result<Payload, Failure>,
        continued: Option<(String, Vec<Payload>)>,
        now: u64,
    ) -> StoreResult<()> {
        let next_run_id = continued.as_ref().map(|(id, _)| id.as_str());
        self.store.close_run(run_id, status, now, next_run_id)?;
        let run = self.runs.remove(run_id).expect("open");
        if self.current.get(&run.row.workflow_id).map(String::as_str) == Some(run_id) {
            self.current.remove(&run.row.workflow_id);
        }
        self.timers.retain(|(r, _)| r != run_id);
        self.activities.retain(|(r, _), _| r != run_id);
        let pending: Vec<String> = run
            .accepted_updates
            .iter()
            .cloned()
            .chain(run.pending_updates.iter().map(|u| u.update_id.clone()))
            .collect();
        for update_id in pending {
            let error = closed(&run.row, "updates");
            self.finish_update_waiters(&update_id, |w| w.run_id == run_id, Err(error));
        }
        let waiters = self.result_waiters.remove(run_id).unwrap_or_default();
        if let Some((next_run_id, input)) = continued {
            self.continue_run(&run, next_run_id.clone(), input, now)?;
            self.result_waiters.entry(next_run_id).or_default().extend(waiters);
        } else {
            let answer = outcome.clone().map_err(|failure| ClientError::WorkflowFailed {
                workflow_id: run.row.workflow_id.clone(),
                failure,
            });
            for waiter in waiters {
                self.reply(waiter, answer.clone().map(Reply::Payload));
            }
            if let Some(parent) = run.parent().cloned() {
                self.notify_parent(&run, &parent, outcome, now)?;
            }
        }
        for child in self.store.open_children(run_id)? {
            if self.runs.contains_key(&child) {
                self.terminate(&child, format!("parent workflow `{}` closed", run.row.workflow_id), now)?;
            }
        }
        Ok(())
    }

    fn continue_run(&mut self, run: &OpenRun, next_run_id: String, input: Vec<Payload>, now: u64) -> StoreResult<()> {
        let row = RunRow {
            run_id: next_run_id.clone(),
            workflow_id: run.row.workflow_id.clone(),
            workflow_type: run.row.workflow_type.clone(),
            task_queue: run.row.task_queue.clone(),
            status: WorkflowStatus::Running,
            start_ms: now,
            close_ms: None,
            next_run_id: None,
            parent: run.row.parent.clone(),
        };
        self.store.insert_run(&row)?;
        self.runs.insert(next_run_id.clone(), OpenRun::new(row));
        self.current.insert(run.row.workflow_id.clone(), next_run_id.clone());
        let seed = u64::from_str_radix(&next_run_id[..8], 16).unwrap_or(0) << 32 | now & 0xffff_ffff;
        self.append(
            &next_run_id,
            EventKind::WorkflowExecutionStarted {
                workflow_type: run.row.workflow_type.clone(),
                task_queue: run.row.task_queue.clone(),
                input,
                parent: run.row.parent.clone(),
                continued_from_run_id: Some(run.row.run_id.clone()),
                randomness_seed: seed,
            },
            now,
        )?;
        self.mark_dirty(&next_run_id);
        Ok(())
    }

    fn notify_parent(
        &mut self,
        child: &OpenRun,
        parent: &ParentInfo,
        outcome: Result<Payload, Failure>,
        now: u64,
    ) -> StoreResult<()> {
        if !self.runs.contains_key(&parent.run_id) {
            return Ok(());
        }
        let kind = match outcome {
            Ok(result) => EventKind::ChildWorkflowExecutionCompleted {
                seq: parent.seq,
                result,
            },
            Err(cause) => EventKind::ChildWorkflowExecutionFailed {
                seq: parent.seq,
                failure: Failure::ChildWorkflow {
                    workflow_type: child.row.workflow_type.clone(),
                    workflow_id: child.row.workflow_id.clone(),
                    cause: Box::new(cause),
                },
            },
        };
        self.append(&parent.run_id, kind, now)?;
        self.mark_dirty(&parent.run_id);
        Ok(())
    }

    // ----- queries -----

    fn answer_queries(&mut self, now: u64) -> StoreResult<()> {
        for query in std::mem::take(&mut self.queries) {
            let run_id = match self.resolve(&query.target)? {
                Target::Open(run_id) => run_id,
                Target::Closed(row) => row.run_id,
                Target::Missing => {
                    let answer = Err(not_found(&query.target));
                    self.reply(query.responder, answer);
                    continue;
                }
            };
            let workflow_id = query.target.workflow_id.clone();
            match self.acquire(&run_id)? {
                Ok(instance) => {
                    let answer = instance.query(&query.name, query.args);
                    self.release(&run_id, instance);
                    let workflow_type = self.workflow_type(&run_id)?;
                    let answer = answer.map(Reply::Payload).map_err(|e| match e {
                        QueryError::Unknown { known } => ClientError::UnknownQuery {
                            workflow_type,
                            name: query.name.clone(),
                            known,
                        },
                        QueryError::Failed(failure) => ClientError::QueryFailed {
                            name: query.name.clone(),
                            failure,
                        },
                        QueryError::NotStarted => ClientError::WorkflowTask {
                            workflow_id: workflow_id.clone(),
                            message: "the run has not started yet".to_owned(),
                        },
                    });
                    self.reply(query.responder, answer);
                }
                Err(Unavailable::NoWorker) if now < query.deadline => {
                    self.agenda.at(query.deadline, Wake::WaitExpired);
                    self.queries.push(query);
                }
                Err(Unavailable::NoWorker) => {
                    let task_queue = self.task_queue_of(&run_id)?;
                    let waited = Duration::from_millis(self.worker_wait);
                    self.reply(query.responder, Err(ClientError::NoWorker { task_queue, waited }));
                }
                Err(Unavailable::Failed(message)) => {
                    self.reply(query.responder, Err(ClientError::WorkflowTask { workflow_id, message }));
                }
            }
        }
        Ok(())
    }

    fn workflow_type(&self, run_id: &str) -> StoreResult<String> {
        Ok(match self.runs.get(run_id) {
            Some(run) => run.row.workflow_type.clone(),
            None => self.store.run(run_id)?.map(|r| r.workflow_type).unwrap_or_default(),
        })
    }

    fn task_queue_of(&self, run_id: &str) -> StoreResult<String> {
        Ok(match self.runs.get(run_id) {
            Some(run) => run.row.task_queue.clone(),
            None => self.store.run(run_id)?.map(|r| r.task_queue).unwrap_or_default(),
        })
    }

    // ----- timers, deadlines, activities -----

    fn wake_due(&mut self, now: u64) -> StoreResult<()> {
        while let Some(wake) = self.agenda.pop_due(now) {
            match wake {
                Wake::Timer { run_id, seq } => {
                    if self.timers.remove(&(run_id.clone(), seq)) && self.runs.contains_key(&run_id) {
                        self.store.delete_timer(&run_id, seq)?;
                        self.append(&run_id, EventKind::TimerFired { seq }, now)?;
                        self.mark_dirty(&run_id);
                    }
                }
                Wake::AttemptTimeout { run_id, seq, attempt } => {
                    let key = (run_id, seq);
                    if self.activities.get(&key).is_some_and(|a| a.row.attempt == attempt) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::StartToClose,
                        };
                        self.attempt_failed(key, failure, true, now)?;
                    }
                }
                Wake::ScheduleTimeout { run_id, seq } => {
                    let key = (run_id, seq);
                    if self.activities.contains_key(&key) {
                        let failure = Failure::Timeout {
                            kind: TimeoutKind::ScheduleToClose,
                        };
                        self.resolve_activity(key, Err(failure), now)?;
                    }
                }
                Wake::ActivityRetry { run_id, seq, attempt } => {
                    let key = (run_id, seq);
                    if self.activities.get(&key).is_some_and(|a| a.row.attempt == attempt) {
                        self.dispatch(key, now);
                    }
                }
                Wake::TaskRetry { run_id } => {
                    if let Some(run) = self.runs.get_mut(&run_id) {
                        run.retry_at = None;
                        self.mark_dirty(&run_id);
                    }
                }
                Wake::WaitExpired => self.expire_updates(now),
            }
        }
        Ok(())
    }

    fn expire_updates(&mut self, now: u64) {
        let (expired, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.update_deadlines)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.update_deadlines = keep;
        for (_, run_id, update_id) in expired {
            let Some(run) = self.runs.get_mut(&run_id) else {
                continue;
            };
            let before = run.pending_updates.len();
            run.pending_updates.retain(|u| u.update_id != update_id);
            if run.pending_updates.len() < before {
                let error = ClientError::NoWorker {
                    task_queue: run.row.task_queue.clone(),
                    waited: Duration::from_millis(self.worker_wait),
                };
                self.finish_update_waiters(&update_id, |_| true, Err(error));
            }
        }
    }

    fn arm_schedule_timeout(&mut self, row: &ActivityRow) {
        if let Some(timeout) = row.options.schedule_to_close_timeout {
            let at = row.scheduled_ms.saturating_add(duration_ms(timeout));
            self.agenda.at(
                at,
                Wake::ScheduleTimeout {
                    run_id: row.run_id.clone(),
                    seq: row.seq,
                },
            );
        }
    }

    /// Sends an activity's current attempt to a worker, or parks it until one registers.
    fn dispatch(&mut self, key: (String, u32), now: u64) {
        let Some(flight) = self.activities.get(&key) else {
            return;
        };
        let row = &flight.row;
        if !self.workers.contains_key(&row.task_queue) {
            self.backlog.entry(row.task_queue.clone()).or_default().push_back(key);
            return;
        }
        let attempt = row.attempt;
        if let Some(timeout) = row.options.start_to_close_timeout {
            let wake = Wake::AttemptTimeout {
                run_id: key.0.clone(),
                seq: key.1,
                attempt,
            };
            self.agenda.at(now.saturating_add(duration_ms(timeout)), wake);
        }
        let worker = self.worker_for(&row.task_queue, |w| w.activity(&row.activity_type).is_some());
        let Some(worker) = worker else {
            let message = format!(
                "activity `{}` is not registered on any worker of task queue `{}`",
                row.activity_type, row.task_queue
            );
            let error = workflow_client::ApplicationError::new(message).with_type("NotFoundError");
            let done = ActivityDone {
                run_id: key.0,
                seq: key.1,
                attempt,
                result: Err(error),
            };
            // Reported through the same path as a worker's failure, so the retry policy applies.
            if let Err(e) = self.activity_done(done, now) {
                tracing::error!(error = %e, "cannot record activity failure");
            }
            return;
        };
        let execute = worker.activity(&row.activity_type).expect("picked for this activity");
        let task = ActivityTask {
            run_id: key.0.clone(),
            seq: key.1,
            info: ActivityInfo {
                activity_type: row.activity_type.clone(),
                attempt,
                workflow_id: row.workflow_id.clone(),
                run_id: row.run_id.clone(),
                task_queue: row.task_queue.clone(),
            },
            args: row.input.clone(),
            execute,
        };
        self.dispatches.push((worker, task));
    }

    fn activity_done(&mut self, done: ActivityDone, now: u64) -> StoreResult<()> {
        let key = (done.run_id, done.seq);
        if self.activities.get(&key).is_none_or(|a| a.row.attempt != done.attempt) {
            return Ok(());
        }
        match done.result {
            Ok(payload) => self.resolve_activity(key, Ok(payload), now),
            Err(error) => {
                let policy = &self.activities[&key].row.options.retry_policy;
                let retryable = !error.is_non_retryable()
                    && !error
                        .error_type()
                        .is_some_and(|t| policy.non_retryable_error_types.iter().any(|n| n == t));
                self.attempt_failed(key, Failure::Application(error), retryable, now)
            }
        }
    }

    fn attempt_failed(&mut self, key: (String, u32), failure: Failure, retryable: bool, now: u64) -> StoreResult<()> {
        let row = &self.activities[&key].row;
        let policy = &row.options.retry_policy;
        let delay = duration_ms(policy.delay(row.attempt));
        let attempts_left = policy.maximum_attempts == 0 || row.attempt < policy.maximum_attempts;
        let before_deadline = row
            .options
            .schedule_to_close_timeout
            .is_none_or(|t| now + delay < row.scheduled_ms.saturating_add(duration_ms(t)));
        if !(retryable && attempts_left && before_deadline) {
            return self.resolve_activity(key, Err(failure), now);
        }
        let attempt = row.attempt + 1;
        self.store.set_activity_attempt(&key.0, key.1, attempt)?;
        self.activities.get_mut(&key).expect("in flight").row.attempt = attempt;
        let wake = Wake::ActivityRetry {
            run_id: key.0,
            seq: key.1,
            attempt,
        };
        self.agenda.at(now + delay, wake);
        Ok(())
    }

    fn resolve_activity(&mut self, key: (String, u32), result: Result<Payload, Failure>, now: u64) -> StoreResult<()> {
        let Some(flight) = self.activities.remove(&key) else {
            return Ok(());
        };
        self.store.delete_activity(&key.0, key.1)?;
        if !self.runs.contains_key(&key.0) {
            return Ok(());
        }
        let (seq, attempt) = (key.1, flight.row.attempt);
        let kind = match result {
            Ok(result) => EventKind::ActivityTaskCompleted { seq, result, attempt },
            Err(cause) => EventKind::ActivityTaskFailed {
                seq,
                failure: Failure::Activity {
                    activity_type: flight.row.activity_type,
                    attempts: attempt,
                    cause: Box::new(cause),
                },
                attempt,
            },
        };
        self.append(&key.0, kind, now)?;
        self.mark_dirty(&key.0);
        Ok(())
    }
}

/// The event recording a non-closing command.
fn command_event(command: &Command, task_queue: &str) -> EventKind {
    match command.clone() {
        Command::StartTimer { seq, duration } => EventKind::TimerStarted {
            seq,
            duration_ms: duration_ms(duration),
        },
        Command::CancelTimer { seq } => EventKind::TimerCanceled { seq },
        Command::ScheduleActivity {
            seq,
            activity_type,
            args,
            options,
        } => EventKind::ActivityTaskScheduled {
            seq,
            activity_type,
            task_queue: options.task_queue.clone().unwrap_or_else(|| task_queue.to_owned()),
            input: args,
            options,
        },
        Command::RequestCancelActivity { seq } => EventKind::ActivityTaskCancelRequested { seq },
        Command::SignalExternal {
            seq,
            workflow_id,
            name,
            args,
        } => EventKind::SignalExternalWorkflowExecutionInitiated {
            seq,
            workflow_id,
            signal_name: name,
            input: args,
        },
        Command::CancelExternal { seq, workflow_id } => {
            EventKind::RequestCancelExternalWorkflowExecutionInitiated { seq, workflow_id }
        }
        Command::StartChild {
            seq,
            workflow_type,
            workflow_id,
            task_queue,
            args,
        } => EventKind::StartChildWorkflowExecutionInitiated {
            seq,
            workflow_id,
            workflow_type,
            task_queue,
            input: args,
        },
        Command::UpdateCompleted { id, outcome } => {
            EventKind::WorkflowExecutionUpdateCompleted { update_id: id, outcome }
        }
        Command::Complete(result) => EventKind::WorkflowExecutionCompleted { result },
        Command::Fail(failure) => EventKind::WorkflowExecutionFailed { failure },
        Command::CancelWorkflow => EventKind::WorkflowExecutionCanceled,
        Command::ContinueAsNew(input) => EventKind::WorkflowExecutionContinuedAsNew {
            new_run_id: String::new(),
            input,
        },
        Command::UpdateAccepted { .. } | Command::UpdateRejected { .. } => {
            unreachable!("update responses are not recorded as command events")
        }
    }
}

fn not_found(target: &Execution) -> ClientError {
    ClientError::NotFound {
        workflow_id: target.workflow_id.clone(),
    }
}

fn closed(row: &RunRow, what: &'static str) -> ClientError {
    ClientError::Closed {
        workflow_id: row.workflow_id.clone(),
        status: row.status,
        what,
    }
}

fn unknown_update(workflow_id: &str, update_id: &str) -> ClientError {
    ClientError::WorkflowTask {
        workflow_id: workflow_id.to_owned(),
        message: format!("no update with id `{update_id}` is known"),
    }
}
