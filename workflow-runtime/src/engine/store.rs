//! The SQLite store: runs, history events, timers and scheduled activities.
//!
//! One connection, owned by the engine thread. Every batch of requests is one
//! transaction; WAL with `synchronous=FULL` makes each commit durable.

use std::path::Path;

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
";

pub(crate) struct Store {
    conn: Connection,
    durable: bool,
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
    /// Opens (creating if needed) the store at `path`, or in memory.
    pub(crate) fn open(path: Option<&Path>) -> StoreResult<Store> {
        let conn = match path {
            Some(path) => Connection::open(path)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_millis(200))?;
        if path.is_some() {
            // One engine per file: a second one would apply the same runs twice.
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        conn.execute_batch(SCHEMA)?;
        if path.is_some() {
            // Take the write lock now, so a second engine fails at open rather than later.
            conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Store {
            conn,
            durable: path.is_some(),
        })
    }

    /// Whether commits reach a file (and pay for a sync).
    pub(crate) fn is_durable(&self) -> bool {
        self.durable
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
