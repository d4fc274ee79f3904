//! The SQLite store: runs, history events, timers and scheduled activities,
//! under a versioned schema ([`schema`]) with private on-disk records
//! ([`record`]).
//!
//! One connection, owned by the engine thread, in WAL mode. A batch of
//! requests that answers anyone is one transaction, durable once the WAL is
//! synced, which [`Store::commit`] does. A batch whose loss only repeats
//! work (local activities) is [held](Store::hold): its transaction stays
//! open for the next batches to join, briefly, as Temporal's Core keeps
//! local activity outcomes in the open workflow task.

mod attributes;
mod listing;
mod owner;
mod record;
mod schedules;
mod schema;
mod visibility;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use workflow_client::{
    ActivityCancellationType, ActivityOptions, ClientError, Event, EventKind, Failure, Headers, ParentInfo, Payload,
    WorkflowStatus,
};

pub(crate) use owner::Owner;
use record::{ActivityOptionsRecord, EventRecord, FailureRecord, PayloadRecord, RunSettingsRecord};
pub(crate) use schedules::{ScheduleKey, ScheduleRow};
pub(crate) use schema::VERSION;

use crate::embedded::run_settings::RunSettings;
use crate::replay::is_command_event;

/// A run's key in the store: the integer every table of a run is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RunKey(pub(crate) i64);

/// A workflow id, as the engine's tables key runs by it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WorkflowId(pub(crate) String);

impl std::borrow::Borrow<str> for WorkflowId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// An activity of a run: its run and the `seq` of its command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ActivityKey {
    pub(crate) run: RunKey,
    pub(crate) seq: u32,
}

/// Where a run stands, kept in its row so that opening a file and
/// describing a run need not read its history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Events in its history.
    pub(crate) history_length: u64,
    /// The first event no workflow task has taken in yet; past
    /// `history_length` when every event has been.
    pub(crate) inputs_from: u64,
    /// Signals received, for the received-signals limit.
    pub(crate) signals_received: u64,
    /// Names of signals no handler took.
    pub(crate) unhandled_signals: Vec<String>,
    /// Why its last workflow task failed, until one succeeds.
    pub(crate) task_failure: Option<String>,
}

impl Progress {
    /// The counters a history implies (a process without the workflow's
    /// code cannot tell unhandled signals or task failures from it).
    pub(crate) fn from_history(events: &[Event]) -> Progress {
        let mut progress = Progress {
            inputs_from: 1,
            ..Progress::default()
        };
        let mut after_task = false;
        for event in events {
            progress.history_length = event.id;
            match &event.kind {
                EventKind::WorkflowTaskCompleted => after_task = true,
                kind if after_task && is_command_event(kind) => {}
                _ => after_task = false,
            }
            if after_task {
                progress.inputs_from = event.id + 1;
            }
            if let EventKind::WorkflowExecutionSignaled { .. } = event.kind {
                progress.signals_received += 1;
            }
        }
        progress
    }

    /// Whether events wait for a workflow task.
    pub(crate) fn has_inputs(&self) -> bool {
        self.inputs_from <= self.history_length
    }
}

/// A row of the `runs` table.
#[derive(Clone, Debug)]
pub(crate) struct RunRow {
    /// Its key in every table of the run.
    pub(crate) key: RunKey,
    /// The run id clients see.
    pub(crate) run_id: String,
    pub(crate) workflow_id: String,
    pub(crate) workflow_type: String,
    pub(crate) task_queue: String,
    /// Open, or how it closed.
    pub(crate) status: WorkflowStatus,
    /// When it started and closed, in ms since the epoch.
    pub(crate) start_ms: u64,
    pub(crate) close_ms: Option<u64>,
    /// The run it continued as, after continue-as-new.
    pub(crate) next_run_id: Option<String>,
    /// The parent, for a child workflow.
    pub(crate) parent: Option<ParentInfo>,
    /// Its counters.
    pub(crate) progress: Progress,
    /// Its timeouts, retries and first-task time.
    pub(crate) settings: RunSettings,
}

/// A row of the `activities` table: an activity scheduled and not yet resolved.
#[derive(Clone, Debug)]
pub(crate) struct ActivityRow {
    pub(crate) key: ActivityKey,
    /// The run's ids, for the activity's info.
    pub(crate) workflow_id: String,
    pub(crate) run_id: String,
    /// Where its worker polls.
    pub(crate) task_queue: String,
    /// The activity's name.
    pub(crate) activity_type: String,
    /// Its arguments.
    pub(crate) input: Vec<Payload>,
    /// Timeouts and retry policy.
    pub(crate) options: ActivityOptions,
    /// The current attempt, from 1.
    pub(crate) attempt: u32,
    /// When it was scheduled (ms since the epoch), for the schedule-to-close timeout.
    pub(crate) scheduled_ms: u64,
    /// The details of its last heartbeat, which the next attempt reads.
    pub(crate) heartbeat: Vec<Payload>,
    /// When that heartbeat arrived (ms since the epoch).
    pub(crate) heartbeat_ms: Option<u64>,
    /// Why the previous attempt failed.
    pub(crate) last_failure: Option<Failure>,
    /// When the current attempt is due, while it waits out a retry backoff.
    pub(crate) next_attempt_ms: Option<u64>,
    /// The workflow asked it to stop while an attempt ran: whatever that
    /// attempt ends with resolves it.
    pub(crate) cancel_requested: bool,
    /// A local activity: run by the workflow's own worker, its outcome
    /// recorded as a marker, and not listed as pending.
    pub(crate) local: bool,
    /// The headers the workflow scheduled it with.
    pub(crate) header: Headers,
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot sync the write-ahead log: {0}")]
    Sync(std::io::Error),
    #[error("{0}")]
    Unusable(String),
    #[error("corrupt row in `{table}`: {message}")]
    Corrupt { table: &'static str, message: String },
    /// One event of a run does not decode; only that run is affected.
    #[error("history event {event} cannot be decoded: {message}")]
    Undecodable { event: u64, message: String },
    #[error(
        "the file was written by a newer release (schema version {found}; this release reads up to {supported}); \
         it was left unchanged"
    )]
    Newer { found: i64, supported: i64 },
    /// The engine's state lost track of a run it expected open; the batch
    /// is rolled back and the state reloaded.
    #[error("run {0:?} is not open")]
    NotOpen(RunKey),
}

impl StoreError {
    /// Whether the disk, or the file's size limit, is full.
    pub(crate) fn is_full(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull)
    }
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        ClientError::Storage(e.to_string())
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

pub(crate) struct Store {
    pub(super) conn: Connection,
    /// Held while this engine owns the file; see [`Owner`].
    owner: Option<Owner>,
    /// The owner's WAL file, opened at the first commit that syncs it.
    wal: Option<Wal>,
    /// When the first batch of the open transaction was held, while one is.
    held: std::cell::Cell<Option<std::time::Instant>>,
}

/// The longest a held transaction stays open: what a killed process can
/// lose of local activity outcomes (those activities run again), and how
/// long another process waits to leave a request in the inbox.
const HOLD_LIMIT: std::time::Duration = std::time::Duration::from_millis(20);

/// A file's write-ahead log, synced by hand: the owner's connection runs
/// with `synchronous=NORMAL`, so SQLite keeps the WAL consistent but leaves
/// when a commit reaches the disk to [`Store::commit`].
struct Wal {
    path: PathBuf,
    file: std::cell::OnceCell<std::fs::File>,
}

impl Wal {
    fn sync(&self) -> std::io::Result<()> {
        let file = match self.file.get() {
            Some(file) => file,
            None => {
                // SQLite keeps the WAL file while a connection is open, and
                // reuses it from the start after a checkpoint.
                let file = match std::fs::OpenOptions::new().read(true).open(&self.path) {
                    Ok(file) => file,
                    // Nothing was ever written to it.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(e),
                };
                self.file.get_or_init(|| file)
            }
        };
        file.sync_data()
    }
}

/// The WAL's size after a checkpoint, at most. It settles at about 4 MiB
/// (SQLite checkpoints every 1,000 pages) and is reused from the start, which
/// costs no file growth per commit; the limit cuts it back after a large
/// transaction. On a full disk, [`Store::release_wal`] truncates it to
/// nothing.
const WAL_LIMIT_BYTES: i64 = 8 * 1024 * 1024;

fn status_from(text: &str) -> rusqlite::Result<WorkflowStatus> {
    text.parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

/// A run's settings as stored: none when they are the defaults.
fn settings_blob(settings: &RunSettings) -> StoreResult<Option<Vec<u8>>> {
    match *settings == RunSettings::default() {
        true => Ok(None),
        false => record::encode(&RunSettingsRecord::from(settings)).map(Some),
    }
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) const RUN_COLUMNS: &str =
    "run_key, run_id, workflow_id, workflow_type, task_queue, status, start_ms, close_ms, \
     next_run_id, parent_workflow_id, parent_run_id, parent_seq, history_length, inputs_from, signals_received, \
     unhandled_signals, task_failure, options";

pub(super) fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let parent = match (r.get::<_, Option<String>>(9)?, r.get::<_, Option<String>>(10)?) {
        (Some(workflow_id), Some(run_id)) => Some(ParentInfo {
            workflow_id,
            run_id,
            seq: r.get::<_, Option<u32>>(11)?.unwrap_or(0),
        }),
        _ => None,
    };
    let unhandled: Option<String> = r.get(15)?;
    Ok(RunRow {
        key: RunKey(r.get(0)?),
        run_id: r.get(1)?,
        workflow_id: r.get(2)?,
        workflow_type: r.get(3)?,
        task_queue: r.get(4)?,
        status: status_from(&r.get::<_, String>(5)?)?,
        start_ms: u64_of(r.get(6)?),
        close_ms: r.get::<_, Option<i64>>(7)?.map(u64_of),
        next_run_id: r.get(8)?,
        parent,
        progress: Progress {
            history_length: u64_of(r.get(12)?),
            inputs_from: u64_of(r.get(13)?),
            signals_received: u64_of(r.get(14)?),
            unhandled_signals: unhandled
                .and_then(|u| serde_json::from_str(&u).ok())
                .unwrap_or_default(),
            task_failure: r.get(16)?,
        },
        settings: match r.get_ref(17)?.as_blob_or_null()? {
            Some(bytes) => record::decode::<RunSettingsRecord>("runs", bytes)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Blob, e.into()))?
                .into(),
            None => RunSettings::default(),
        },
    })
}

/// Writes a run's counters.
fn save_progress(conn: &Connection, run: RunKey, p: &Progress) -> StoreResult<()> {
    // A list of strings always serializes.
    let unhandled = (!p.unhandled_signals.is_empty())
        .then(|| serde_json::to_string(&p.unhandled_signals).ok())
        .flatten();
    conn.prepare_cached(
        "UPDATE runs SET history_length = ?2, inputs_from = ?3, signals_received = ?4, unhandled_signals = ?5,
             task_failure = ?6
         WHERE run_key = ?1",
    )?
    .execute(params![
        run.0,
        i64_of(p.history_length),
        i64_of(p.inputs_from),
        i64_of(p.signals_received),
        unhandled,
        p.task_failure
    ])?;
    Ok(())
}

/// A BLOB column's bytes.
fn blob<'a>(row: &'a rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'a [u8]> {
    Ok(row.get_ref(column)?.as_blob()?)
}

/// A nullable BLOB column's bytes.
fn optional_blob<'a>(row: &'a rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<&'a [u8]>> {
    Ok(row.get_ref(column)?.as_blob_or_null()?)
}

fn event_of(id: i64, time_ms: i64, data: &[u8]) -> StoreResult<Event> {
    let record: EventRecord = record::decode("events", data).map_err(|e| StoreError::Undecodable {
        event: u64_of(id),
        message: match e {
            StoreError::Corrupt { message, .. } => message,
            other => other.to_string(),
        },
    })?;
    Ok(Event {
        id: u64_of(id),
        time_ms: u64_of(time_ms),
        kind: record.into(),
    })
}

impl Store {
    /// Opens (creating if needed) the store at `path`, or in memory, as its
    /// owner, migrating an older file to this release's schema; `max_bytes`
    /// caps the size of its file.
    pub(crate) fn open(path: Option<&Path>, max_bytes: Option<u64>) -> StoreResult<Store> {
        // Ownership first: a second engine would apply the same runs twice.
        let owner = path.map(Owner::acquire).transpose()?;
        let mut conn = match path {
            Some(path) => Connection::open(path)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Before anything is written: a newer file is refused untouched.
        schema::check(&conn)?;
        if path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)?;
        }
        schema::upgrade(&mut conn)?;
        if let Some(max_bytes) = max_bytes {
            let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = i64::try_from(max_bytes).unwrap_or(i64::MAX) / page.max(1);
            // Never below what the file already holds: SQLite keeps the larger.
            conn.query_row(&format!("PRAGMA max_page_count = {}", pages.max(1)), [], |_| Ok(()))?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        let wal = path.map(|path| {
            let mut name = path.as_os_str().to_owned();
            name.push("-wal");
            Wal {
                path: PathBuf::from(name),
                file: std::cell::OnceCell::new(),
            }
        });
        Ok(Store {
            conn,
            owner,
            wal,
            held: std::cell::Cell::new(None),
        })
    }

    /// Gives back the disk space the WAL holds, after a commit failed for
    /// want of it: what it holds is copied into the file and it is truncated.
    pub(crate) fn release_wal(&self) {
        if self.is_durable() {
            // On a full disk the copy may fail too; the next commit says so.
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }

    /// Opens an existing store that another process may own, to read it and
    /// to leave requests in its inbox. An older file is migrated only while
    /// no process owns it (an owner of an older release would not read the
    /// new schema).
    pub(crate) fn attach(path: &Path) -> StoreResult<Store> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::check(&conn)?;
        if schema::version(&conn)? == 0 && schema::is_empty(&conn)? {
            return Err(StoreError::Unusable(
                "not a workflow file (it has no `runs` table)".to_owned(),
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        if schema::version(&conn)? < VERSION {
            if Owner::is_held(path) {
                return Err(StoreError::Unusable(format!(
                    "the file is at schema version {} and owned by a process of an older release; \
                     stop it, or open the file with this release's engine",
                    schema::version(&conn)?
                )));
            }
            schema::upgrade(&mut conn)?;
        }
        Ok(Store {
            conn,
            owner: None,
            wal: None,
            held: std::cell::Cell::new(None),
        })
    }

    /// Whether commits reach a file (and pay for a sync).
    pub(crate) fn is_durable(&self) -> bool {
        self.owner.is_some()
    }

    /// Starts a transaction, or goes on with a held one.
    pub(crate) fn begin(&self) -> StoreResult<()> {
        if self.held.get().is_none() {
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        }
        Ok(())
    }

    /// Commits the transaction (held batches included) and waits until it
    /// is on disk.
    pub(crate) fn commit(&self) -> StoreResult<()> {
        self.commit_unsynced()?;
        match &self.wal {
            Some(wal) => wal.sync().map_err(StoreError::Sync),
            None => Ok(()),
        }
    }

    /// Ends a batch whose loss would only repeat work: its transaction stays
    /// open for the next batch, and is committed, without waiting for the
    /// disk, once it has been open for [`HOLD_LIMIT`] or by [`release`](Self::release).
    pub(crate) fn hold(&self) -> StoreResult<()> {
        let since = self.held.get().unwrap_or_else(std::time::Instant::now);
        self.held.set(Some(since));
        match since.elapsed() >= HOLD_LIMIT {
            true => self.commit_unsynced(),
            false => Ok(()),
        }
    }

    /// Commits a held transaction, if there is one, without waiting for the
    /// disk: the next [`commit`](Self::commit) makes it durable with its own.
    pub(crate) fn release(&self) -> StoreResult<()> {
        match self.held.get() {
            Some(_) => self.commit_unsynced(),
            None => Ok(()),
        }
    }

    fn commit_unsynced(&self) -> StoreResult<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.held.set(None);
        Ok(())
    }

    pub(crate) fn rollback(&self) {
        self.held.set(None);
        if !self.conn.is_autocommit() {
            // A failed rollback leaves nothing more to undo; the engine reloads its state next.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    pub(crate) fn append(&self, run: RunKey, event: &Event) -> StoreResult<()> {
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO events (run_key, id, time_ms, data) VALUES (?1, ?2, ?3, ?4)")?;
        let data = record::encode(&EventRecord::from(&event.kind))?;
        stmt.execute(params![run.0, i64_of(event.id), i64_of(event.time_ms), data])?;
        Ok(())
    }

    /// Events of a run with `id >= from`, in order.
    pub(crate) fn events(&self, run: RunKey, from: u64) -> StoreResult<Vec<Event>> {
        self.events_between(run, from, u64::MAX)
    }

    /// Events of a run with `from <= id < until`, in order.
    pub(crate) fn events_between(&self, run: RunKey, from: u64, until: u64) -> StoreResult<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, time_ms, data FROM events WHERE run_key = ?1 AND id >= ?2 AND id < ?3 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![run.0, i64_of(from), i64_of(until)])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            let data = blob(row, 2)?;
            events.push(event_of(row.get(0)?, row.get(1)?, data)?);
        }
        Ok(events)
    }

    /// The last event of a run.
    pub(crate) fn last_event(&self, run: RunKey) -> StoreResult<Option<Event>> {
        let raw: Option<(i64, i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT id, time_ms, data FROM events WHERE run_key = ?1 ORDER BY id DESC LIMIT 1")?
            .query_row(params![run.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        raw.map(|(id, time, data)| event_of(id, time, &data)).transpose()
    }

    /// Records a new open run and makes it its workflow id's current run;
    /// returns its key.
    pub(crate) fn insert_run(&self, run: &RunRow) -> StoreResult<RunKey> {
        let parent = run.parent.as_ref();
        self.conn
            .prepare_cached(
                "INSERT INTO runs (run_id, workflow_id, workflow_type, task_queue, status, start_ms,
                     parent_workflow_id, parent_run_id, parent_seq, history_length, inputs_from, signals_received,
                     options, due_ms)
                 VALUES (?1, ?2, ?3, ?4, 'Running', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                run.run_id,
                run.workflow_id,
                run.workflow_type,
                run.task_queue,
                i64_of(run.start_ms),
                parent.map(|p| &p.workflow_id),
                parent.map(|p| &p.run_id),
                parent.map(|p| p.seq),
                i64_of(run.progress.history_length),
                i64_of(run.progress.inputs_from),
                i64_of(run.progress.signals_received),
                settings_blob(&run.settings)?,
                run.settings.due_ms().map(i64_of),
            ])?;
        let key = RunKey(self.conn.last_insert_rowid());
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO workflows (workflow_id, run_key) VALUES (?1, ?2)")?
            .execute(params![run.workflow_id, key.0])?;
        Ok(key)
    }

    /// Writes a run's settings (its first task no longer waits).
    pub(crate) fn save_settings(&self, run: &RunRow) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE runs SET options = ?2, due_ms = ?3 WHERE run_key = ?1")?
            .execute(params![
                run.key.0,
                settings_blob(&run.settings)?,
                run.settings.due_ms().map(i64_of)
            ])?;
        Ok(())
    }

    /// The open runs the engine must look at by a time (a delayed first
    /// task, a timeout), with that time.
    pub(crate) fn due_runs(&self) -> StoreResult<Vec<(RunKey, u64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT run_key, due_ms FROM runs WHERE status = 'Running' AND due_ms IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((RunKey(r.get(0)?), u64_of(r.get(1)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Writes a run's counters.
    pub(crate) fn save_progress(&self, run: RunKey, progress: &Progress) -> StoreResult<()> {
        save_progress(&self.conn, run, progress)
    }

    pub(crate) fn close_run(
        &self,
        run: RunKey,
        status: WorkflowStatus,
        close_ms: u64,
        next_run_id: Option<&str>,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE runs SET status = ?2, close_ms = ?3, next_run_id = ?4, due_ms = NULL WHERE run_key = ?1",
            )?
            .execute(params![run.0, status.to_string(), i64_of(close_ms), next_run_id])?;
        self.conn
            .prepare_cached("DELETE FROM timers WHERE run_key = ?1")?
            .execute(params![run.0])?;
        self.conn
            .prepare_cached("DELETE FROM activities WHERE run_key = ?1")?
            .execute(params![run.0])?;
        Ok(())
    }

    fn run_where(&self, condition: &str, value: impl rusqlite::ToSql) -> StoreResult<Option<RunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE {condition}");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![value], run_row)
            .optional()?)
    }

    /// The run with this id.
    pub(crate) fn run(&self, run_id: &str) -> StoreResult<Option<RunRow>> {
        self.run_where("run_id = ?1", run_id)
    }

    /// The run with this key.
    pub(crate) fn run_by_key(&self, run: RunKey) -> StoreResult<Option<RunRow>> {
        self.run_where("run_key = ?1", run.0)
    }

    /// The latest run of a workflow id.
    pub(crate) fn current_run(&self, workflow_id: &str) -> StoreResult<Option<RunRow>> {
        self.run_where(
            "run_key = (SELECT run_key FROM workflows WHERE workflow_id = ?1)",
            workflow_id,
        )
    }

    /// Open runs with events no workflow task has taken in yet.
    pub(crate) fn runs_with_inputs(&self) -> StoreResult<Vec<RunRow>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs INDEXED BY runs_with_inputs
             WHERE status = 'Running' AND inputs_from <= history_length"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], run_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs, newest first, of one status and one type when given.
    pub(crate) fn runs(
        &self,
        status: Option<WorkflowStatus>,
        workflow_type: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<RunRow>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR workflow_type = ?2)
             ORDER BY start_ms DESC, run_key DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![status.map(|s| s.to_string()), workflow_type, limit], run_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` runs after run `after` in the order they were created,
    /// open and closed: a page of a walk over every run of the file.
    pub(crate) fn runs_after(&self, after: Option<RunKey>, limit: usize) -> StoreResult<Vec<RunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_key > ?1 ORDER BY run_key LIMIT ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after.map_or(0, |k| k.0), limit], run_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Open runs that are children of the run `parent_run_id`.
    pub(crate) fn open_children(&self, parent_run_id: &str) -> StoreResult<Vec<RunKey>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT run_key FROM runs WHERE parent_run_id = ?1 AND status = 'Running'")?;
        let rows = stmt.query_map(params![parent_run_id], |r| Ok(RunKey(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn insert_timer(&self, run: RunKey, seq: u32, fire_at_ms: u64) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO timers (run_key, seq, fire_at_ms) VALUES (?1, ?2, ?3)")?
            .execute(params![run.0, seq, i64_of(fire_at_ms)])?;
        Ok(())
    }

    pub(crate) fn delete_timer(&self, run: RunKey, seq: u32) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM timers WHERE run_key = ?1 AND seq = ?2")?
            .execute(params![run.0, seq])?;
        Ok(())
    }

    /// Every pending timer: its run, `seq` and when it fires.
    pub(crate) fn timers(&self) -> StoreResult<Vec<(RunKey, u32, u64)>> {
        let mut stmt = self.conn.prepare("SELECT run_key, seq, fire_at_ms FROM timers")?;
        let rows = stmt.query_map([], |r| Ok((RunKey(r.get(0)?), r.get(1)?, u64_of(r.get(2)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The timers of one run, by `seq`.
    pub(crate) fn timers_of(&self, run: RunKey) -> StoreResult<Vec<u32>> {
        let mut stmt = self.conn.prepare_cached("SELECT seq FROM timers WHERE run_key = ?1")?;
        let rows = stmt.query_map(params![run.0], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn insert_activity(&self, a: &ActivityRow) -> StoreResult<()> {
        let input: Vec<PayloadRecord> = a.input.iter().map(PayloadRecord::from).collect();
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO activities
                 (run_key, seq, task_queue, activity_type, input, options, attempt, scheduled_ms, local,
                  cancellation_type, header)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                a.key.run.0,
                a.key.seq,
                a.task_queue,
                a.activity_type,
                record::encode(&input)?,
                record::encode(&ActivityOptionsRecord::from(&a.options))?,
                a.attempt,
                i64_of(a.scheduled_ms),
                a.local,
                cancellation_code(a.options.cancellation_type),
                (!a.header.is_empty())
                    .then(|| record::encode(&record::header_record(&a.header)))
                    .transpose()?
            ])?;
        Ok(())
    }

    /// Records a failed attempt: the next one, why this one failed and when the next is due.
    pub(crate) fn retry_activity(&self, a: &ActivityRow) -> StoreResult<()> {
        let failure = a.last_failure.as_ref().map(FailureRecord::from);
        self.conn
            .prepare_cached(
                "UPDATE activities SET attempt = ?3, last_failure = ?4, next_attempt_ms = ?5
                 WHERE run_key = ?1 AND seq = ?2",
            )?
            .execute(params![
                a.key.run.0,
                a.key.seq,
                a.attempt,
                failure.as_ref().map(record::encode).transpose()?,
                a.next_attempt_ms.map(i64_of)
            ])?;
        Ok(())
    }

    /// Keeps an activity's last heartbeat.
    pub(crate) fn set_activity_heartbeat(&self, a: &ActivityRow) -> StoreResult<()> {
        let details: Vec<PayloadRecord> = a.heartbeat.iter().map(PayloadRecord::from).collect();
        self.conn
            .prepare_cached("UPDATE activities SET heartbeat = ?3, heartbeat_ms = ?4 WHERE run_key = ?1 AND seq = ?2")?
            .execute(params![
                a.key.run.0,
                a.key.seq,
                record::encode(&details)?,
                a.heartbeat_ms.map(i64_of)
            ])?;
        Ok(())
    }

    /// Marks an activity the workflow asked to stop while an attempt ran.
    pub(crate) fn set_activity_cancel_requested(&self, key: ActivityKey) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE activities SET cancel_requested = 1 WHERE run_key = ?1 AND seq = ?2")?
            .execute(params![key.run.0, key.seq])?;
        Ok(())
    }

    pub(crate) fn delete_activity(&self, key: ActivityKey) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM activities WHERE run_key = ?1 AND seq = ?2")?
            .execute(params![key.run.0, key.seq])?;
        Ok(())
    }

    /// Every scheduled activity, with its run's ids.
    pub(crate) fn activities(&self) -> StoreResult<Vec<ActivityRow>> {
        self.activities_where("", [])
    }

    /// The scheduled activities of one run, oldest first.
    pub(crate) fn activities_of(&self, run: RunKey) -> StoreResult<Vec<ActivityRow>> {
        self.activities_where("WHERE a.run_key = ?1 ORDER BY a.seq", [run.0])
    }

    fn activities_where<P: rusqlite::Params>(&self, filter: &str, params: P) -> StoreResult<Vec<ActivityRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT a.run_key, a.seq, r.workflow_id, r.run_id, a.task_queue, a.activity_type, a.input, a.options,
                 a.attempt, a.scheduled_ms, a.heartbeat, a.heartbeat_ms, a.last_failure, a.next_attempt_ms,
                 a.cancel_requested, a.local, a.cancellation_type, a.header
             FROM activities a JOIN runs r ON r.run_key = a.run_key {filter}"
        ))?;
        let mut rows = stmt.query(params)?;
        let mut activities = Vec::new();
        while let Some(r) = rows.next()? {
            let input: Vec<PayloadRecord> = record::decode("activities", blob(r, 6)?)?;
            let options: ActivityOptionsRecord = record::decode("activities", blob(r, 7)?)?;
            let heartbeat: Option<Vec<PayloadRecord>> = optional_blob(r, 10)?
                .map(|b| record::decode("activities", b))
                .transpose()?;
            let last_failure: Option<FailureRecord> = optional_blob(r, 12)?
                .map(|b| record::decode("activities", b))
                .transpose()?;
            let header: Option<record::HeaderRecord> = optional_blob(r, 17)?
                .map(|b| record::decode("activities", b))
                .transpose()?;
            let mut options = ActivityOptions::from(options);
            options.cancellation_type = cancellation_of(r.get(16)?);
            activities.push(ActivityRow {
                key: ActivityKey {
                    run: RunKey(r.get(0)?),
                    seq: r.get(1)?,
                },
                workflow_id: r.get(2)?,
                run_id: r.get(3)?,
                task_queue: r.get(4)?,
                activity_type: r.get(5)?,
                input: input.into_iter().map(Payload::from).collect(),
                options,
                attempt: r.get(8)?,
                scheduled_ms: u64_of(r.get(9)?),
                heartbeat: heartbeat.unwrap_or_default().into_iter().map(Payload::from).collect(),
                heartbeat_ms: r.get::<_, Option<i64>>(11)?.map(u64_of),
                last_failure: last_failure.map(Failure::from),
                next_attempt_ms: r.get::<_, Option<i64>>(13)?.map(u64_of),
                cancel_requested: r.get(14)?,
                local: r.get(15)?,
                header: header.map(record::headers_of).unwrap_or_default(),
            });
        }
        Ok(activities)
    }
}

/// How the activities table spells a cancellation type.
fn cancellation_code(t: ActivityCancellationType) -> i64 {
    match t {
        ActivityCancellationType::TryCancel => 0,
        ActivityCancellationType::WaitCancellationCompleted => 1,
        ActivityCancellationType::Abandon => 2,
    }
}

fn cancellation_of(code: i64) -> ActivityCancellationType {
    match code {
        1 => ActivityCancellationType::WaitCancellationCompleted,
        2 => ActivityCancellationType::Abandon,
        _ => ActivityCancellationType::TryCancel,
    }
}

/// A run deleted by [`Store::prune`].
pub(crate) struct Pruned {
    pub(crate) key: RunKey,
    pub(crate) workflow_id: String,
}

impl Store {
    /// Deletes up to `limit` runs that closed before `closed_before` (ms
    /// since the epoch), oldest first, with their history; returns them.
    pub(crate) fn prune(&self, closed_before: u64, limit: usize) -> StoreResult<Vec<Pruned>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_key, workflow_id FROM runs INDEXED BY runs_closed
             WHERE close_ms IS NOT NULL AND close_ms < ?1 ORDER BY close_ms LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![i64_of(closed_before), limit], |r| {
            Ok(Pruned {
                key: RunKey(r.get(0)?),
                workflow_id: r.get(1)?,
            })
        })?;
        let pruned: Vec<Pruned> = rows.collect::<rusqlite::Result<_>>()?;
        for run in &pruned {
            for sql in [
                "DELETE FROM events WHERE run_key = ?1",
                "DELETE FROM timers WHERE run_key = ?1",
                "DELETE FROM activities WHERE run_key = ?1",
                "DELETE FROM search_attributes WHERE run_key = ?1",
                "DELETE FROM runs WHERE run_key = ?1",
            ] {
                self.conn.prepare_cached(sql)?.execute(params![run.key.0])?;
            }
            self.conn
                .prepare_cached("DELETE FROM workflows WHERE workflow_id = ?1 AND run_key = ?2")?
                .execute(params![run.workflow_id, run.key.0])?;
        }
        Ok(pruned)
    }
}

impl Store {
    /// Copies the store to `out` with SQLite's online backup, a few pages
    /// at a time so a writer is never held up for long.
    pub(crate) fn backup(&self, out: &Path) -> StoreResult<()> {
        if out.exists() {
            return Err(StoreError::Unusable(format!(
                "{} exists; a backup never overwrites a file",
                out.display()
            )));
        }
        let mut copy = Connection::open(out)?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
            backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        }
        // The copy keeps the source's journal mode and schema version.
        copy.pragma_update(None, "journal_mode", "WAL")?;
        Ok(())
    }
}
