//! Temporal's own CLI against a Rust worker: `temporal workflow stack` and
//! `temporal workflow metadata` send the built-in queries our runs answer.
//! Skipped unless `WORKFLOW_TEMPORAL_ADDRESS` and `WORKFLOW_TEMPORAL_CLI`
//! (the `temporal` binary) are set, as `.ci/run` does.

use std::process::Command;

use workflow::{ConnectOptions, Engine, StartOptions};

use crate::unique;
use crate::workflows::Approval;

/// The server's address and the `temporal` binary, or `None` to skip.
fn cli_setup() -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("WORKFLOW_TEMPORAL_ADDRESS"), var("WORKFLOW_TEMPORAL_CLI")) {
        (Some(address), Some(cli)) => Some((address, cli)),
        _ => {
            eprintln!(
                "skipped: WORKFLOW_TEMPORAL_ADDRESS and WORKFLOW_TEMPORAL_CLI must both be set (.ci/run sets them)"
            );
            None
        }
    }
}

/// Runs `temporal workflow <command> -w <id>` and returns its standard output.
async fn temporal_workflow(cli: &str, address: &str, command: &str, workflow_id: &str) -> String {
    let mut cmd = Command::new(cli);
    cmd.args(["workflow", command, "--address", address, "--workflow-id", workflow_id]);
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("the temporal CLI runs"))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "temporal workflow {command} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_workflow_stack_and_metadata_describe_a_rust_run() {
    let Some((address, cli)) = cli_setup() else { return };
    let engine = Engine::connect(ConnectOptions::new(address.clone())).await.unwrap();
    let task_queue = unique("cli-builtin");
    let _worker = engine.worker(&task_queue).workflow::<Approval>().start().unwrap();
    let workflow_id = unique("cli-approval");
    let options = StartOptions::new(&workflow_id).task_queue(&task_queue);
    let handle = engine
        .client()
        .start_workflow(Approval::run, (), options)
        .await
        .unwrap();
    handle.signal(Approval::remind, ()).await.unwrap();

    // The CLI prints the trace as the JSON string it is.
    let stack = temporal_workflow(&cli, &address, "stack", &workflow_id).await;
    assert!(
        stack.contains(r"run: waiting on a condition, timer 1 (3600s)\nsignal `remind`: waiting on timer 2 (60s)"),
        "{stack}"
    );

    let metadata = temporal_workflow(&cli, &address, "metadata", &workflow_id).await;
    let on_one_line = |a: &str, b: &str| metadata.lines().any(|line| line.contains(a) && line.contains(b));
    assert!(on_one_line("approve", "Approves the request."), "{metadata}");
    assert!(
        on_one_line("approved", "Whether the request was approved."),
        "{metadata}"
    );
    assert!(
        on_one_line("__stack_trace", "What each routine of the run is waiting on"),
        "{metadata}"
    );
    assert!(metadata.contains("Current Details:"), "{metadata}");
    assert!(metadata.contains("waiting for **approval**"), "{metadata}");

    handle.signal(Approval::approve, ()).await.unwrap();
    assert!(handle.result().await.unwrap());
}
