//! The engine thread: applies client requests, runs workflow tasks, fires
//! timers and dispatches activities. Each batch of messages is one store
//! transaction, and replies leave only after it commits, so concurrent
//! acknowledgements share one sync (group commit).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use workflow_client::{
    ClientError, Description, EventKind, Execution, History, ParentInfo, Payload, StartRequest, UpdateRequest,
    UpdateStatus, WaitStage,
};

mod due;
mod queries;
mod requests;
mod tasks;

pub(crate) use requests::{described, outcome};

use super::agenda::{Agenda, Wake};
use super::inbox::{self, Inbox};
use super::memo::{Answered, QueryMemo};
use super::runs::{OpenRun, RunCache};
use super::spin;
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
    Unregister {
        task_queue: String,
        worker_id: u64,
    },
    ActivityDone(ActivityDone),
    /// Moves a time-skipping engine's clock forward, firing what falls due
    /// on the way; answers with the new time (ms since the epoch).
    Advance(Duration, oneshot::Sender<u64>),
    Close,
}

#[derive(serde::Serialize, serde::Deserialize)]
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

#[derive(serde::Serialize, serde::Deserialize)]
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

/// What `create_run` records.
struct NewRun {
    /// A preset run id (continue-as-new announces it first), or a fresh one.
    run_id: Option<String>,
    workflow_id: String,
    workflow_type: String,
    task_queue: String,
    input: Vec<Payload>,
    parent: Option<ParentInfo>,
    continued_from_run_id: Option<String>,
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

/// How long the engine thread keeps polling for the next message before it
/// sleeps: a client that just got its reply usually sends the next call
/// within this, and waking a sleeping thread costs more than the wait.
const SPIN: Duration = Duration::from_micros(50);

/// The next message if one arrives within [`SPIN`].
fn spin_recv(inbox: &Receiver<Msg>) -> Option<Msg> {
    spin(SPIN, || match inbox.try_recv() {
        Ok(msg) => ControlFlow::Break(Some(msg)),
        Err(TryRecvError::Empty) => ControlFlow::Continue(()),
        Err(TryRecvError::Disconnected) => ControlFlow::Break(None),
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The engine's time: the system clock, plus what a time-skipping engine
/// has skipped.
pub(crate) struct Clock {
    skipping: bool,
    skipped_ms: u64,
    /// An `Advance` being carried out: its target time and who waits for it.
    advance: Option<(u64, oneshot::Sender<u64>)>,
}

impl Clock {
    pub(crate) fn new(skipping: bool) -> Self {
        Clock {
            skipping,
            skipped_ms: 0,
            advance: None,
        }
    }

    fn now(&self) -> u64 {
        now_ms() + self.skipped_ms
    }

    /// Skips ahead to `at`, if it is later.
    fn jump_to(&mut self, at: u64) {
        self.skipped_ms += at.saturating_sub(self.now());
    }
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
    activities: HashMap<(String, u32), InFlight>,
    backlog: HashMap<String, VecDeque<(String, u32)>>,
    result_waiters: HashMap<String, Vec<Responder>>,
    update_waiters: HashMap<String, Vec<UpdateWaiter>>,
    update_deadlines: Vec<(u64, String, String)>,
    queries: Vec<PendingQuery>,
    replies: Vec<(Responder, Answer)>,
    dispatches: Vec<(Arc<Registration>, ActivityTask)>,
    memo: Arc<QueryMemo>,
    /// Query answers of this batch, remembered once it commits.
    answered: Vec<Answered>,
    /// Requests from other processes, on a file.
    inbox: Option<Inbox>,
    clock: Clock,
    /// Activity attempts handed to a worker and not yet over.
    running: HashSet<(String, u32)>,
}

impl EngineCore {
    pub(crate) fn load(
        store: Store,
        limits: Limits,
        cache_capacity: usize,
        worker_wait: Duration,
        memo: Arc<QueryMemo>,
        clock: Clock,
    ) -> StoreResult<Self> {
        let inbox = store.is_durable().then(Inbox::new);
        let mut core = EngineCore {
            inbox,
            clock,
            running: HashSet::new(),
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
            activities: HashMap::new(),
            backlog: HashMap::new(),
            result_waiters: HashMap::new(),
            update_waiters: HashMap::new(),
            update_deadlines: Vec::new(),
            queries: Vec::new(),
            replies: Vec::new(),
            dispatches: Vec::new(),
            memo,
            answered: Vec::new(),
        };
        core.reload()?;
        Ok(core)
    }

    /// Rebuilds all in-memory state from the store.
    fn reload(&mut self) -> StoreResult<()> {
        self.memo.clear();
        self.runs.clear();
        self.current.clear();
        self.cache.clear();
        self.dirty.clear();
        self.dirty_set.clear();
        self.agenda.clear();
        self.activities.clear();
        self.running.clear();
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
            let Some(run) = self.runs.get_mut(&run_id) else {
                continue;
            };
            run.timers.insert(seq);
            self.agenda.at(fire_at, Wake::Timer { run_id, seq });
        }
        let now = self.clock.now();
        for row in self.store.activities()? {
            let key = (row.run_id.clone(), row.seq);
            self.arm_schedule_timeout(&row);
            if let Some(run) = self.runs.get_mut(&row.run_id) {
                run.activities.insert(row.seq);
            }
            self.activities.insert(key.clone(), InFlight { row });
            self.dispatch(key, now);
        }
        Ok(())
    }

    /// The engine thread's loop.
    pub(crate) fn run(mut self, inbox: Receiver<Msg>) {
        let mut linger = false;
        loop {
            let first = match spin_recv(&inbox) {
                Some(msg) => Ok(msg),
                None => match (self.skip_to(), self.idle_wait()) {
                    (Some(at), _) => {
                        self.clock.jump_to(at);
                        Err(RecvTimeoutError::Timeout)
                    }
                    (None, Some(wait)) => inbox.recv_timeout(wait),
                    (None, None) => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
                },
            };
            let mut batch = Vec::new();
            match first {
                Ok(msg) => batch.push(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            // Under concurrent load (the last batch had company) on a file,
            // linger for more messages so they share this batch's sync.
            while batch.len() < MAX_BATCH {
                let next = if linger {
                    spin_recv(&inbox)
                } else {
                    inbox.try_recv().ok()
                };
                match next {
                    Some(msg) => batch.push(msg),
                    None => break,
                }
            }
            linger = self.store.is_durable() && batch.len() > 1;
            let closing = batch.iter().any(|m| matches!(m, Msg::Close));
            let news = self.inbox_news();
            let due = self.agenda.next().is_some_and(|at| at <= self.clock.now());
            if !batch.is_empty() || news || due {
                self.step(batch, news);
            }
            self.finish_advance();
            if closing {
                return;
            }
        }
    }

    /// Where a time-skipping engine's clock may jump: to the next agenda
    /// entry, while a client awaits a result or an update and the engine has
    /// [`settled`](Self::settled). Like Temporal's time-skipping test server,
    /// time does not skip while the test is between calls, so a signal it
    /// sends next is never late.
    fn skip_to(&self) -> Option<u64> {
        if !self.clock.skipping {
            return None;
        }
        let awaited =
            self.result_waiters.values().any(|w| !w.is_empty()) || self.update_waiters.values().any(|w| !w.is_empty());
        let next = self.agenda.next()?;
        (awaited && self.settled() && next > self.clock.now()).then_some(next)
    }

    /// Whether nothing but time can make progress: no workflow task,
    /// activity attempt or query is under way.
    fn settled(&self) -> bool {
        self.dirty.is_empty() && self.running.is_empty() && self.queries.is_empty()
    }

    /// Carries out an `Advance` once the work under way has settled at the
    /// current time: fires what falls due up to its target, in time order,
    /// each at its own time, letting what each firing starts settle too.
    fn finish_advance(&mut self) {
        while let Some(target) = self.clock.advance.as_ref().map(|(target, _)| *target) {
            if !self.settled() {
                // The message that settles it (an activity's result) wakes the loop.
                return;
            }
            match self.agenda.next().filter(|at| *at <= target) {
                Some(at) => {
                    self.clock.jump_to(at);
                    self.step(Vec::new(), false);
                }
                None => {
                    self.clock.jump_to(target);
                    if let Some((_, done)) = self.clock.advance.take() {
                        let _ = done.send(self.clock.now());
                    }
                }
            }
        }
    }

    /// How long the loop may sleep for want of messages: until the next
    /// agenda entry, and no longer than the inbox's poll on a file.
    fn idle_wait(&self) -> Option<Duration> {
        let agenda = self
            .agenda
            .next()
            .map(|at| Duration::from_millis(at.saturating_sub(self.clock.now())));
        match (agenda, &self.inbox) {
            (Some(wait), Some(_)) => Some(wait.min(inbox::POLL)),
            (None, Some(_)) => Some(inbox::POLL),
            (wait, None) => wait,
        }
    }

    /// Whether another process left requests in the file's inbox.
    fn inbox_news(&mut self) -> bool {
        let Some(inbox) = self.inbox.as_mut() else {
            return false;
        };
        inbox.has_news(&self.store).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the request inbox");
            false
        })
    }

    fn step(&mut self, batch: Vec<Msg>, news: bool) {
        let mut taken = 0;
        let outcome = self.store.begin().and_then(|()| {
            let now = self.clock.now();
            if news {
                if let Some(inbox) = self.inbox.as_mut() {
                    let requests = inbox.take(&self.store, now)?;
                    taken = requests.len();
                    for (request, responder) in requests {
                        self.call(request, responder, now)?;
                    }
                }
            }
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
                for answered in self.answered.drain(..) {
                    self.memo.put(answered);
                }
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
                if let Some(inbox) = self.inbox.as_mut() {
                    inbox.forget_uncommitted(taken);
                }
                self.dispatches.clear();
                self.answered.clear();
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
        if let Some(inbox) = self.inbox.as_mut() {
            if let Err(e) = inbox.write_replies(&self.store, now_ms()) {
                self.store.rollback();
                tracing::error!(error = %e, "cannot write replies to the request inbox");
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
            Msg::Advance(by, done) => {
                let target = now.saturating_add(by.as_millis() as u64);
                match self.clock.skipping {
                    true => self.clock.advance = Some((target, done)),
                    // Only a test environment's clock moves on request.
                    false => drop(done),
                }
            }
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
