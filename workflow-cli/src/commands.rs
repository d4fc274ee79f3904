//! What each subcommand does, against a [`StoreFile`].

use std::path::Path;

use serde_json::Value;
use workflow::codec::AesGcmCodec;
use workflow::{ListFilter, StoreFile, Untyped, WorkflowHandle};

use crate::format::{attributes_json, event_details, memo_json, utc, Table};
use crate::{Call, Command, Message, Target};

pub(crate) type Outcome = Result<(), String>;

/// The columns of a list of runs.
const RUN_COLUMNS: [&str; 5] = ["WORKFLOW ID", "TYPE", "STATUS", "STARTED (UTC)", "RUN ID"];

/// Runs one subcommand against the file at `db`, reading its payloads
/// through `codec` when given.
pub(crate) async fn run(db: &Path, codec: Option<AesGcmCodec>, command: Command) -> Outcome {
    let file = StoreFile::open(db).map_err(|e| e.to_string())?;
    let file = match codec {
        Some(codec) => file.with_codec(codec),
        None => file,
    };
    match command {
        Command::List {
            query: Some(query),
            limit,
            json,
            ..
        } => {
            let page = file
                .client()
                .list_workflows_page(&query, limit, None)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                return print_json(&page.runs);
            }
            let mut table = Table::new(RUN_COLUMNS);
            for run in page.runs {
                let started = utc(run.start_time_ms);
                table.row([
                    run.workflow_id,
                    run.workflow_type,
                    run.status.to_string(),
                    started,
                    run.run_id,
                ]);
            }
            emit(&table.to_string())
        }
        Command::Schedule(command) => crate::schedules::run(&file, command).await,
        Command::Count { query } => {
            let query = query.unwrap_or_default();
            let count = file.client().count_workflows(&query).await.map_err(|e| e.to_string())?;
            emit(&count.to_string())
        }
        Command::List {
            status,
            workflow_type,
            limit,
            json,
            query: None,
        } => {
            let mut filter = ListFilter::new().limit(limit);
            if let Some(status) = status {
                filter = filter.status(status);
            }
            if let Some(name) = workflow_type {
                filter = filter.workflow_type(name);
            }
            let runs = file.list(&filter).map_err(|e| e.to_string())?;
            if json {
                return print_json(&runs);
            }
            let mut table = Table::new(RUN_COLUMNS);
            for run in runs {
                let status = match &run.task_failure {
                    Some(_) => format!("{} (task failing)", run.status),
                    None => run.status.to_string(),
                };
                table.row([
                    run.workflow_id,
                    run.workflow_type,
                    status,
                    utc(run.start_time_ms),
                    run.run_id,
                ]);
            }
            emit(&table.to_string())
        }
        Command::Ui { addr, token } => {
            let server = workflow_ui::UiServer::bind(file, addr, token)
                .await
                .map_err(|e| e.to_string())?;
            emit(&format!("serving {} at {}", db.display(), server.url()))?;
            server.run().await.map_err(|e| e.to_string())
        }
        Command::Prune { older_than } => {
            let deleted = file.prune(older_than).map_err(|e| e.to_string())?;
            emit(&format!("deleted {deleted} closed run(s) older than {older_than:?}"))
        }
        Command::Backup { out } => {
            file.backup(&out).map_err(|e| e.to_string())?;
            emit(&format!("backed up {} to {}", db.display(), out.display()))
        }
        Command::Describe { target, json } => {
            let d = handle(&file, &target).describe().await.map_err(|e| e.to_string())?;
            if json {
                return print_json(&d);
            }
            let mut table = Table::plain();
            table.row(["workflow id", &d.workflow_id]);
            table.row(["run id", &d.run_id]);
            table.row(["type", &d.workflow_type]);
            table.row(["task queue", &d.task_queue]);
            table.row(["status", &d.status.to_string()]);
            table.row(["started", &utc(d.start_time_ms)]);
            table.row(["closed", &d.close_time_ms.map(utc).unwrap_or_else(|| "-".to_owned())]);
            table.row(["history events", &d.history_length.to_string()]);
            table.row(["signals received", &d.signals_received.to_string()]);
            if !d.memo.is_empty() {
                table.row(["memo", &memo_json(&d.memo).to_string()]);
            }
            if !d.search_attributes.is_empty() {
                table.row(["attributes", &attributes_json(&d.search_attributes).to_string()]);
            }
            if !d.unhandled_signals.is_empty() {
                table.row(["unhandled signals", &d.unhandled_signals.join(", ")]);
            }
            if let Some(failure) = &d.task_failure {
                table.row(["task failure", failure]);
            }
            if d.pending_activities.is_empty() {
                return emit(&table.to_string());
            }
            let mut activities = Table::new([
                "ACTIVITY",
                "ID",
                "STATE",
                "ATTEMPT",
                "NEXT ATTEMPT (UTC)",
                "LAST FAILURE",
            ]);
            for a in &d.pending_activities {
                activities.row([
                    a.activity_type.clone(),
                    a.activity_id.clone(),
                    workflow_ui::present::activity_state(a.state).to_owned(),
                    a.attempt.to_string(),
                    a.next_attempt_time_ms.map(utc).unwrap_or_else(|| "-".to_owned()),
                    a.last_failure
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "-".to_owned()),
                ]);
            }
            emit(&format!("{table}\npending activities:\n{activities}"))
        }
        Command::Show { target, json } => {
            let history = handle(&file, &target)
                .fetch_history()
                .await
                .map_err(|e| e.to_string())?;
            if json {
                return emit(&history.to_json());
            }
            let mut table = Table::new(["ID", "TIME (UTC)", "EVENT", "DETAILS"]);
            for event in &history.events {
                table.row([
                    event.id.to_string(),
                    utc(event.time_ms),
                    event.kind.name().to_owned(),
                    event_details(&event.kind),
                ]);
            }
            emit(&table.to_string())
        }
        Command::Signal(Message { target, name, args }) => {
            let args = json_args(&args)?;
            let owned = file.is_owned();
            handle(&file, &target)
                .signal_by_name(&name, args)
                .await
                .map_err(|e| e.to_string())?;
            delivered(&file, owned, &format!("signal `{name}`"), &target)?;
            if owned {
                warn_if_unhandled(&file, &target, &name).await;
            }
            Ok(())
        }
        Command::Query(call) => {
            let (handle, name, args) = prepare(&file, call)?;
            let answer: Value = handle.query_by_name(&name, args).await.map_err(|e| e.to_string())?;
            print_json(&answer)
        }
        Command::Update(call) => {
            let (handle, name, args) = prepare(&file, call)?;
            let result: Value = handle
                .execute_update_by_name(&name, args)
                .await
                .map_err(|e| e.to_string())?;
            print_json(&result)
        }
        Command::Cancel { target } => {
            let owned = file.is_owned();
            handle(&file, &target).cancel().await.map_err(|e| e.to_string())?;
            delivered(&file, owned, "cancellation request", &target)
        }
        Command::Terminate { target, reason } => {
            let owned = file.is_owned();
            handle(&file, &target)
                .terminate(&reason)
                .await
                .map_err(|e| e.to_string())?;
            delivered(&file, owned, "termination", &target)
        }
    }
}

fn handle(file: &StoreFile, target: &Target) -> WorkflowHandle<Untyped> {
    let handle = file.client().get_workflow_handle(&target.workflow_id);
    match &target.run_id {
        Some(run_id) => handle.with_run_id(run_id),
        None => handle,
    }
}

/// The handle, name and decoded arguments of a query or update.
fn prepare(file: &StoreFile, call: Call) -> Result<(WorkflowHandle<Untyped>, String, Vec<Value>), String> {
    let Message { target, name, args } = call.message;
    let file = file.clone().reply_timeout(call.timeout);
    Ok((handle(&file, &target), name, json_args(&args)?))
}

/// Reports a durable request: applied by the owner, or queued for it.
fn delivered(file: &StoreFile, owned: bool, what: &str, target: &Target) -> Outcome {
    emit(&workflow_ui::present::delivery(
        what,
        &target.workflow_id,
        owned,
        file.path(),
    ))
}

/// Warns of a signal with no handler, since a typo would otherwise pass in
/// silence.
async fn warn_if_unhandled(file: &StoreFile, target: &Target, name: &str) {
    if let Some(warning) = workflow_ui::present::unhandled_signal_warning(&handle(file, target), name).await {
        eprintln!("{warning}");
    }
}

/// Parses each argument as one JSON value, worded as the web UI words it.
pub(crate) fn json_args(args: &[String]) -> Result<Vec<Value>, String> {
    workflow_ui::present::json_args(args).map_err(|e| e.to_string())
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    emit(&text)
}

/// Prints `text` as a line (unless it ends one already); a closed pipe
/// (`workflow show .. | head`) is not an error.
pub(crate) fn emit(text: &str) -> Outcome {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    match out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(newline.as_bytes()))
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}
