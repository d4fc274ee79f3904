//! The child process: an engine and its worker on the parent's SQLite file,
//! serving the line protocol described in `main.rs`.

use std::future::Future;
use std::io::{BufRead, Write};
use std::pin::Pin;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use workflow::{ClientError, Engine, Limits, StartOptions, WaitStage, WorkflowHandle};

use crate::target::{increment, progress, record, CrashTarget, TASK_QUEUE, WORKFLOW_ID};

/// The environment variable that turns the test binary into a child; its
/// value is the engine file.
pub const CHILD_ENV: &str = "WORKFLOW_CRASH_CHILD";
/// The prefix of protocol lines; the test harness writes to stdout too.
pub const MARKER: &str = "@@ ";

type Call = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Writes one protocol line and flushes it, so it is in the pipe (and
/// survives a kill) as soon as this returns.
pub fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // The parent may be gone; nothing to do about it then.
    let _ = writeln!(out, "{MARKER}{line}").and_then(|()| out.flush());
}

/// Serves the protocol until stdin closes, then closes the engine.
pub fn serve(path: &str) {
    let runtime = crate::target::runtime();
    runtime.block_on(async {
        // Updates are sent many at a time, past Temporal's 10 in flight.
        let limits = Limits {
            max_in_flight_updates: usize::MAX,
            ..Limits::default()
        };
        let engine = match Engine::builder().limits(limits).open(path) {
            Ok(engine) => engine,
            Err(e) => return emit(&format!("fatal cannot open the engine: {e}")),
        };
        let worker = engine
            .worker(TASK_QUEUE)
            .workflow::<CrashTarget>()
            .activity(record)
            .activity(progress)
            .activity(increment)
            .start();
        let _worker = match worker {
            Ok(worker) => worker,
            Err(e) => return emit(&format!("fatal cannot start the worker: {e}")),
        };
        let handle = match start(&engine).await {
            Ok(handle) => handle,
            Err(e) => return emit(&format!("fatal cannot start the workflow: {e}")),
        };
        emit("ready");
        dispatch(handle, read_stdin()).await;
        engine.close();
    });
}

/// Starts the workflow, unless a previous child started it.
async fn start(engine: &Engine) -> Result<WorkflowHandle<CrashTarget>, ClientError> {
    let client = engine.client();
    let options = StartOptions::new(WORKFLOW_ID).task_queue(TASK_QUEUE);
    match client.start_workflow(CrashTarget::run, (), options).await {
        Err(ClientError::AlreadyStarted { .. }) => Ok(client.get_workflow_handle_for(CrashTarget::run, WORKFLOW_ID)),
        started => started,
    }
}

/// The lines of stdin, read on a thread of their own.
fn read_stdin() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Runs each command concurrently, but issues them in arrival order: a call
/// is polled once (which hands it to the engine) before the next line is read.
async fn dispatch(handle: WorkflowHandle<CrashTarget>, mut lines: mpsc::UnboundedReceiver<String>) {
    let mut calls = JoinSet::new();
    while let Some(line) = lines.recv().await {
        let mut call = match command(&handle, &line) {
            Some(call) => call,
            None => {
                emit(&format!("err protocol - unknown command `{line}`"));
                continue;
            }
        };
        if futures::poll!(&mut call).is_pending() {
            calls.spawn(call);
        }
        while calls.try_join_next().is_some() {}
    }
    while calls.join_next().await.is_some() {}
}

/// The call a command line asks for; it reports its own outcome.
fn command(handle: &WorkflowHandle<CrashTarget>, line: &str) -> Option<Call> {
    let handle = handle.clone();
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["signal", n] => {
            let n: u64 = n.parse().ok()?;
            Some(Box::pin(async move {
                match handle.signal(CrashTarget::add, n).await {
                    Ok(()) => emit(&format!("ack signal {n}")),
                    Err(e) => emit(&format!("err signal {n} {e}")),
                }
            }))
        }
        ["update", key, n] => {
            let (key, n) = (key.to_string(), n.parse().ok()?);
            Some(Box::pin(update(handle, key, n)))
        }
        _ => None,
    }
}

/// Sends `apply(key, n)`, reporting its durable acceptance (with the update
/// id the client chose) and then its result.
async fn update(handle: WorkflowHandle<CrashTarget>, key: String, n: u64) {
    let accepted = match handle
        .start_update_with_id(CrashTarget::apply, (key.clone(), n), key.clone(), WaitStage::Accepted)
        .await
    {
        Ok(accepted) => accepted,
        Err(e) => return emit(&format!("err update {key} {e}")),
    };
    emit(&format!("accepted {key} {}", accepted.id()));
    match accepted.result().await {
        Ok(result) => emit(&format!("ack update {key} {result}")),
        Err(e) => emit(&format!("err update {key} {e}")),
    }
}
