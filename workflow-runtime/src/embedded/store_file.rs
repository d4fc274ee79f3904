//! A workflow file seen from a process that does not own it: reads go
//! straight to SQLite, and everything else is a request left in the file's
//! inbox for the owner (the process that runs its workers).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use workflow_client::codec::PayloadCodec;
use workflow_client::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use workflow_client::visibility::WorkflowPage;
use workflow_client::{
    ApplicationError, Backend, BoxFuture, Client, ClientError, Description, Execution, Failure, History, Message,
    Payload, StartRequest, TaskToken, UpdateRequest, UpdateStatus, WorkflowStatus,
};

use super::request::{Reply, Request};
use super::schedules::{self, summary};
use super::store::{Owner, RunRow, Store, StoreResult};
use super::task_token::AttemptRef;
use super::thread::{described, outcome, pending_activity, PRUNE_BATCH};
use crate::codec::client_behind;
use crate::setup_error::EngineError;

/// How often a waiting call looks for its reply or for a run to close.
const REPLY_POLL: Duration = Duration::from_millis(10);

/// A workflow file opened by a process that does not run its workers: the
/// CLI, or an application's other processes.
///
/// Reads ([`list`](Self::list), and a client's `describe`, `fetch_history`
/// and `result`) work whether or not a process owns the file. Signals,
/// cancellations and terminations are durable requests: the owner applies
/// them at once, or when it next opens the file. Starts, queries and updates
/// need the owner's answer and fail with [`ClientError::NoWorker`] when no
/// process owns the file or it does not answer within the
/// [`reply_timeout`](Self::reply_timeout).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("shop.db");
/// # drop(workflow_runtime::Engine::open(&path)?);
/// use workflow_runtime::{ListFilter, StoreFile};
///
/// let file = StoreFile::open(&path)?;
/// for run in file.list(&ListFilter::new())? {
///     println!("{} {} {}", run.workflow_id, run.workflow_type, run.status);
/// }
/// let handle = file.client().get_workflow_handle("order-1");
/// assert!(handle.signal_by_name("cancel_order", ()).await.is_err()); // no such workflow
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StoreFile {
    path: PathBuf,
    /// One connection, shared by the clones and clients of this file.
    store: Arc<Mutex<Store>>,
    /// How long starts, queries and updates wait for the owner's answer.
    reply_timeout: Duration,
    /// The codec the file's payloads were written with, for its clients.
    codec: Option<Arc<dyn PayloadCodec>>,
}

/// One run of a workflow file, as [`StoreFile::list`] gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RunSummary {
    /// The workflow id.
    pub workflow_id: String,
    /// The run.
    pub run_id: String,
    /// The workflow type's name.
    pub workflow_type: String,
    /// The task queue it runs on.
    pub task_queue: String,
    /// Open, or how it closed.
    pub status: WorkflowStatus,
    /// When it started (ms since the Unix epoch).
    pub start_time_ms: u64,
    /// When it closed.
    pub close_time_ms: Option<u64>,
    /// Why its last workflow task failed, while it is stuck (a panic,
    /// nondeterminism, or a history that cannot be decoded).
    pub task_failure: Option<String>,
}

/// Which runs [`StoreFile::list`] gives: all by default, newest first.
///
/// ```
/// use workflow_client::WorkflowStatus;
/// use workflow_runtime::ListFilter;
/// let open_orders = ListFilter::new().status(WorkflowStatus::Running).workflow_type("Order");
/// # let _ = open_orders;
/// ```
#[derive(Clone, Debug)]
pub struct ListFilter {
    status: Option<WorkflowStatus>,
    workflow_type: Option<String>,
    limit: usize,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListFilter {
            status: None,
            workflow_type: None,
            limit: 1_000,
        }
    }
}

impl ListFilter {
    /// Every run, up to 1,000.
    pub fn new() -> Self {
        ListFilter::default()
    }

    /// Only runs with this status.
    pub fn status(mut self, status: WorkflowStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only runs of this workflow type.
    pub fn workflow_type(mut self, name: impl Into<String>) -> Self {
        self.workflow_type = Some(name.into());
        self
    }

    /// At most this many runs (default 1,000).
    pub fn limit(mut self, runs: usize) -> Self {
        self.limit = runs;
        self
    }
}

impl From<RunRow> for RunSummary {
    fn from(row: RunRow) -> Self {
        RunSummary {
            workflow_id: row.workflow_id,
            run_id: row.run_id,
            workflow_type: row.workflow_type,
            task_queue: row.task_queue,
            status: row.status,
            start_time_ms: row.start_ms,
            close_time_ms: row.close_ms,
            task_failure: row.progress.task_failure,
        }
    }
}

impl StoreFile {
    /// Opens an existing workflow file, whether or not a process owns it.
    pub fn open(path: impl AsRef<Path>) -> Result<StoreFile, EngineError> {
        let path = path.as_ref();
        let failed = |message: String| EngineError::Open {
            path: Some(path.to_path_buf()),
            message,
        };
        if !path.is_file() {
            return Err(failed("no such file".to_owned()));
        }
        let store = Store::attach(path).map_err(|e| failed(e.to_string()))?;
        Ok(StoreFile {
            path: path.to_path_buf(),
            store: Arc::new(Mutex::new(store)),
            reply_timeout: Duration::from_secs(15),
            codec: None,
        })
    }

    /// How long starts, queries and updates wait for the owner's answer
    /// (default 15 s, longer than the owner's own wait for a worker).
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a process owns the file now (has it open with an engine).
    pub fn is_owned(&self) -> bool {
        Owner::is_held(&self.path)
    }

    /// The file's runs that pass `filter`, newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<RunSummary>, ClientError> {
        let rows = self.with_store(|s| s.runs(filter.status, filter.workflow_type.as_deref(), filter.limit))?;
        Ok(rows.into_iter().map(RunSummary::from).collect())
    }

    /// Deletes the runs that closed more than `older_than` ago, with their
    /// histories, a batch per transaction (what an engine's
    /// [`retention`](crate::EngineBuilder::retention) does while it runs);
    /// returns how many were deleted. Safe while another process owns the
    /// file.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("shop.db");
    /// # drop(workflow_runtime::Engine::open(&path)?);
    /// use std::time::Duration;
    /// let file = workflow_runtime::StoreFile::open(&path)?;
    /// let deleted = file.prune(Duration::from_secs(30 * 24 * 3600))?;
    /// assert_eq!(deleted, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prune(&self, older_than: Duration) -> Result<usize, ClientError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let cutoff = now.saturating_sub(older_than.as_millis() as u64);
        let mut deleted = 0;
        loop {
            let batch = self.with_store(|s| {
                s.begin()?;
                let pruned = s.prune(cutoff, PRUNE_BATCH);
                match pruned {
                    Ok(pruned) => s.commit().map(|()| pruned.len()),
                    Err(e) => {
                        s.rollback();
                        Err(e)
                    }
                }
            })?;
            deleted += batch;
            if batch < PRUNE_BATCH {
                return Ok(deleted);
            }
        }
    }

    /// Copies the file to `out` with SQLite's online backup: a consistent
    /// snapshot, taken while the owner keeps running. The copy is a
    /// workflow file of its own that an engine can open and continue.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("shop.db");
    /// # drop(workflow_runtime::Engine::open(&path)?);
    /// let file = workflow_runtime::StoreFile::open(&path)?;
    /// file.backup(dir.path().join("shop-backup.db"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup(&self, out: impl AsRef<Path>) -> Result<(), ClientError> {
        self.with_store(|s| s.backup(out.as_ref()))
    }

    /// Reads and writes payloads through `codec`, the one the engine that
    /// owns the file uses (see `Engine::with_codec`).
    pub fn with_codec(mut self, codec: impl PayloadCodec) -> Self {
        self.codec = Some(Arc::new(codec));
        self
    }

    /// A typed client of the file's workflows (behind the file's codec, if set).
    pub fn client(&self) -> Client {
        client_behind(Client::new(Arc::new(self.clone())), self.codec.as_ref())
    }
}

impl StoreFile {
    /// Calls `each` with every run of the file and its history (or why the
    /// history cannot be read), a page of runs at a time, so a file of any
    /// size is walked in bounded memory.
    pub(crate) fn for_each_history(
        &self,
        mut each: impl FnMut(RunSummary, Result<History, ClientError>),
    ) -> Result<(), ClientError> {
        const PAGE: usize = 500;
        let mut after = None;
        loop {
            let page = self.with_store(|s| s.runs_after(after, PAGE))?;
            for row in &page {
                let events = self.with_store(|s| s.events_between(row.key, 1, u64::MAX));
                let history = events.map(|events| History {
                    workflow_id: row.workflow_id.clone(),
                    run_id: row.run_id.clone(),
                    events,
                });
                each(RunSummary::from(row.clone()), history);
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.key),
                _ => return Ok(()),
            }
        }
    }

    fn with_store<T>(&self, f: impl FnOnce(&Store) -> StoreResult<T>) -> Result<T, ClientError> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&store)?)
    }

    /// The run a target names, read from the file.
    fn row(&self, target: &Execution) -> Result<RunRow, ClientError> {
        let row = self.with_store(|s| match &target.run_id {
            Some(run_id) => Ok(s.run(run_id)?.filter(|r| r.workflow_id == target.workflow_id)),
            None => s.current_run(&target.workflow_id),
        })?;
        row.ok_or_else(|| ClientError::NotFound {
            workflow_id: target.workflow_id.clone(),
        })
    }

    fn not_owned(&self) -> ClientError {
        ClientError::NotOwned {
            path: self.path.clone(),
        }
    }

    /// Leaves `request` for the owner and waits for its answer. With
    /// `durable`, a request no process has taken yet still counts as
    /// delivered: the owner applies it when it next opens the file.
    async fn ask(
        &self,
        request: Request,
        task_queue: String,
        durable: bool,
        timeout: Duration,
    ) -> Result<Reply, ClientError> {
        if !durable && !Owner::is_held(&self.path) {
            return Err(self.not_owned());
        }
        let id = self.with_store(|s| s.put_request(&request))?;
        let started = Instant::now();
        loop {
            if let Some(answer) = self.with_store(|s| s.take_reply(id))? {
                return answer;
            }
            let gone = !Owner::is_held(&self.path);
            if gone || started.elapsed() >= timeout {
                // A request the owner never took can still be called off;
                // one it took is answered, so look once more.
                let withdrawn = !durable && self.with_store(|s| s.withdraw_request(id))?;
                if let Some(answer) = self.with_store(|s| s.take_reply(id))? {
                    return answer;
                }
                if durable {
                    return Ok(Reply::Unit);
                }
                if gone {
                    return Err(self.not_owned());
                }
                if withdrawn {
                    return Err(ClientError::NoWorker {
                        task_queue,
                        waited: started.elapsed(),
                    });
                }
            }
            tokio::time::sleep(REPLY_POLL).await;
        }
    }

    /// A signal, cancellation or termination: refused at once when the file
    /// shows the target missing or closed, else left for the owner.
    async fn deliver(
        &self,
        target: &Execution,
        what: &'static str,
        request: Request,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let row = self.row(target)?;
        if row.status != WorkflowStatus::Running {
            return Err(ClientError::Closed {
                workflow_id: row.workflow_id,
                status: row.status,
                what,
            });
        }
        match self.ask(request, row.task_queue, true, timeout).await? {
            Reply::Unit => Ok(()),
            _ => Err(unexpected()),
        }
    }

    /// Asks the owner about the run `target` names.
    async fn ask_about(&self, target: &Execution, request: Request, timeout: Duration) -> Result<Reply, ClientError> {
        let task_queue = self.row(target)?.task_queue;
        self.ask(request, task_queue, false, timeout).await
    }
}

impl StoreFile {
    /// Asks the owner to act on the running attempt `token` names.
    async fn about_attempt(&self, token: TaskToken, request: Request) -> Result<(), ClientError> {
        let not_found = || ClientError::ActivityNotFound {
            token: token.to_string(),
        };
        let run = match AttemptRef::of(&token) {
            Some(named) => self.with_store(|s| s.run(&named.run_id))?,
            None => None,
        };
        let Some(run) = run.filter(|r| r.status == WorkflowStatus::Running) else {
            return Err(not_found());
        };
        match self.ask(request, run.task_queue, false, self.reply_timeout).await? {
            Reply::Unit => Ok(()),
            _ => Err(unexpected()),
        }
    }
}

fn unexpected() -> ClientError {
    ClientError::Storage("the owner answered with an unexpected reply".to_owned())
}

impl Backend for StoreFile {
    fn complete_activity(
        &self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> BoxFuture<Result<(), ClientError>> {
        let this = self.clone();
        let request = Request::CompleteActivity(token.clone(), outcome);
        Box::pin(async move { this.about_attempt(token, request).await })
    }

    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> BoxFuture<Result<(), ClientError>> {
        let this = self.clone();
        let request = Request::HeartbeatActivity(token.clone(), details);
        Box::pin(async move { this.about_attempt(token, request).await })
    }

    fn start(&self, request: StartRequest) -> BoxFuture<Result<String, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            let task_queue = request.task_queue.clone();
            match this
                .ask(Request::Start(Box::new(request)), task_queue, false, timeout)
                .await?
            {
                Reply::RunId(run_id) => Ok(run_id),
                _ => Err(unexpected()),
            }
        })
    }

    fn signal(&self, target: Execution, signal: Message) -> BoxFuture<Result<(), ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            this.deliver(&target.clone(), "signals", Request::Signal(target, signal), timeout)
                .await
        })
    }

    fn query(&self, target: Execution, query: Message) -> BoxFuture<Result<Payload, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            match this
                .ask_about(&target.clone(), Request::Query(target, query), timeout)
                .await?
            {
                Reply::Payload(payload) => Ok(payload),
                _ => Err(unexpected()),
            }
        })
    }

    fn update_with_start(
        &self,
        start: StartRequest,
        update: UpdateRequest,
    ) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            let task_queue = start.task_queue.clone();
            match this
                .ask(
                    Request::UpdateWithStart(Box::new(start), update),
                    task_queue,
                    false,
                    timeout,
                )
                .await?
            {
                Reply::Update(status) => Ok(status),
                _ => Err(unexpected()),
            }
        })
    }

    fn update(&self, target: Execution, request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            match this
                .ask_about(&target.clone(), Request::Update(target, request), timeout)
                .await?
            {
                Reply::Update(status) => Ok(status),
                _ => Err(unexpected()),
            }
        })
    }

    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            match this
                .ask_about(&target.clone(), Request::UpdateResult(target, update_id), timeout)
                .await?
            {
                Reply::Update(UpdateStatus::Completed(outcome)) => Ok(outcome),
                _ => Err(unexpected()),
            }
        })
    }

    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>> {
        let this = self.clone();
        Box::pin(async move {
            let mut target = target;
            loop {
                let row = this.row(&target)?;
                match (row.status, row.next_run_id.clone()) {
                    (WorkflowStatus::Running, _) => tokio::time::sleep(REPLY_POLL * 5).await,
                    // Continued as new, or retried: the chain's next run.
                    (_, Some(next)) => target.run_id = Some(next),
                    _ => return this.with_store(|s| outcome(s, &row))?,
                }
            }
        })
    }

    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            this.deliver(
                &target.clone(),
                "cancellation",
                Request::Cancel(target, reason),
                timeout,
            )
            .await
        })
    }

    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            this.deliver(
                &target.clone(),
                "termination",
                Request::Terminate(target, reason),
                timeout,
            )
            .await
        })
    }

    fn list_workflows(
        &self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> BoxFuture<Result<WorkflowPage, ClientError>> {
        // Read from the file as of the owner's last commit, like describe.
        let page = self
            .with_store(|s| s.list_workflows(&query, page_size, page_token.as_deref()))
            .and_then(|page| page);
        Box::pin(std::future::ready(page))
    }

    fn count_workflows(&self, query: String) -> BoxFuture<Result<u64, ClientError>> {
        let count = self.with_store(|s| s.count_workflows(&query)).and_then(|count| count);
        Box::pin(std::future::ready(count))
    }

    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> BoxFuture<Result<ScheduleReply, ClientError>> {
        let (this, timeout) = (self.clone(), self.reply_timeout);
        Box::pin(async move {
            // Reads come from the file; changes go to the owner, which ticks
            // the schedule.
            if let ScheduleOp::Describe = op {
                let row = this.with_store(|s| s.schedule(&schedule_id))?;
                let row = row.ok_or(ClientError::ScheduleNotFound { schedule_id })?;
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                return Ok(ScheduleReply::Description(Box::new(schedules::described(&row, now))));
            }
            match this
                .ask(Request::Schedule(schedule_id, op), String::new(), false, timeout)
                .await?
            {
                Reply::Schedule(reply) => Ok(reply),
                _ => Err(unexpected()),
            }
        })
    }

    fn list_schedules(&self) -> BoxFuture<Result<Vec<ScheduleSummary>, ClientError>> {
        let all = self
            .with_store(|s| s.schedules())
            .map(|rows| rows.iter().map(summary).collect());
        Box::pin(std::future::ready(all))
    }

    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>> {
        // The rows hold everything, counters included, as of the owner's
        // last commit. Whether an attempt runs is the owner's to know; one
        // not waiting out a retry backoff is shown as started.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let described = self.row(&target).and_then(|row| {
            let activities = self.with_store(|s| s.activities_of(row.key))?;
            let pending = activities
                .iter()
                .filter(|a| !a.local)
                .map(|a| pending_activity(a, a.next_attempt_ms.is_none_or(|at| at <= now)))
                .collect();
            self.with_store(|s| described(s, row, pending))
        });
        Box::pin(std::future::ready(described))
    }

    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>> {
        let this = self.clone();
        Box::pin(async move {
            let row = this.row(&target)?;
            let events = this.with_store(|s| s.events(row.key, 1))?;
            Ok(History {
                workflow_id: row.workflow_id,
                run_id: row.run_id,
                events,
            })
        })
    }
}
