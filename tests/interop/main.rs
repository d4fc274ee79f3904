//! Interop with Temporal's Python SDK on a real server, both directions:
//! a Rust client and a Rust workflow drive a Python worker, and a Python
//! client drives a Rust worker. Skipped (with the reason printed) unless
//! `WORKFLOW_TEMPORAL_ADDRESS` and `WORKFLOW_PYTHON` are set, as `.ci/run` does.

#[allow(dead_code)]
#[path = "../semantics/workflows.rs"]
mod workflows;

#[allow(dead_code)]
#[path = "../semantics/reminder.rs"]
mod reminder;

mod temporal_cli;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

use reminder::{markers, until_waiting, ReminderV1, ReminderV2};
use workflow::codec::AesGcmCodec;
use workflow::{ClientError, ConnectOptions, Engine, EventKind, ReplayError, Replayer, StartOptions, Untyped};
use workflows::{greet, GreetingWorkflow, Relay};

/// Where the server and the Python interpreter are, or `None` to skip.
struct Setup {
    address: String,
    python: String,
}

fn setup() -> Option<Setup> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("WORKFLOW_TEMPORAL_ADDRESS"), var("WORKFLOW_PYTHON")) {
        (Some(address), Some(python)) => Some(Setup { address, python }),
        _ => {
            eprintln!("skipped: WORKFLOW_TEMPORAL_ADDRESS and WORKFLOW_PYTHON must both be set (.ci/run sets them)");
            None
        }
    }
}

fn unique(base: &str) -> String {
    format!("{base}-{}", &workflow::crates::client::id::unique_id()[..8])
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// A Python worker serving `PyGreeting` and `Reminder`; it stops when
/// dropped.
struct PythonWorker {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl PythonWorker {
    fn start(setup: &Setup, task_queue: &str) -> PythonWorker {
        let mut child = Command::new(&setup.python)
            .arg(script("py_worker.py"))
            .args(["--address", &setup.address, "--task-queue", task_queue])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the Python worker starts");
        let stdin = child.stdin.take().expect("piped");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the Python worker reports");
        assert_eq!(line.trim(), "ready", "the Python worker did not start");
        PythonWorker {
            child,
            stdin: Some(stdin),
        }
    }

    /// Stops the worker as a deploy does: it finishes its task and tells
    /// the server it is gone, so its runs' next tasks go to the next worker.
    fn stop(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("the Python worker exits");
        assert!(status.success(), "the Python worker failed to stop: {status}");
    }
}

impl Drop for PythonWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a Python script of this directory to its end; returns the one JSON
/// line it prints.
async fn run_python(setup: &Setup, name: &'static str, args: Vec<String>) -> serde_json::Value {
    let python = setup.python.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script(name))
            .args(args)
            .output()
            .expect("the Python script runs")
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "{name} failed ({}): {stderr}{stdout}",
        output.status
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}

async fn connect(setup: &Setup) -> Engine {
    Engine::connect(ConnectOptions::new(setup.address.clone()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_signals_queries_and_updates_a_python_workflow() {
    let Some(setup) = setup() else { return };
    let task_queue = unique("py-greet");
    let _python = PythonWorker::start(&setup, &task_queue);
    let client = connect(&setup).await.client();
    let options = StartOptions::<Untyped>::new(unique("py-greeting")).task_queue(&task_queue);
    let handle = client.start_workflow_by_name("PyGreeting", (), options).await.unwrap();

    handle.signal_by_name("submit_greeting", ("Rust",)).await.unwrap();
    let previous: String = handle
        .execute_update_by_name("set_language", ("French",))
        .await
        .unwrap();
    assert_eq!(previous, "English");
    match handle
        .execute_update_by_name::<String>("set_language", ("Klingon",))
        .await
    {
        Err(ClientError::UpdateRejected { name, failure }) => {
            assert_eq!(name, "set_language");
            assert_eq!(
                failure.application_error().unwrap().message(),
                "Klingon is not supported"
            );
        }
        other => panic!("expected the validator's rejection, got {other:?}"),
    }
    handle.signal_by_name("submit_greeting", ("Ferris",)).await.unwrap();
    let greetings: Vec<String> = handle.query_by_name("greetings", ()).await.unwrap();
    assert_eq!(greetings, ["Hello, Rust!", "Bonjour, Ferris !"]);
    handle.signal_by_name("exit", ()).await.unwrap();
    let result: Vec<String> = handle.result().await.unwrap().decode().unwrap();
    assert_eq!(result, greetings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_signal_with_start_reaches_a_python_workflow() {
    let Some(setup) = setup() else { return };
    let task_queue = unique("py-sws");
    let _python = PythonWorker::start(&setup, &task_queue);
    let client = connect(&setup).await.client();
    let options = StartOptions::<Untyped>::new(unique("py-sws"))
        .task_queue(&task_queue)
        .start_signal_by_name("submit_greeting", ("Signal with Start",));
    let handle = client.start_workflow_by_name("PyGreeting", (), options).await.unwrap();
    handle.signal_by_name("exit", ()).await.unwrap();
    let result: Vec<String> = handle.result().await.unwrap().decode().unwrap();
    assert_eq!(result, ["Hello, Signal with Start!"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_workflow_signals_a_python_workflow_through_an_external_handle() {
    let Some(setup) = setup() else { return };
    let python_queue = unique("py-target");
    let rust_queue = unique("rs-relay");
    let _python = PythonWorker::start(&setup, &python_queue);
    let engine = connect(&setup).await;
    let _worker = engine.worker(&rust_queue).workflow::<Relay>().start().unwrap();
    let client = engine.client();
    let target = client
        .start_workflow_by_name(
            "PyGreeting",
            (),
            StartOptions::<Untyped>::new(unique("py-target")).task_queue(&python_queue),
        )
        .await
        .unwrap();
    let names = vec!["Ada".to_owned(), "Grace".to_owned()];
    let relay = client
        .start_workflow(
            Relay::run,
            (target.id().to_owned(), names),
            StartOptions::new(unique("relay")).task_queue(&rust_queue),
        )
        .await
        .unwrap();
    relay.result().await.unwrap();
    let result: Vec<String> = target.result().await.unwrap().decode().unwrap();
    assert_eq!(result, ["Hello, Ada!", "Hello, Grace!"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_drives_a_rust_workflow() {
    let Some(setup) = setup() else { return };
    let task_queue = unique("rs-greet");
    let workflow_id = unique("rs-greeting");
    let engine = connect(&setup).await;
    let _worker = engine
        .worker(&task_queue)
        .workflow::<GreetingWorkflow>()
        .activity(greet)
        .start()
        .unwrap();
    let args = [
        "--address",
        &setup.address,
        "--task-queue",
        &task_queue,
        "--workflow-id",
        &workflow_id,
    ]
    .map(str::to_owned);
    let report = run_python(&setup, "py_client.py", args.to_vec()).await;
    assert_eq!(report["previous_language"], "English");
    assert_eq!(report["rejection"], "Klingon is not supported");
    let result: Vec<String> = serde_json::from_value(report["result"].clone()).unwrap();
    // The French update may reach the workflow in the same task as the start
    // signal, before the run greets "Python" through its activity.
    assert!(
        result == ["Hello, Python!", "Bonjour, Rust !"] || result == ["Bonjour, Python !", "Bonjour, Rust !"],
        "{result:?}"
    );
    assert_eq!(
        report["greetings_query"], report["result"],
        "a closed workflow answers queries"
    );
    // The Rust side sees what the Python client did.
    let handle = engine
        .client()
        .get_workflow_handle_for(GreetingWorkflow::run, &workflow_id);
    assert_eq!(handle.query(GreetingWorkflow::greetings, ()).await.unwrap(), result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_history_with_a_patch_marker_carries_on_under_the_rust_workflow() {
    let Some(setup) = setup() else { return };
    let task_queue = unique("py-patched");
    let python = PythonWorker::start(&setup, &task_queue);
    let engine = connect(&setup).await;
    let client = engine.client();
    let options = StartOptions::new(unique("py-patched")).task_queue(&task_queue);
    let handle = client.start_workflow(ReminderV1::run, (), options).await.unwrap();
    until_waiting(&handle).await;
    python.stop();
    assert_eq!(
        markers(&handle).await,
        [("shorter".to_owned(), false)],
        "Python recorded the marker"
    );

    // The Rust worker rebuilds the run from the Python worker's history.
    let _worker = engine.worker(&task_queue).workflow::<ReminderV2>().start().unwrap();
    handle.signal(ReminderV1::go, ()).await.unwrap();
    assert_eq!(handle.result().await.unwrap(), "new");

    let history = handle.fetch_history().await.unwrap();
    Replayer::new().workflow::<ReminderV2>().replay(&history).unwrap();
    let unpatched = Replayer::new().workflow::<ReminderV1>().replay(&history);
    assert!(
        matches!(unpatched, Err(ReplayError::Nondeterminism(_))),
        "{unpatched:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_histories_with_and_without_the_marker_carry_on_under_the_python_workflow() {
    let Some(setup) = setup() else { return };
    let task_queue = unique("rs-patched");
    let engine = connect(&setup).await;
    let client = engine.client();
    let start = |base: &str| {
        let options = StartOptions::new(unique(base)).task_queue(&task_queue);
        client.start_workflow(ReminderV1::run, (), options)
    };
    let worker = engine.worker(&task_queue).workflow::<ReminderV1>().start().unwrap();
    let old = start("rs-old").await.unwrap();
    until_waiting(&old).await;
    worker.shutdown();
    let worker = engine.worker(&task_queue).workflow::<ReminderV2>().start().unwrap();
    let new = start("rs-new").await.unwrap();
    until_waiting(&new).await;
    worker.shutdown();
    assert_eq!(markers(&old).await, []);
    assert_eq!(markers(&new).await, [("shorter".to_owned(), false)]);

    // The Python worker rebuilds both runs from the Rust worker's histories.
    let python = PythonWorker::start(&setup, &task_queue);
    for handle in [&old, &new] {
        handle.signal(ReminderV1::go, ()).await.unwrap();
    }
    assert_eq!(old.result().await.unwrap(), "old");
    assert_eq!(new.result().await.unwrap(), "new");
    python.stop();

    // And the Python SDK's replayer accepts both closed histories.
    let mut args = vec!["--address".to_owned(), setup.address.clone()];
    args.extend([old.id().to_owned(), new.id().to_owned()]);
    let report = run_python(&setup, "py_replay.py", args).await;
    assert_eq!(report[old.id()], "ok", "{report}");
    assert_eq!(report[new.id()], "ok", "{report}");
}

/// Echoes its argument: the Rust side of the codec interop test.
#[derive(Default)]
pub struct Echo;

#[workflow::defn]
impl Echo {
    #[workflow::run]
    async fn run(_ctx: &mut workflow::WorkflowContext<Self>, text: String) -> workflow::WorkflowResult<String> {
        Ok(format!("Rust echo: {text}"))
    }
}

/// The key and key id of Temporal's Python encryption sample, as
/// `py_encrypted.py` uses them.
fn sample_codec() -> AesGcmCodec {
    AesGcmCodec::new("test-key-id", *b"test-key-test-key-test-key-test!")
}

/// The first payload of the run's start and of its completion, as the
/// server holds them.
async fn stored_payloads(client: &workflow::Client, workflow_id: &str) -> (workflow::Payload, workflow::Payload) {
    let history = client.get_workflow_handle(workflow_id).fetch_history().await.unwrap();
    let mut input = None;
    let mut result = None;
    for event in history.events {
        match event.kind {
            EventKind::WorkflowExecutionStarted { input: i, .. } => input = i.into_iter().next(),
            EventKind::WorkflowExecutionCompleted { result: r } => result = Some(r),
            _ => {}
        }
    }
    (input.unwrap(), result.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_rust_read_each_others_encrypted_payloads() {
    let Some(setup) = setup() else { return };
    let engine = connect(&setup).await;
    let sealed = engine.clone().with_codec(sample_codec());
    let plain = engine.client();

    // A Python client behind the sample's codec drives a Rust worker behind ours.
    let task_queue = unique("rs-encrypted");
    let _worker = sealed.worker(&task_queue).workflow::<Echo>().start().unwrap();
    let workflow_id = unique("rs-echo");
    let args = [
        "client",
        "--task-queue",
        &task_queue,
        "--workflow-id",
        &workflow_id,
        "--arg",
        "secret-7",
    ];
    let mut all = vec!["--address".to_owned(), setup.address.clone()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let report = run_python(&setup, "py_encrypted.py", all).await;
    assert_eq!(report["result"], "Rust echo: secret-7");
    let (input, result) = stored_payloads(&plain, &workflow_id).await;
    assert_eq!(input.encoding(), Some("binary/encrypted"), "Python sealed the argument");
    assert_eq!(result.encoding(), Some("binary/encrypted"), "Rust sealed the result");

    // A Rust client behind ours drives a Python worker behind the sample's codec.
    let task_queue = unique("py-encrypted");
    let workflow_id = unique("py-echo");
    let options = StartOptions::<Untyped>::new(&workflow_id).task_queue(&task_queue);
    let handle = sealed
        .client()
        .start_workflow_by_name("PyEcho", ("secret-8",), options)
        .await
        .unwrap();
    let args = ["worker", "--task-queue", &task_queue, "--workflow-id", &workflow_id];
    let mut all = vec!["--address".to_owned(), setup.address.clone()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let report = run_python(&setup, "py_encrypted.py", all).await;
    assert_eq!(report["result"], "Python echo: secret-8");
    let result: String = handle.result().await.unwrap().decode().unwrap();
    assert_eq!(result, "Python echo: secret-8");
    let (input, result) = stored_payloads(&plain, &workflow_id).await;
    assert_eq!(input.encoding(), Some("binary/encrypted"), "Rust sealed the argument");
    assert_eq!(result.encoding(), Some("binary/encrypted"), "Python sealed the result");
}
