//! The store's schema version and the migrations that bring an older file
//! forward, in order. SQLite's `user_version` holds the version; 0 is the
//! first release's file, which had none.
//!
//! A file from a newer release is refused before anything is written to it.

use rusqlite::{params, Connection, Transaction};
use workflow_client::{ActivityOptions, Event, ParentInfo, Payload};

use super::record::{self, ActivityOptionsRecord, EventRecord, PayloadRecord};
use super::{Progress, StoreError, StoreResult};

/// The version this release reads and writes.
pub(crate) const VERSION: i64 = 7;

/// The schema of version 1. A new file is created with it and brought
/// forward by the migrations after it, so the current schema is always
/// that of a migrated file.
const SCHEMA_V1: &str = "
CREATE TABLE runs (
    run_key INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    workflow_type TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    status TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    close_ms INTEGER,
    next_run_id TEXT,
    parent_workflow_id TEXT,
    parent_run_id TEXT,
    parent_seq INTEGER,
    history_length INTEGER NOT NULL,
    inputs_from INTEGER NOT NULL,
    signals_received INTEGER NOT NULL,
    unhandled_signals TEXT,
    task_failure TEXT
);
CREATE INDEX runs_with_inputs ON runs(run_key) WHERE status = 'Running' AND inputs_from <= history_length;
CREATE INDEX runs_closed ON runs(close_ms) WHERE close_ms IS NOT NULL;
CREATE INDEX runs_children ON runs(parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_started ON runs(start_ms);
CREATE TABLE workflows (
    workflow_id TEXT PRIMARY KEY,
    run_key INTEGER NOT NULL
);
CREATE TABLE events (
    run_key INTEGER NOT NULL,
    id INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_key, id)
) WITHOUT ROWID;
CREATE TABLE timers (
    run_key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    fire_at_ms INTEGER NOT NULL,
    PRIMARY KEY (run_key, seq)
) WITHOUT ROWID;
CREATE TABLE activities (
    run_key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    task_queue TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    input BLOB NOT NULL,
    options BLOB NOT NULL,
    attempt INTEGER NOT NULL,
    scheduled_ms INTEGER NOT NULL,
    PRIMARY KEY (run_key, seq)
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

/// One step forward: `MIGRATIONS[n]` takes a file from version `n` to `n + 1`.
type Migration = fn(&Transaction<'_>) -> StoreResult<()>;

const MIGRATIONS: [Migration; VERSION as usize] =
    [v0_to_v1, v1_to_v2, v2_to_v3, v3_to_v4, v4_to_v5, v5_to_v6, v6_to_v7];

/// The file's schema version.
pub(crate) fn version(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Whether the file has no tables yet (just created).
pub(crate) fn is_empty(conn: &Connection) -> StoreResult<bool> {
    Ok(conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM sqlite_master)", [], |r| r.get(0))?)
}

/// Refuses a file this release cannot read, before anything is written.
pub(crate) fn check(conn: &Connection) -> StoreResult<()> {
    let found = version(conn)?;
    if found > VERSION {
        return Err(StoreError::Newer {
            found,
            supported: VERSION,
        });
    }
    if found == 0 && !is_empty(conn)? {
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
    }
    Ok(())
}

/// Brings the file to [`VERSION`]: creates version 1's schema in a new
/// file, then runs the migrations from the file's version on, each in its
/// own transaction.
pub(crate) fn upgrade(conn: &mut Connection) -> StoreResult<()> {
    check(conn)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if is_empty(&tx)? {
        tx.execute_batch(SCHEMA_V1)?;
        set_version(&tx, 1)?;
    }
    tx.commit()?;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Read again inside the transaction: another process may have migrated it.
        let from = version(&tx)?;
        if from >= VERSION {
            return Ok(());
        }
        tracing::info!(from, to = from + 1, "migrating the workflow store");
        MIGRATIONS[from as usize](&tx)?;
        set_version(&tx, from + 1)?;
        tx.commit()?;
    }
}

fn set_version(tx: &Transaction<'_>, version: i64) -> StoreResult<()> {
    tx.pragma_update(None, "user_version", version)?;
    Ok(())
}

/// A row of version 0's `runs` table.
struct V0Run {
    run_id: String,
    workflow_id: String,
    workflow_type: String,
    task_queue: String,
    status: String,
    start_ms: i64,
    close_ms: Option<i64>,
    next_run_id: Option<String>,
    parent: Option<ParentInfo>,
}

/// Version 0 to 1: integer run keys, events and activity data as records
/// instead of the JSON of public types, and each run's counters in its row.
///
/// Version 0 rows hold the JSON that the public `Event`, `Payload` and
/// `ActivityOptions` serialized to in the first release; they are read
/// with those types (the fixture test pins that they still read it). An
/// event that does not parse is copied as its text, which no record
/// decodes, so only its run is marked.
fn v0_to_v1(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "ALTER TABLE runs RENAME TO runs_v0;
         ALTER TABLE workflows RENAME TO workflows_v0;
         ALTER TABLE events RENAME TO events_v0;
         ALTER TABLE timers RENAME TO timers_v0;
         ALTER TABLE activities RENAME TO activities_v0;
         DROP INDEX IF EXISTS runs_open;",
    )?;
    tx.execute_batch(SCHEMA_V1)?;
    let runs: Vec<V0Run> = {
        let mut stmt = tx.prepare(
            "SELECT run_id, workflow_id, workflow_type, task_queue, status, start_ms, close_ms, next_run_id, parent
             FROM runs_v0 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(V0Run {
                run_id: r.get(0)?,
                workflow_id: r.get(1)?,
                workflow_type: r.get(2)?,
                task_queue: r.get(3)?,
                status: r.get(4)?,
                start_ms: r.get(5)?,
                close_ms: r.get(6)?,
                next_run_id: r.get(7)?,
                parent: r
                    .get::<_, Option<String>>(8)?
                    .and_then(|p| serde_json::from_str(&p).ok()),
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut events_of = tx.prepare("SELECT id, data FROM events_v0 WHERE run_id = ?1 ORDER BY id")?;
    let mut insert_event = tx.prepare("INSERT INTO events (run_key, id, time_ms, data) VALUES (?1, ?2, ?3, ?4)")?;
    for run in runs {
        let parent = run.parent.as_ref();
        tx.execute(
            "INSERT INTO runs (run_id, workflow_id, workflow_type, task_queue, status, start_ms, close_ms,
                 next_run_id, parent_workflow_id, parent_run_id, parent_seq,
                 history_length, inputs_from, signals_received)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, 1, 0)",
            params![
                run.run_id,
                run.workflow_id,
                run.workflow_type,
                run.task_queue,
                run.status,
                run.start_ms,
                run.close_ms,
                run.next_run_id,
                parent.map(|p| &p.workflow_id),
                parent.map(|p| &p.run_id),
                parent.map(|p| p.seq),
            ],
        )?;
        let run_key = tx.last_insert_rowid();
        let raw: Vec<(i64, String)> = events_of
            .query_map(params![run.run_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut events = Vec::with_capacity(raw.len());
        let mut unreadable = None;
        for (id, text) in raw {
            match serde_json::from_str::<Event>(&text) {
                Ok(event) => {
                    insert_event.execute(params![
                        run_key,
                        id,
                        event.time_ms as i64,
                        record::encode(&EventRecord::from(&event.kind))?
                    ])?;
                    events.push(event);
                }
                Err(e) => {
                    unreadable.get_or_insert(format!("history event {id} cannot be decoded: {e}"));
                    let time_ms: i64 = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v.get("time_ms").and_then(|t| t.as_i64()))
                        .unwrap_or(0);
                    insert_event.execute(params![run_key, id, time_ms, text.into_bytes()])?;
                }
            }
        }
        let mut progress = Progress::from_history(&events);
        if unreadable.is_some() {
            progress.task_failure = unreadable;
        }
        super::save_progress(tx, super::RunKey(run_key), &progress)?;
    }
    drop(events_of);
    drop(insert_event);
    tx.execute_batch(
        "INSERT INTO workflows (workflow_id, run_key)
             SELECT w.workflow_id, r.run_key FROM workflows_v0 w JOIN runs r ON r.run_id = w.run_id;
         INSERT INTO timers (run_key, seq, fire_at_ms)
             SELECT r.run_key, t.seq, t.fire_at_ms FROM timers_v0 t JOIN runs r ON r.run_id = t.run_id;",
    )?;
    let mut stmt = tx.prepare(
        "SELECT r.run_key, a.seq, a.task_queue, a.activity_type, a.input, a.options, a.attempt, a.scheduled_ms
         FROM activities_v0 a JOIN runs r ON r.run_id = a.run_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt {
            table: "activities",
            message: e.to_string(),
        };
        let input: Vec<Payload> = serde_json::from_str(&r.get::<_, String>(4)?).map_err(corrupt)?;
        let options: ActivityOptions = serde_json::from_str(&r.get::<_, String>(5)?).map_err(corrupt)?;
        let input: Vec<PayloadRecord> = input.iter().map(PayloadRecord::from).collect();
        tx.execute(
            "INSERT INTO activities (run_key, seq, task_queue, activity_type, input, options, attempt, scheduled_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.get::<_, i64>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                record::encode(&input)?,
                record::encode(&ActivityOptionsRecord::from(&options))?,
                r.get::<_, u32>(6)?,
                r.get::<_, i64>(7)?,
            ],
        )?;
    }
    drop(rows);
    drop(stmt);
    tx.execute_batch(
        "DROP TABLE runs_v0; DROP TABLE workflows_v0; DROP TABLE events_v0;
         DROP TABLE timers_v0; DROP TABLE activities_v0;",
    )?;
    Ok(())
}

/// Version 1 to 2: histories may hold patch markers (`ctx.patched`), an
/// event record version 1 cannot decode. The tables are unchanged; the new
/// version keeps a release that predates markers from opening the file.
fn v1_to_v2(_tx: &Transaction<'_>) -> StoreResult<()> {
    Ok(())
}

/// Version 2 to 3: what describing an activity and resuming it need. Each
/// scheduled activity keeps its last heartbeat's details and time (the next
/// attempt reads them, also after a crash), its last attempt's failure and
/// when the next attempt is due, and whether the workflow asked it to stop
/// while an attempt ran. Histories may hold `ActivityTaskCanceled` events
/// and heartbeat timeouts, which version 2 cannot decode.
fn v2_to_v3(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "ALTER TABLE activities ADD COLUMN heartbeat BLOB;
         ALTER TABLE activities ADD COLUMN heartbeat_ms INTEGER;
         ALTER TABLE activities ADD COLUMN last_failure BLOB;
         ALTER TABLE activities ADD COLUMN next_attempt_ms INTEGER;
         ALTER TABLE activities ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;",
    )?;
    Ok(())
}

/// Version 4 runs local activities, kept in the activities table while
/// they run so a crash does not lose them, and records their outcome as a
/// new kind of marker event. An activity keeps its cancellation type, which
/// decides when a canceled local activity's marker is recorded.
fn v3_to_v4(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "ALTER TABLE activities ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE activities ADD COLUMN cancellation_type INTEGER NOT NULL DEFAULT 0;",
    )?;
    Ok(())
}

/// Version 5 keeps what a start asks of a run beyond its history: its
/// timeouts, retry policy, attempt and delayed first task (`options`, a
/// record; `due_ms`, when the engine must next look at it, indexed so
/// opening a file arms only those), its memo, and its search attributes,
/// one row per value, indexed by value for visibility queries. Histories
/// may hold a timed-out closing event and a started event with an attempt.
fn v4_to_v5(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "ALTER TABLE runs ADD COLUMN options BLOB;
         ALTER TABLE runs ADD COLUMN due_ms INTEGER;
         ALTER TABLE runs ADD COLUMN memo BLOB;
         CREATE INDEX runs_due ON runs(due_ms) WHERE status = 'Running' AND due_ms IS NOT NULL;
         CREATE TABLE search_attributes (
             run_key INTEGER NOT NULL,
             name TEXT NOT NULL,
             value NOT NULL,
             PRIMARY KEY (run_key, name, value)
         ) WITHOUT ROWID;
         CREATE INDEX search_attributes_by_value ON search_attributes(name, value, run_key);
         CREATE TABLE search_attribute_types (
             name TEXT PRIMARY KEY,
             type TEXT NOT NULL
         );",
    )?;
    Ok(())
}

/// Version 6 keeps schedules: each one's definition (spec, action,
/// policies) and state (what it processed, buffered, ran), as JSON.
fn v5_to_v6(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "CREATE TABLE schedules (
             schedule_key INTEGER PRIMARY KEY,
             schedule_id TEXT NOT NULL UNIQUE,
             definition TEXT NOT NULL,
             state TEXT NOT NULL
         );",
    )?;
    Ok(())
}

/// Version 7 keeps headers: history events may carry them (an event record
/// version 6 cannot decode), and each scheduled activity keeps the headers
/// its attempts see. Requests waiting in the inbox name a signal's or a
/// query's handler, arguments and headers in one object, where version 6
/// listed the name and arguments on their own.
fn v6_to_v7(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch("ALTER TABLE activities ADD COLUMN header BLOB;")?;
    let pending: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, body FROM requests")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, body) in pending {
        if let Some(body) = message_request_v7(&body) {
            tx.execute("UPDATE requests SET body = ?2 WHERE id = ?1", params![id, body])?;
        }
    }
    Ok(())
}

/// A version 6 signal or query request, `{"Signal": [target, name, args]}`,
/// in version 7's form `{"Signal": [target, {"name": name, "args": args}]}`;
/// `None` for any other request.
fn message_request_v7(body: &str) -> Option<String> {
    let serde_json::Value::Object(mut request) = serde_json::from_str(body).ok()? else {
        return None;
    };
    let (kind, fields) = request.iter_mut().next()?;
    if kind != "Signal" && kind != "Query" {
        return None;
    }
    let serde_json::Value::Array(fields) = fields else {
        return None;
    };
    let [target, name, args] = std::mem::take(fields).try_into().ok()?;
    *fields = vec![target, serde_json::json!({ "name": name, "args": args })];
    serde_json::to_string(&request).ok()
}
