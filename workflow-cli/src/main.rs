//! `workflow`: inspect and drive the workflows of an embedded SQLite file.
//!
//! Reads work on a file no process has open. Signals, cancellations and
//! terminations are durable requests that the process running the worker
//! applies now, or when it next opens the file; queries and updates wait
//! for that process's answer.

mod commands;
mod format;
mod schedules;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use workflow::codec::AesGcmCodec;
use workflow::WorkflowStatus;

/// Inspect and drive the workflows of an embedded workflow file.
#[derive(Parser)]
#[command(name = "workflow", version)]
struct Cli {
    /// The SQLite file an engine keeps its workflows in.
    #[arg(long, env = "WORKFLOW_DB", global = true, value_name = "FILE")]
    db: Option<PathBuf>,

    /// The AES-256 key (32 bytes, raw or as 64 hex digits) the file's
    /// engine encrypts payloads with (`AesGcmCodec`); without it, encrypted
    /// payloads show by encoding and size.
    #[arg(
        long,
        env = "WORKFLOW_CODEC_KEY",
        global = true,
        value_name = "KEY_FILE",
        requires = "codec_key_id"
    )]
    codec_key: Option<PathBuf>,

    /// The key's id, as the engine names it (`AesGcmCodec::new(id, key)`).
    #[arg(long, env = "WORKFLOW_CODEC_KEY_ID", global = true, value_name = "ID")]
    codec_key_id: Option<String>,

    #[command(subcommand)]
    command: Command,
}

/// One subcommand.
#[derive(Subcommand)]
enum Command {
    /// List workflow runs, newest first.
    List {
        /// Only runs with this status (running, completed, failed, canceled, terminated, continued-as-new,
        /// timed-out).
        #[arg(long, conflicts_with = "query")]
        status: Option<WorkflowStatus>,
        /// Only runs of this workflow type.
        #[arg(long = "type", value_name = "TYPE", conflicts_with = "query")]
        workflow_type: Option<String>,
        /// Only runs a visibility query selects, e.g.
        /// "WorkflowType = 'Order' AND CustomerId = 'c-42' ORDER BY StartTime".
        #[arg(long, short)]
        query: Option<String>,
        /// At most this many runs.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Count the runs a visibility query selects (all runs without one).
    Count {
        /// The visibility query, as `list --query` takes it.
        #[arg(long, short)]
        query: Option<String>,
    },
    /// Show a workflow's status and counters.
    Describe {
        #[command(flatten)]
        target: Target,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a workflow's history.
    Show {
        #[command(flatten)]
        target: Target,
        /// Print the history as JSON, as `Replayer::replay_json` reads it.
        #[arg(long)]
        json: bool,
    },
    /// Send a signal; each ARG is one JSON argument.
    Signal(#[command(flatten)] Message),
    /// Run a query and print its answer; each ARG is one JSON argument.
    Query(#[command(flatten)] Call),
    /// Run an update and print its result; each ARG is one JSON argument.
    Update(#[command(flatten)] Call),
    /// Ask a workflow to cancel; it sees the request at its next await.
    Cancel {
        #[command(flatten)]
        target: Target,
    },
    /// End a workflow at once, without running any more of its code.
    Terminate {
        #[command(flatten)]
        target: Target,
        /// Why, for the history.
        #[arg(long, default_value = "terminated from the command line")]
        reason: String,
    },
    /// Delete closed runs (and their histories) older than a retention.
    Prune {
        /// Delete runs closed longer ago than this, e.g. `7d`, `12h`, `30m`.
        #[arg(long, default_value = "7d", value_parser = parse_duration)]
        older_than: Duration,
    },
    /// Create, list, describe, pause, unpause, trigger or delete a schedule.
    #[command(subcommand)]
    Schedule(schedules::ScheduleCommand),
    /// Serve a web UI of the file: runs, histories, schedules and actions.
    ///
    /// A loopback address is served without a token; any other needs one,
    /// generated and printed in the URL unless given.
    Ui {
        /// The address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8233")]
        addr: std::net::SocketAddr,
        /// The access token (16 or more letters, digits, `-` or `_`).
        #[arg(long, env = "WORKFLOW_UI_TOKEN", value_parser = parse_token)]
        token: Option<workflow_ui::Token>,
    },
    /// Copy the file with SQLite's online backup, safe while its owner runs.
    Backup {
        /// Where the copy goes; an existing file is never overwritten.
        #[arg(value_name = "OUT")]
        out: PathBuf,
    },
}

/// Which workflow a command is about.
#[derive(clap::Args)]
struct Target {
    /// The workflow id.
    #[arg(value_name = "ID")]
    workflow_id: String,
    /// A run of it other than the latest.
    #[arg(long = "run", value_name = "RUN_ID")]
    run_id: Option<String>,
}

/// A named message to a workflow: a signal, query or update.
#[derive(clap::Args)]
struct Message {
    #[command(flatten)]
    target: Target,
    /// The handler's name.
    name: String,
    /// Arguments, one JSON value each.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

/// A message whose answer comes from the process running the worker.
#[derive(clap::Args)]
struct Call {
    #[command(flatten)]
    message: Message,
    /// How long to wait for the process running the worker, e.g. `10s`, `500ms`.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    timeout: Duration,
}

/// Parses `500ms`, `10s`, `2m`, `12h`, `7d` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 500ms, 2m, 7d)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        _ => return Err(format!("unknown unit `{unit}` in `{text}` (use ms, s, m, h or d)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// Reads an access token given by hand.
fn parse_token(text: &str) -> Result<workflow_ui::Token, String> {
    workflow_ui::Token::new(text).map_err(|e| e.to_string())
}

/// The codec of the key in `path` (32 raw bytes or 64 hex digits), named `id`.
fn read_key(path: &Path, id: String) -> Result<AesGcmCodec, String> {
    let key = std::fs::read(path).map_err(|e| format!("cannot read the codec key {}: {e}", path.display()))?;
    AesGcmCodec::from_key(id, &key).map_err(|e| format!("the codec key {}: {}", path.display(), e.message))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(db) = cli.db else {
        eprintln!("error: no workflow file given: pass `--db FILE` or set WORKFLOW_DB");
        return ExitCode::from(2);
    };
    // Several threads, so the web UI serves one request while another reads
    // the file.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let codec = match (cli.codec_key, cli.codec_key_id) {
        (Some(path), Some(id)) => match read_key(&path, id) {
            Ok(codec) => Some(codec),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    match runtime.block_on(commands::run(&db, codec, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
