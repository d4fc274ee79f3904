//! The engine thread: applies client requests, runs workflow tasks, fires
//! timers and dispatches activities. Each batch of messages is one store
//! transaction, and replies leave only after it commits, so concurrent
//! acknowledgements share one sync (group commit).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{oneshot, watch};
use workflow_client::{
    ClientError, EventKind, Execution, Headers, Message, ParentInfo, Payload, WaitStage, WorkflowStatus,
};

mod due;
mod queries;
mod requests;
mod retention;
mod run_timeouts;
mod schedules;
mod tasks;

pub(crate) use requests::{described, outcome, pending_activity};
pub(crate) use retention::PRUNE_BATCH;

use super::agenda::{Agenda, Wake};
use super::config::Config;
use super::inbox::{self, Inbox};
use super::memo::{Answered, QueryMemo};
use super::registration::{ActivityDone, ActivityTask, HeartbeatSlot, Registration};
use super::request::{Answer, Reply, Request, Responder};
use super::run_settings::RunSettings;
use super::runs::{OpenRun, RunCache};
use super::schedules::Schedules;
use super::spin::spin;
use super::store::{ActivityKey, ActivityRow, RunKey, RunRow, Store, StoreError, StoreResult, WorkflowId};
use crate::activity_context::ActivityInfo;
use crate::executor::{QueryError, RunInstance};
use crate::limits::Limits;
use crate::metrics::StoreMetrics;
use crate::protocol::{Activation, Command, Job, Rejection};
use crate::registry::Factory;
use crate::replay::{duration_ms, is_recorded, job_for, replay, Suggest};

/// Messages handled in one batch at most; bounds the latency of the batch.
const MAX_BATCH: usize = 4_096;
/// Delay before a failed workflow task is tried again.
const TASK_RETRY_MS: u64 = 1_000;

/// What the engine thread receives.
pub(crate) enum Msg {
    Call(Request, Responder),
    Register(Arc<Registration>),
    Unregister {
        task_queue: String,
        worker_id: u64,
    },
    ActivityDone(ActivityDone),
    /// An activity attempt heartbeated; its details wait in its slot.
    Heartbeat {
        activity: ActivityKey,
        attempt: u32,
    },
    /// Moves a time-skipping engine's clock forward, firing what falls due
    /// on the way; answers with the new time (ms since the epoch).
    Advance(Duration, oneshot::Sender<u64>),
    Close,
}

/// A caller waiting for an update to reach a stage.
struct UpdateWaiter {
    /// The run the update was sent to.
    run: RunKey,
    /// The stage it waits for.
    stage: WaitStage,
    responder: Responder,
}

/// A query waiting for its run's worker.
struct PendingQuery {
    target: Execution,
    query: Message,
    responder: Responder,
    /// When it gives up waiting for a worker.
    deadline: u64,
}

/// What a request comes to: an answer now, or a wait its caller joins.
pub(super) enum Handled {
    Answer(Answer),
    /// The run's result.
    Result(RunKey),
    /// An update reaching a stage.
    Update {
        update_id: String,
        run: RunKey,
        stage: WaitStage,
    },
    /// An answer computed after the batch's workflow tasks.
    Query {
        target: Execution,
        query: Message,
        deadline: u64,
    },
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
    /// Headers its start carried.
    header: Headers,
    /// Its timeouts, retries and first-task time.
    settings: RunSettings,
}

/// The run that follows a closing one in its chain: after continue-as-new,
/// or a retry by the workflow's retry policy.
pub(super) struct Successor {
    /// Its run id, announced in the closing run's last event.
    run_id: String,
    /// Its arguments.
    input: Vec<Payload>,
    /// Its start's headers: a retry's are the first run's.
    header: Headers,
    /// Its settings: the attempt and any backoff of a retry.
    settings: RunSettings,
}

/// Whom a target execution resolves to.
enum Target {
    /// An open run, now loaded.
    Open(RunKey),
    Closed(Box<RunRow>),
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
    /// An `Advance` being carried out.
    advance: Option<Advance>,
}

/// A time-skipping engine's clock moved by hand.
struct Advance {
    /// How far, counted from when the work under way has settled: an
    /// activity running now finishes at the current time.
    by: Duration,
    /// The time to reach, fixed once that work has settled.
    target: Option<u64>,
    /// Who waits for it, told the time reached.
    done: oneshot::Sender<u64>,
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

/// The open runs the engine has loaded: those with work at open, and those
/// touched since. An idle run stays on disk until a request, timer or
/// activity needs it.
#[derive(Default)]
struct Runs {
    /// Loaded open runs by key.
    open: HashMap<RunKey, OpenRun>,
    /// The loaded open run of each workflow id.
    current: HashMap<WorkflowId, RunKey>,
    /// Runs whose counters changed in this batch, to write before it commits.
    changed: Vec<RunKey>,
    /// Runs whose instance left the cache in this batch: unloaded at its
    /// end when idle, so memory holds the cache's runs and those with work.
    evicted: Vec<RunKey>,
}

/// Runs with a workflow task to run, each once, in the order they got work.
#[derive(Default)]
struct Dirty {
    order: VecDeque<RunKey>,
    set: HashSet<RunKey>,
}

/// Activities scheduled and not yet resolved.
#[derive(Default)]
struct Activities {
    /// Every scheduled activity of an open run, with its current attempt.
    scheduled: HashMap<ActivityKey, ActivityRow>,
    /// Activities waiting for a worker of their task queue, by queue.
    backlog: HashMap<String, VecDeque<ActivityKey>>,
    /// Attempts handed to a worker and not yet over.
    running: HashMap<ActivityKey, RunningAttempt>,
}

/// An activity attempt a worker is running.
struct RunningAttempt {
    /// Tells the attempt to stop: the workflow canceled it, it timed out, or
    /// its run closed.
    cancel: watch::Sender<bool>,
    /// Its latest heartbeat, not yet taken by the engine thread.
    heartbeat: HeartbeatSlot,
    /// When it started or last heartbeated (ms since the epoch), for its
    /// heartbeat timeout.
    last_beat_ms: u64,
}

/// Callers waiting for something other than their batch's commit.
#[derive(Default)]
struct Waiters {
    /// Callers of `result`, by the run they wait on.
    results: HashMap<RunKey, Vec<Responder>>,
    /// Callers of `update` and `update_result`, by update id.
    updates: HashMap<String, Vec<UpdateWaiter>>,
    /// When each update not yet taken by a worker stops waiting for one.
    update_deadlines: Vec<(u64, RunKey, String)>,
    /// Queries to answer after this batch's workflow tasks.
    queries: Vec<PendingQuery>,
}

/// What leaves the engine thread once the batch commits.
#[derive(Default)]
struct Outbox {
    /// Answers to callers.
    replies: Vec<(Responder, Answer)>,
    /// Activity attempts for workers.
    dispatches: Vec<(Arc<Registration>, ActivityTask)>,
    /// Query answers to remember.
    answered: Vec<Answered>,
    /// Whether the batch must be on disk before anything leaves. Only a
    /// batch that answers no one and records nothing but local activities'
    /// outcomes and the tasks they drive (whose loss repeats them) is held
    /// open for the next batches, as Core holds them in a workflow task.
    durable: bool,
}

/// The engine thread's state.
pub(crate) struct EngineThread {
    /// The file (or memory) everything durable lives in.
    store: Store,
    /// Per-execution limits.
    limits: Limits,
    /// How long queries and updates wait for a worker, in ms.
    worker_wait: u64,
    /// How long closed runs are kept, in ms; `None` keeps them.
    retention: Option<u64>,
    runs: Runs,
    /// Live run instances, so a workflow task need not replay.
    cache: RunCache,
    dirty: Dirty,
    /// Registered workers by task queue.
    workers: HashMap<String, Vec<Arc<Registration>>>,
    /// What is due when.
    agenda: Agenda,
    activities: Activities,
    waiters: Waiters,
    outbox: Outbox,
    /// Messages a failed batch left unhandled, for the next batch.
    deferred: Vec<Msg>,
    /// Query answers clients reuse without asking the engine thread.
    memo: Arc<QueryMemo>,
    /// Requests from other processes, on a file.
    inbox: Option<Inbox>,
    clock: Clock,
    schedules: Schedules,
    /// Commit and cache instruments.
    metrics: StoreMetrics,
}

impl EngineThread {
    /// The engine thread's state for `store`, loaded.
    pub(crate) fn load(store: Store, config: &Config, memo: Arc<QueryMemo>, clock: Clock) -> StoreResult<Self> {
        let inbox = store.is_durable().then(Inbox::new);
        // A skipping clock would race through retention sweeps.
        let retention = config.retention.filter(|_| !config.time_skipping);
        let mut core = EngineThread {
            store,
            limits: config.limits.clone(),
            worker_wait: config.worker_wait.as_millis() as u64,
            retention: retention.map(|r| r.as_millis() as u64),
            runs: Runs::default(),
            cache: RunCache::new(config.cache_capacity),
            dirty: Dirty::default(),
            workers: HashMap::new(),
            agenda: Agenda::default(),
            activities: Activities::default(),
            waiters: Waiters::default(),
            outbox: Outbox::default(),
            deferred: Vec::new(),
            memo,
            inbox,
            schedules: Schedules::default(),
            clock,
            metrics: StoreMetrics::new(),
        };
        core.reload()?;
        Ok(core)
    }

    /// Rebuilds the in-memory state from the store: loads the runs with
    /// work, and puts timers and activities on the agenda. Idle runs stay
    /// on disk.
    fn reload(&mut self) -> StoreResult<()> {
        self.memo.clear();
        self.runs = Runs::default();
        self.cache.clear();
        self.dirty = Dirty::default();
        self.agenda.clear();
        self.activities = Activities::default();
        for row in self.store.runs_with_inputs()? {
            let run = row.key;
            self.load_row(row)?;
            self.mark_dirty(run);
        }
        for (run, seq, fire_at) in self.store.timers()? {
            self.agenda.at(fire_at, Wake::Timer { run, seq });
        }
        for (run, at) in self.store.due_runs()? {
            self.agenda.at(at, Wake::RunDue { run });
        }
        self.load_schedules()?;
        let now = self.clock.now();
        for row in self.store.activities()? {
            let (key, attempt) = (row.key, row.attempt);
            self.arm_schedule_timeout(&row);
            // An attempt told to stop, or one waiting out its backoff, ends
            // or starts when due; the attempts that were running start again.
            let due = match (row.cancel_requested, row.next_attempt_ms) {
                (true, _) => Some((now, Wake::AttemptTimeout { activity: key, attempt })),
                (false, Some(at)) if at > now => Some((at, Wake::ActivityRetry { activity: key, attempt })),
                _ => None,
            };
            self.activities.scheduled.insert(key, row);
            match due {
                Some((at, wake)) => self.agenda.at(at, wake),
                None => self.dispatch(key, now),
            }
        }
        if self.retention.is_some() {
            self.agenda.at(now, Wake::Retention);
        }
        Ok(())
    }

    /// What opening loaded: open runs (those with work), timers and
    /// activities on the agenda.
    pub(crate) fn loaded(&self) -> (usize, usize, usize) {
        let timers = self.agenda.timers();
        (self.runs.open.len(), timers, self.activities.scheduled.len())
    }

    /// Loads an open run from its row and history. A history that does not
    /// decode marks the run (its task failure says which event) and leaves
    /// it loaded with no inputs, so the rest of the file works on.
    fn load_row(&mut self, row: RunRow) -> StoreResult<RunKey> {
        let key = row.key;
        let mut run = match self.store.events(key, 1) {
            Ok(events) => {
                let mut run = OpenRun::from_history(row, &events);
                run.timers = self.store.timers_of(key)?.into_iter().collect();
                run
            }
            Err(StoreError::Undecodable { event, message }) => {
                let failure = format!("history event {event} cannot be decoded: {message}");
                tracing::error!(workflow_id = %row.workflow_id, run_id = %row.run_id, error = %failure, "run cannot be loaded");
                let mut run = OpenRun::new(row);
                run.set_task_failure(Some(failure));
                run.row.progress.inputs_from = run.next_event_id();
                run
            }
            Err(e) => return Err(e),
        };
        run.activities = self
            .activities
            .scheduled
            .keys()
            .filter(|a| a.run == key)
            .map(|a| a.seq)
            .collect();
        if run.changed {
            self.runs.changed.push(key);
        }
        self.runs.current.insert(WorkflowId(run.row.workflow_id.clone()), key);
        self.runs.open.insert(key, run);
        Ok(key)
    }

    /// The loaded open run `key`, loading it on first touch; `None` once it
    /// is closed.
    fn touch(&mut self, key: RunKey) -> StoreResult<Option<&mut OpenRun>> {
        if !self.runs.open.contains_key(&key) {
            match self.store.run_by_key(key)? {
                Some(row) if row.status == WorkflowStatus::Running => {
                    self.load_row(row)?;
                }
                _ => return Ok(None),
            }
        }
        Ok(self.runs.open.get_mut(&key))
    }

    /// A loaded open run, which the engine's state says must be there.
    fn run_mut(&mut self, key: RunKey) -> StoreResult<&mut OpenRun> {
        self.runs.open.get_mut(&key).ok_or(StoreError::NotOpen(key))
    }

    /// A loaded open run, which the engine's state says must be there.
    fn open_run(&self, key: RunKey) -> StoreResult<&OpenRun> {
        self.runs.open.get(&key).ok_or(StoreError::NotOpen(key))
    }

    /// The open run of a workflow id, loading it on first touch.
    fn current_open(&mut self, workflow_id: &str) -> StoreResult<Option<RunKey>> {
        if let Some(key) = self.runs.current.get(workflow_id) {
            return Ok(Some(*key));
        }
        match self.store.current_run(workflow_id)? {
            Some(row) if row.status == WorkflowStatus::Running => Ok(Some(self.load_row(row)?)),
            _ => Ok(None),
        }
    }

    /// Unloads the runs this batch evicted from the cache that are idle.
    fn unload_idle(&mut self) {
        for key in std::mem::take(&mut self.runs.evicted) {
            let idle = !self.cache.contains(key)
                && !self.dirty.set.contains(&key)
                && self.runs.open.get(&key).is_some_and(OpenRun::is_idle);
            if !idle {
                continue;
            }
            if let Some(run) = self.runs.open.remove(&key) {
                if self.runs.current.get(run.row.workflow_id.as_str()) == Some(&key) {
                    self.runs.current.remove(run.row.workflow_id.as_str());
                }
            }
        }
    }

    /// Writes the counters of the runs this batch changed.
    fn save_progress(&mut self) -> StoreResult<()> {
        for key in std::mem::take(&mut self.runs.changed) {
            if let Some(run) = self.runs.open.get_mut(&key) {
                if std::mem::take(&mut run.changed) {
                    self.store.save_progress(key, &run.row.progress)?;
                }
            }
        }
        Ok(())
    }

    /// The engine thread's loop.
    pub(crate) fn run(mut self, inbox: Receiver<Msg>) {
        let mut linger = false;
        loop {
            let first = match spin_recv(&inbox) {
                Some(msg) => Ok(msg),
                // Nothing more to join a held transaction before a sleep.
                None if self.release_held() => continue,
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
                Err(RecvTimeoutError::Disconnected) => {
                    self.release_held();
                    return;
                }
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
                self.release_held();
                return;
            }
        }
    }

    /// Commits the held transaction, if any; true when that failed and the
    /// engine's state was reloaded from the store.
    fn release_held(&mut self) -> bool {
        let Err(e) = self.store.release() else {
            return false;
        };
        tracing::error!(error = %e, "store transaction failed; reloading engine state");
        self.store.rollback();
        self.fail_all_waiters(&ClientError::from(e));
        if let Err(e) = self.reload() {
            tracing::error!(error = %e, "cannot reload engine state from the store");
        }
        true
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
        let awaited = self.waiters.results.values().any(|w| !w.is_empty())
            || self.waiters.updates.values().any(|w| !w.is_empty());
        let next = self.agenda.next()?;
        (awaited && self.settled() && next > self.clock.now()).then_some(next)
    }

    /// Whether nothing but time can make progress: no workflow task,
    /// activity attempt or query is under way.
    fn settled(&self) -> bool {
        self.dirty.order.is_empty() && self.activities.running.is_empty() && self.waiters.queries.is_empty()
    }

    /// Carries out an `Advance` once the work under way has settled at the
    /// current time: fires what falls due up to its target, in time order,
    /// each at its own time, letting what each firing starts settle too.
    fn finish_advance(&mut self) {
        while self.clock.advance.is_some() {
            if !self.settled() {
                // The message that settles it (an activity's result) wakes the loop.
                return;
            }
            let now = self.clock.now();
            let Some(advance) = self.clock.advance.as_mut() else {
                return;
            };
            let target = *advance
                .target
                .get_or_insert_with(|| now.saturating_add(duration_ms(advance.by)));
            match self.agenda.next().filter(|at| *at <= target) {
                Some(at) => {
                    self.clock.jump_to(at);
                    self.step(Vec::new(), false);
                }
                None => {
                    self.clock.jump_to(target);
                    if let Some(advance) = self.clock.advance.take() {
                        let _ = advance.done.send(self.clock.now());
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
            (Some(wait), Some(_)) => Some(wait.min(inbox::OWNER_POLL)),
            (None, Some(_)) => Some(inbox::OWNER_POLL),
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
        let mut batch = std::mem::take(&mut self.deferred)
            .into_iter()
            .chain(batch)
            .collect::<Vec<_>>()
            .into_iter();
        let messages = batch.len();
        let outcome = self.store.begin().and_then(|()| {
            let now = self.clock.now();
            if news {
                if let Some(inbox) = self.inbox.as_mut() {
                    let requests = inbox.take(&self.store, now)?;
                    taken = requests.len();
                    for (request, responder) in requests {
                        self.call_for(request, responder, now)?;
                    }
                }
            }
            for msg in batch.by_ref() {
                self.handle(msg, now)?;
            }
            self.wake_due(now)?;
            self.process_dirty(now)?;
            self.answer_queries(now)?;
            self.save_progress()?;
            self.unload_idle();
            match std::mem::take(&mut self.outbox.durable) {
                true => {
                    let started = Instant::now();
                    let committed = self.store.commit();
                    self.metrics.committed(taken + messages, started);
                    committed
                }
                false => self.store.hold(),
            }
        });
        self.metrics.cached(self.cache.len());
        match outcome {
            Ok(()) => {
                for answered in self.outbox.answered.drain(..) {
                    self.memo.put(answered);
                }
                for (responder, answer) in self.outbox.replies.drain(..) {
                    let _ = responder.send(answer);
                }
                for (worker, task) in self.outbox.dispatches.drain(..) {
                    if !worker.dispatch(task) {
                        tracing::warn!(task_queue = %worker.task_queue, "worker stopped before taking an activity");
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store transaction failed; reloading engine state");
                self.store.rollback();
                if e.is_full() {
                    self.store.release_wal();
                }
                if let Some(inbox) = self.inbox.as_mut() {
                    inbox.forget_uncommitted(taken);
                }
                self.outbox.dispatches.clear();
                self.outbox.answered.clear();
                let error = ClientError::from(e);
                for (responder, _) in self.outbox.replies.drain(..) {
                    let _ = responder.send(Err(error.clone()));
                }
                // What the failure kept from being handled: calls get its
                // error; the rest (workers, activity results) comes next batch.
                for msg in batch {
                    match msg {
                        Msg::Call(_, responder) => {
                            let _ = responder.send(Err(error.clone()));
                        }
                        other => self.deferred.push(other),
                    }
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
        let waiters = std::mem::take(&mut self.waiters);
        let results = waiters.results.into_values().flatten();
        let updates = waiters.updates.into_values().flatten().map(|w| w.responder);
        let queries = waiters.queries.into_iter().map(|q| q.responder);
        for responder in results.chain(updates).chain(queries) {
            let _ = responder.send(Err(error.clone()));
        }
    }

    fn reply(&mut self, responder: Responder, answer: Answer) {
        self.outbox.durable = true;
        self.outbox.replies.push((responder, answer));
    }

    fn mark_dirty(&mut self, run: RunKey) {
        if self.dirty.set.insert(run) {
            self.dirty.order.push_back(run);
        }
    }

    fn handle(&mut self, msg: Msg, now: u64) -> StoreResult<()> {
        match msg {
            Msg::Call(request, responder) => self.call_for(request, responder, now)?,
            Msg::Register(worker) => {
                let queue = worker.task_queue.clone();
                self.workers.entry(queue.clone()).or_default().push(worker);
                let runs: Vec<RunKey> = self
                    .runs
                    .open
                    .values()
                    .filter(|r| r.row.task_queue == queue && r.has_work())
                    .map(|r| r.row.key)
                    .collect();
                for run in runs {
                    self.mark_dirty(run);
                }
                for key in self.activities.backlog.remove(&queue).unwrap_or_default() {
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
                // The stopped worker's code goes with it, as a process's
                // cache does: the queue's next worker rebuilds its runs
                // from history with its own code.
                let open = &self.runs.open;
                let of_queue = |key| open.get(&key).is_none_or(|r| r.row.task_queue == task_queue);
                self.cache.evict(of_queue, &mut self.runs.evicted);
            }
            Msg::ActivityDone(done) => self.activity_done(done, now)?,
            Msg::Heartbeat { activity, attempt } => self.heartbeat(activity, attempt, now)?,
            Msg::Advance(by, done) => match self.clock.skipping {
                true => self.clock.advance = Some(Advance { by, target: None, done }),
                // Only a test environment's clock moves on request.
                false => drop(done),
            },
            Msg::Close => {}
        }
        Ok(())
    }

    /// Applies a request: its answer, or the wait its caller joins.
    fn call(&mut self, request: Request, now: u64) -> StoreResult<Handled> {
        let answer = match request {
            Request::Start(start) => self.start(*start, now)?.map(Reply::RunId),
            Request::Signal(target, signal) => {
                let answer =
                    match self.check_payloads(&target.workflow_id, signal.args.iter().chain(signal.header.values())) {
                        Err(e) => Err(e),
                        Ok(()) => match self.resolve(&target)? {
                            Target::Open(run) => self.signal_open(run, signal, now)?,
                            Target::Closed(row) => Err(closed(&row, "signals")),
                            Target::Missing => Err(not_found(&target)),
                        },
                    };
                answer.map(|()| Reply::Unit)
            }
            Request::Query(target, query) => {
                let deadline = now + self.worker_wait;
                return Ok(Handled::Query {
                    target,
                    query,
                    deadline,
                });
            }
            Request::Update(target, update) => return self.update(target, update, now),
            Request::UpdateWithStart(start, update) => return self.update_with_start(*start, update, now),
            Request::UpdateResult(target, update_id) => return self.update_result(target, update_id),
            Request::Result(target) => return self.result(target),
            Request::Cancel(target, reason) => match self.resolve(&target)? {
                Target::Open(run) => {
                    self.append(run, EventKind::WorkflowExecutionCancelRequested { reason }, now)?;
                    self.mark_dirty(run);
                    Ok(Reply::Unit)
                }
                Target::Closed(row) => Err(closed(&row, "cancellation")),
                Target::Missing => Err(not_found(&target)),
            },
            Request::Terminate(target, reason) => match self.resolve(&target)? {
                Target::Open(run) => {
                    self.terminate(run, reason, now)?;
                    Ok(Reply::Unit)
                }
                Target::Closed(row) => Err(closed(&row, "termination")),
                Target::Missing => Err(not_found(&target)),
            },
            Request::CompleteActivity(token, result) => self.complete_async(&token, result, now)?.map(|()| Reply::Unit),
            Request::HeartbeatActivity(token, details) => {
                self.heartbeat_async(&token, details, now)?.map(|()| Reply::Unit)
            }
            Request::Describe(target) => self.describe(&target)?.map(|d| Reply::Description(Box::new(d))),
            Request::ListWorkflows {
                query,
                page_size,
                page_token,
            } => self
                .store
                .list_workflows(&query, page_size, page_token.as_deref())?
                .map(Reply::Page),
            Request::CountWorkflows(query) => self.store.count_workflows(&query)?.map(Reply::Count),
            Request::Schedule(schedule_id, op) => self.schedule_call(schedule_id, op, now)?.map(Reply::Schedule),
            Request::ListSchedules => Ok(Reply::Schedules(self.schedule_summaries())),
            Request::History(target) => {
                let history = match self.resolve(&target)? {
                    Target::Open(run) => {
                        let row = self.open_run(run)?.row.clone();
                        contained(self.history_of(&row))?
                    }
                    Target::Closed(row) => contained(self.history_of(&row))?,
                    Target::Missing => Err(not_found(&target)),
                };
                history.map(Reply::History)
            }
        };
        Ok(Handled::Answer(answer))
    }

    /// Applies a request and sees its caller answered or waiting. When the
    /// request fails the batch, its caller gets the batch's error.
    fn call_for(&mut self, request: Request, responder: Responder, now: u64) -> StoreResult<()> {
        match self.call(request, now) {
            Ok(handled) => {
                self.park(handled, responder);
                Ok(())
            }
            Err(e) => {
                self.reply(responder, Err(ClientError::Storage(e.to_string())));
                Err(e)
            }
        }
    }

    /// Answers a caller, or adds it to what it waits for.
    fn park(&mut self, handled: Handled, responder: Responder) {
        match handled {
            Handled::Answer(answer) => self.reply(responder, answer),
            Handled::Result(run) => self.waiters.results.entry(run).or_default().push(responder),
            Handled::Update { update_id, run, stage } => {
                let waiter = UpdateWaiter { run, stage, responder };
                self.waiters.updates.entry(update_id).or_default().push(waiter);
            }
            Handled::Query {
                target,
                query,
                deadline,
            } => self.waiters.queries.push(PendingQuery {
                target,
                query,
                responder,
                deadline,
            }),
        }
    }
}

/// A read whose data may not decode: an undecodable run is that request's
/// error, not the batch's.
fn contained<T>(read: StoreResult<T>) -> StoreResult<Result<T, ClientError>> {
    match read {
        Ok(value) => Ok(Ok(value)),
        Err(e @ StoreError::Undecodable { .. }) => Ok(Err(e.into())),
        Err(e) => Err(e),
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
    ClientError::UpdateNotFound {
        workflow_id: workflow_id.to_owned(),
        update_id: update_id.to_owned(),
    }
}
