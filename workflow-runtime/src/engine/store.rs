//! The SQLite store: runs, history events, timers and scheduled activities.
//!
//! One connection, owned by the engine thread. Every batch of requests is one
//! transaction; WAL with `synchronous=FULL` makes each commit durable.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use workflow_client::{ActivityOptions, ClientError, Event, ParentInfo, Payload, WorkflowStatus};

/// A row of the `runs` table.
#[derive(Clone, Debug)]
pub(crate) struct RunRow {
    pub(crate) run_id: String,
    pub(crate) workflow_id: String,
    pub(crate) workflow_type: String,
    pub(crate) task_queue: String,
    pub(crate) status: WorkflowStatus,
    pub(crate) start_ms: u64,
    pub(crate) close_ms: Option<u64>,
    pub(crate) next_run_id: Option<String>,
    pub(crate) parent: Option<ParentInfo>,
}

/// A row of the `activities` table: an activity scheduled and not yet resolved.
#[derive(Clone, Debug)]
pub(crate) struct ActivityRow {
    pub(crate) run_id: String,
    pub(crate) seq: u32,
    pub(crate) workflow_id: String,
    pub(crate) task_queue: String,
    pub(crate) activity_type: String,
    pub(crate) input: Vec<Payload>,
    pub(crate) options: ActivityOptions,
    pub(crate) attempt: u32,
    pub(crate) scheduled_ms: u64,
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Unusable(String),
    #[error("corrupt row in `{table}`: {message}")]
    Corrupt { table: &'static str, message: String },
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        ClientError::Storage(e.to_string())
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    workflow_type TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    status TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    close_ms INTEGER,
    next_run_id TEXT,
    parent TEXT
);
CREATE INDEX IF NOT EXISTS runs_open ON runs(status) WHERE status = 'Running';
CREATE TABLE IF NOT EXISTS workflows (
    workflow_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    fire_at_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    workflow_id TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    input TEXT NOT NULL,
    options TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    scheduled_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    written_ms INTEGER NOT NULL
);
";

pub(crate) struct Store {
    pub(super) conn: Connection,
    /// Held while this engine owns the file; see [`Owner`].
    owner: Option<Owner>,
}

/// The lock that makes one process the owner of a workflow file: the
/// process that runs its workflow tasks. It is an advisory lock on a file
/// beside the database, released by the kernel when the process dies, so a
/// `kill -9` never leaves the file unowned forever.
pub(crate) struct Owner {
    _file: std::fs::File,
}

impl Owner {
    fn path(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push("-owner");
        PathBuf::from(name)
    }

    /// Takes ownership of the file at `db`, or says which file is taken.
    fn acquire(db: &Path) -> StoreResult<Owner> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(Owner::path(db))
            .map_err(|e| StoreError::Unusable(e.to_string()))?;
        match file.try_lock() {
            Ok(()) => Ok(Owner { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unusable(
                "another process has this workflow file open; only one process runs a file's workflows, \
                 others reach it through `StoreFile`"
                    .to_owned(),
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Unusable(e.to_string())),
        }
    }

    /// Whether some process owns the file at `db` right now.
    pub(crate) fn is_held(db: &Path) -> bool {
        let Ok(file) = std::fs::File::open(Owner::path(db)) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("store types serialize to JSON")
}

fn from_json<T: serde::de::DeserializeOwned>(table: &'static str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

fn status_from(text: &str) -> StoreResult<WorkflowStatus> {
    from_json("runs", &format!("\"{text}\""))
}

fn run_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(RunRow, String, Option<String>)> {
    Ok((
        RunRow {
            run_id: row.get(0)?,
            workflow_id: row.get(1)?,
            workflow_type: row.get(2)?,
            task_queue: row.get(3)?,
            status: WorkflowStatus::Running,
            start_ms: row.get::<_, i64>(5)? as u64,
            close_ms: row.get::<_, Option<i64>>(6)?.map(|v| v as u64),
            next_run_id: row.get(7)?,
            parent: None,
        },
        row.get(4)?,
        row.get(8)?,
    ))
}

fn finish_run(raw: (RunRow, String, Option<String>)) -> StoreResult<RunRow> {
    let (mut run, status, parent) = raw;
    run.status = status_from(&status)?;
    run.parent = parent.map(|p| from_json("runs", &p)).transpose()?;
    Ok(run)
}

const RUN_COLUMNS: &str =
    "run_id, workflow_id, workflow_type, task_queue, status, start_ms, close_ms, next_run_id, parent";

impl Store {
    /// Opens (creating if needed) the store at `path`, or in memory, as its owner.
    pub(crate) fn open(path: Option<&Path>) -> StoreResult<Store> {
        // Ownership first: a second engine would apply the same runs twice.
        let owner = path.map(Owner::acquire).transpose()?;
        let conn = match path {
            Some(path) => Connection::open(path)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        conn.execute_batch(SCHEMA)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Store { conn, owner })
    }

    /// Opens an existing store that another process may own, to read it and
    /// to leave requests in its inbox.
    pub(crate) fn attach(path: &Path) -> StoreResult<Store> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let has_runs: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs')",
            [],
            |r| r.get(0),
        )?;
        if !has_runs {
            return Err(StoreError::Unusable(
                "not a workflow file (it has no `runs` table)".to_owned(),
            ));
        }
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn, owner: None })
    }

    /// Whether commits reach a file (and pay for a sync).
    pub(crate) fn is_durable(&self) -> bool {
        self.owner.is_some()
    }

    pub(crate) fn begin(&self) -> StoreResult<()> {
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(())
    }

    pub(crate) fn commit(&self) -> StoreResult<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(())
    }

    pub(crate) fn rollback(&self) {
        if !self.conn.is_autocommit() {
            // A failed rollback leaves nothing more to undo; the engine reloads its state next.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    pub(crate) fn append(&self, run_id: &str, event: &Event) -> StoreResult<()> {
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO events (run_id, id, data) VALUES (?1, ?2, ?3)")?;
        stmt.execute(params![run_id, event.id as i64, to_json(event)])?;
        Ok(())
    }

    /// Events of a run with `id >= from`, in order.
    pub(crate) fn events(&self, run_id: &str, from: u64) -> StoreResult<Vec<Event>> {
        self.events_between(run_id, from, u64::MAX)
    }

    /// Events of a run with `from <= id < until`, in order.
    pub(crate) fn events_between(&self, run_id: &str, from: u64, until: u64) -> StoreResult<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM events WHERE run_id = ?1 AND id >= ?2 AND id < ?3 ORDER BY id")?;
        let until = i64::try_from(until).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![run_id, from as i64, until], |r| r.get::<_, String>(0))?;
        rows.map(|text| from_json("events", &text?)).collect()
    }

    /// The last event of a run.
    pub(crate) fn last_event(&self, run_id: &str) -> StoreResult<Option<Event>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM events WHERE run_id = ?1 ORDER BY id DESC LIMIT 1")?
            .query_row(params![run_id], |r| r.get(0))
            .optional()?;
        text.map(|t| from_json("events", &t)).transpose()
    }

    pub(crate) fn insert_run(&self, run: &RunRow) -> StoreResult<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO runs (run_id, workflow_id, workflow_type, task_queue, status, start_ms, parent)
             VALUES (?1, ?2, ?3, ?4, 'Running', ?5, ?6)",
        )?;
        stmt.execute(params![
            run.run_id,
            run.workflow_id,
            run.workflow_type,
            run.task_queue,
            run.start_ms as i64,
            run.parent.as_ref().map(to_json),
        ])?;
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO workflows (workflow_id, run_id) VALUES (?1, ?2)")?
            .execute(params![run.workflow_id, run.run_id])?;
        Ok(())
    }

    pub(crate) fn close_run(
        &self,
        run_id: &str,
        status: WorkflowStatus,
        close_ms: u64,
        next_run_id: Option<&str>,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE runs SET status = ?2, close_ms = ?3, next_run_id = ?4 WHERE run_id = ?1")?
            .execute(params![run_id, status.to_string(), close_ms as i64, next_run_id])?;
        self.conn
            .prepare_cached("DELETE FROM timers WHERE run_id = ?1")?
            .execute(params![run_id])?;
        self.conn
            .prepare_cached("DELETE FROM activities WHERE run_id = ?1")?
            .execute(params![run_id])?;
        Ok(())
    }

    pub(crate) fn run(&self, run_id: &str) -> StoreResult<Option<RunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1");
        let raw = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![run_id], run_row)
            .optional()?;
        raw.map(finish_run).transpose()
    }

    /// The latest run of a workflow id.
    pub(crate) fn current_run(&self, workflow_id: &str) -> StoreResult<Option<RunRow>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE run_id = (SELECT run_id FROM workflows WHERE workflow_id = ?1)"
        );
        let raw = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![workflow_id], run_row)
            .optional()?;
        raw.map(finish_run).transpose()
    }

    pub(crate) fn open_runs(&self) -> StoreResult<Vec<RunRow>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE status = 'Running'");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], run_row)?;
        rows.map(|raw| finish_run(raw?)).collect()
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
             ORDER BY start_ms DESC, rowid DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![status.map(|s| s.to_string()), workflow_type, limit], run_row)?;
        rows.map(|raw| finish_run(raw?)).collect()
    }

    /// Open runs that are children of `parent_run_id`.
    pub(crate) fn open_children(&self, parent_run_id: &str) -> StoreResult<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id FROM runs WHERE status = 'Running' AND json_extract(parent, '$.run_id') = ?1",
        )?;
        let rows = stmt.query_map(params![parent_run_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn insert_timer(&self, run_id: &str, seq: u32, fire_at_ms: u64) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO timers (run_id, seq, fire_at_ms) VALUES (?1, ?2, ?3)")?
            .execute(params![run_id, seq, fire_at_ms as i64])?;
        Ok(())
    }

    pub(crate) fn delete_timer(&self, run_id: &str, seq: u32) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM timers WHERE run_id = ?1 AND seq = ?2")?
            .execute(params![run_id, seq])?;
        Ok(())
    }

    pub(crate) fn timers(&self) -> StoreResult<Vec<(String, u32, u64)>> {
        let mut stmt = self.conn.prepare("SELECT run_id, seq, fire_at_ms FROM timers")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn insert_activity(&self, a: &ActivityRow) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO activities
                 (run_id, seq, workflow_id, task_queue, activity_type, input, options, attempt, scheduled_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                a.run_id,
                a.seq,
                a.workflow_id,
                a.task_queue,
                a.activity_type,
                to_json(&a.input),
                to_json(&a.options),
                a.attempt,
                a.scheduled_ms as i64
            ])?;
        Ok(())
    }

    pub(crate) fn set_activity_attempt(&self, run_id: &str, seq: u32, attempt: u32) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE activities SET attempt = ?3 WHERE run_id = ?1 AND seq = ?2")?
            .execute(params![run_id, seq, attempt])?;
        Ok(())
    }

    pub(crate) fn delete_activity(&self, run_id: &str, seq: u32) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM activities WHERE run_id = ?1 AND seq = ?2")?
            .execute(params![run_id, seq])?;
        Ok(())
    }

    pub(crate) fn activities(&self) -> StoreResult<Vec<ActivityRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT run_id, seq, workflow_id, task_queue, activity_type, input, options, attempt, scheduled_ms
             FROM activities",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, u32>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        rows.map(|row| {
            let (run_id, seq, workflow_id, task_queue, activity_type, input, options, attempt, scheduled) = row?;
            Ok(ActivityRow {
                run_id,
                seq,
                workflow_id,
                task_queue,
                activity_type,
                input: from_json("activities", &input)?,
                options: from_json("activities", &options)?,
                attempt,
                scheduled_ms: scheduled as u64,
            })
        })
        .collect()
    }
}
