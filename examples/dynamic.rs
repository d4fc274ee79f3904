//! Dynamic handlers: the fallbacks for names nothing static claims.
//!
//! * A `#[workflow::defn(dynamic)]` workflow runs for a workflow type name no
//!   worker registered (`client.start_workflow_by_name("AnyName", ..)`); its
//!   run takes the raw arguments and calls an activity by a name no worker
//!   registered either, which the `#[workflow::activity(dynamic)]` activity serves.
//! * A static workflow with dynamic signal, query and update handlers (and a
//!   validator for the dynamic update), driven by name: a name with a static
//!   handler goes to it, any other name to the dynamic one.
//!
//! Run it with `cargo run --example dynamic`.

use std::error::Error;
use std::time::Duration;

use workflow::{ActivityOptions, ApplicationError, Engine, RawValue, StartOptions, WorkflowContext, WorkflowResult};

const TASK_QUEUE: &str = "dynamic-tq";

/// The raw arguments as JSON text, for printing.
fn show(args: &[RawValue]) -> String {
    args.iter()
        .map(|a| format!("{:?}", a.payload()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Serves every activity name no worker registered.
#[workflow::activity(dynamic)]
async fn any_activity(name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
    Ok(format!("dynamic activity `{name}` got ({})", show(&args)))
}

/// Runs for every workflow type name no worker registered.
#[derive(Default)]
pub struct AnyWorkflow;

#[workflow::defn(dynamic)]
impl AnyWorkflow {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, args: Vec<RawValue>) -> WorkflowResult<String> {
        let workflow_type = ctx.info().workflow_type;
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        let from_activity: String = ctx
            .execute_activity_by_name("UnregisteredActivity", args.clone(), options)
            .await?;
        Ok(format!(
            "dynamic workflow `{workflow_type}` got ({}); {from_activity}",
            show(&args)
        ))
    }
}

/// A static workflow whose unknown signal, query and update names go to its
/// dynamic handlers.
#[derive(Default)]
pub struct Inbox {
    log: Vec<String>,
    label: String,
    done: bool,
}

#[workflow::defn]
impl Inbox {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.log.clone()))
    }

    #[workflow::signal]
    fn note(&mut self, text: String) {
        self.log.push(format!("static signal note({text:?})"));
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::signal(dynamic)]
    fn any_signal(&mut self, name: String, args: Vec<RawValue>) {
        self.log.push(format!("dynamic signal {name}({})", show(&args)));
    }

    #[workflow::query]
    fn count(&self) -> usize {
        self.log.len()
    }

    #[workflow::query(dynamic)]
    fn any_query(&self, name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
        Ok(format!(
            "dynamic query {name}({}) with label {:?}",
            show(&args),
            self.label
        ))
    }

    #[workflow::update]
    fn set_label(&mut self, label: String) -> String {
        std::mem::replace(&mut self.label, label)
    }

    #[workflow::update(dynamic)]
    fn any_update(&mut self, name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
        self.log.push(format!("dynamic update {name}({})", show(&args)));
        Ok(format!("dynamic update {name} applied"))
    }

    #[workflow::validator(any_update)]
    fn validate_any_update(&self, name: &str, _args: &[RawValue]) -> Result<(), ApplicationError> {
        if name.starts_with("forbidden") {
            return Err(ApplicationError::new(format!("update `{name}` is not allowed")));
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let engine = Engine::in_memory()?;
    let worker = engine
        .worker(TASK_QUEUE)
        .workflow::<AnyWorkflow>()
        .workflow::<Inbox>()
        .activity(any_activity)
        .start()?;
    let client = engine.client();

    // A workflow type nobody registered: the dynamic workflow runs it.
    let any = client
        .start_workflow_by_name(
            "AnyName",
            ("arg",),
            StartOptions::new("any-name-workflow").task_queue(TASK_QUEUE),
        )
        .await?;
    let result: String = any.result().await?.decode()?;
    println!("start_workflow_by_name(\"AnyName\") result -> {result}");

    // A static workflow driven by name.
    let typed = client
        .start_workflow(Inbox::run, (), StartOptions::new("inbox").task_queue(TASK_QUEUE))
        .await?;
    let inbox = client.get_workflow_handle("inbox");

    inbox.signal_by_name("note", ("to the static handler",)).await?;
    inbox.signal_by_name("ping", ("to the dynamic handler", 2)).await?;
    println!("signal_by_name note, ping -> sent");

    let count: usize = inbox.query_by_name("count", ()).await?;
    println!("query_by_name count -> {count}");
    let answer: String = inbox.query_by_name("status", (true,)).await?;
    println!("query_by_name status -> {answer}");

    let previous: String = inbox.execute_update_by_name("set_label", ("blue",)).await?;
    println!("execute_update_by_name set_label -> previous {previous:?}");
    let answer: String = inbox.execute_update_by_name("recolor", ("red", 3)).await?;
    println!("execute_update_by_name recolor -> {answer}");
    match inbox.execute_update_by_name::<String>("forbidden_reset", ()).await {
        Ok(answer) => println!("execute_update_by_name forbidden_reset -> unexpectedly accepted: {answer}"),
        Err(e) => println!("execute_update_by_name forbidden_reset -> {e}"),
    }
    let answer: String = inbox.query_by_name("status", ()).await?;
    println!("query_by_name status -> {answer}");

    inbox.signal_by_name("finish", ()).await?;
    println!("result ->");
    for line in typed.result().await? {
        println!("  {line}");
    }

    worker.shutdown();
    Ok(())
}
