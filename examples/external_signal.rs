//! Signalling one workflow from another: `WorkflowB` signals `WorkflowA`
//! through a typed external handle (`ctx.external_workflow_for(WorkflowA::run,
//! id).signal(WorkflowA::your_signal, ..)`, checked at compile time) and
//! through an untyped one (`ctx.external_workflow(id).signal_by_name(..)`),
//! and sees the typed error of signalling a workflow that does not exist.
//! The histories show each signal on both sides.
//!
//! Run it with `cargo run --example external_signal`.

use workflow::{Engine, StartOptions, WorkflowContext, WorkflowError, WorkflowResult};

const TASK_QUEUE: &str = "external-signal-tq";

/// Waits for two signals and returns their arguments.
#[derive(Default)]
pub struct WorkflowA {
    received: Vec<String>,
}

#[workflow::defn]
impl WorkflowA {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        ctx.wait_condition(|s| s.received.len() >= 2).await?;
        Ok(ctx.state(|s| s.received.clone()))
    }

    #[workflow::signal]
    fn your_signal(&mut self, value: String) {
        self.received.push(value);
    }
}

/// Signals `WorkflowA` twice, then tries a workflow id nobody uses.
#[derive(Default)]
pub struct WorkflowB;

#[workflow::defn]
impl WorkflowB {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.external_workflow_for(WorkflowA::run, "workflow-a")
            .signal(WorkflowA::your_signal, "signal argument".to_string())
            .await?;
        ctx.external_workflow("workflow-a")
            .signal_by_name("your_signal", ("untyped signal argument",))
            .await?;
        match ctx
            .external_workflow("no-such-workflow")
            .signal_by_name("your_signal", ("lost",))
            .await
        {
            Err(e @ WorkflowError::ExternalNotFound { .. }) => {
                Ok(format!("done; signalling a missing workflow -> {e}"))
            }
            Err(e) => Err(e),
            Ok(()) => Ok("done; a missing workflow was signalled?!".to_owned()),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::in_memory()?;
    let worker = engine
        .worker(TASK_QUEUE)
        .workflow::<WorkflowA>()
        .workflow::<WorkflowB>()
        .start()?;
    let client = engine.client();

    let a = client
        .start_workflow(
            WorkflowA::run,
            (),
            StartOptions::new("workflow-a").task_queue(TASK_QUEUE),
        )
        .await?;
    let b = client
        .start_workflow(
            WorkflowB::run,
            (),
            StartOptions::new("workflow-b").task_queue(TASK_QUEUE),
        )
        .await?;

    println!("workflow-b result -> {}", b.result().await?);
    println!("workflow-a result -> {:?}", a.result().await?);

    for (label, handle) in [("workflow-a", a.untyped()), ("workflow-b", b.untyped())] {
        let history = handle.fetch_history().await?;
        let names: Vec<&str> = history.events.iter().map(|e| e.kind.name()).collect();
        println!("{label} history -> {}", names.join(", "));
    }

    worker.shutdown();
    Ok(())
}
