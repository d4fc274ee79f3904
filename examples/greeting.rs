//! The greeting workflow of Temporal's Python signal sample, with every kind
//! of message: signals (`submit_greeting`, `exit`, one renamed to
//! `"Custom Signal Name"`), a query (`greetings`), an update (`set_language`)
//! whose validator rejects an unsupported language, an activity producing
//! each greeting in the current language, and signal-with-start.
//!
//! Run it with `cargo run --example greeting`.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{ActivityOptions, ApplicationError, Engine, StartOptions, WorkflowContext, WorkflowResult};

const TASK_QUEUE: &str = "signal-tq";

/// The languages the update accepts; `Klingon` is known but not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    English,
    French,
    Spanish,
    Klingon,
}

/// Produces the greeting for `name` in `language`: the work a workflow must
/// not do itself (in a real program it would call a translation service).
#[workflow::activity]
async fn greet(name: String, language: Language) -> Result<String, ApplicationError> {
    let hello = match language {
        Language::English => "Hello",
        Language::French => "Bonjour",
        Language::Spanish => "Hola",
        Language::Klingon => return Err(ApplicationError::new("no greeting in Klingon").non_retryable()),
    };
    Ok(format!("{hello}, {name}!"))
}

pub struct GreetingWorkflow {
    /// Names waiting for a greeting, with the language current when they arrived.
    pending: VecDeque<(String, Language)>,
    greetings: Vec<String>,
    language: Language,
    exit: bool,
}

impl Default for GreetingWorkflow {
    fn default() -> Self {
        GreetingWorkflow {
            pending: VecDeque::new(),
            greetings: Vec::new(),
            language: Language::English,
            exit: false,
        }
    }
}

#[workflow::defn]
impl GreetingWorkflow {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        loop {
            ctx.wait_condition(|s| !s.pending.is_empty() || s.exit).await?;
            while let Some((name, language)) = ctx.state_mut(|s| s.pending.pop_front()) {
                let options = ActivityOptions::start_to_close(Duration::from_secs(10));
                let greeting = ctx.execute_activity(greet, (name, language), options).await?;
                ctx.state_mut(|s| s.greetings.push(greeting));
            }
            if ctx.state(|s| s.exit) {
                return Ok(ctx.state(|s| s.greetings.clone()));
            }
        }
    }

    #[workflow::signal]
    fn submit_greeting(&mut self, name: String) {
        self.pending.push_back((name, self.language));
    }

    #[workflow::signal]
    fn exit(&mut self) {
        self.exit = true;
    }

    #[workflow::signal(name = "Custom Signal Name")]
    fn custom_signal(&mut self, name: String) {
        self.pending.push_back((name, self.language));
    }

    #[workflow::query]
    fn greetings(&self) -> Vec<String> {
        self.greetings.clone()
    }

    #[workflow::query]
    fn language(&self) -> Language {
        self.language
    }

    /// Switches the language of later greetings; returns the previous one.
    #[workflow::update]
    fn set_language(&mut self, language: Language) -> Language {
        std::mem::replace(&mut self.language, language)
    }

    #[workflow::validator(set_language)]
    fn validate_language(&self, language: &Language) -> Result<(), ApplicationError> {
        if *language == Language::Klingon {
            return Err(ApplicationError::new(format!("{language:?} is not supported")).with_type("ValueError"));
        }
        Ok(())
    }
}

/// The embedded engine in memory; with `--features temporal`, the Temporal
/// server at `WORKFLOW_TEMPORAL_ADDRESS` (default `localhost:7233`).
async fn engine() -> Result<Engine, workflow::EngineError> {
    #[cfg(feature = "temporal")]
    {
        let target = std::env::var("WORKFLOW_TEMPORAL_ADDRESS").unwrap_or_else(|_| "localhost:7233".to_owned());
        Engine::connect(workflow::ConnectOptions::new(target)).await
    }
    #[cfg(not(feature = "temporal"))]
    Engine::in_memory()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = engine().await?;
    let worker = engine
        .worker(TASK_QUEUE)
        .workflow::<GreetingWorkflow>()
        .activity(greet)
        .start()?;
    let client = engine.client();

    let handle = client
        .start_workflow(
            GreetingWorkflow::run,
            (),
            StartOptions::new("your-greeting-workflow").task_queue(TASK_QUEUE),
        )
        .await?;
    println!("started {}", handle.id());

    handle
        .signal(GreetingWorkflow::submit_greeting, "User 1".to_string())
        .await?;
    handle
        .signal(GreetingWorkflow::submit_greeting, "User 2".to_string())
        .await?;
    println!("signal submit_greeting(\"User 1\"), submit_greeting(\"User 2\")");

    let previous = handle
        .execute_update(GreetingWorkflow::set_language, Language::French)
        .await?;
    println!("update set_language(French) -> previous {previous:?}");
    match handle
        .execute_update(GreetingWorkflow::set_language, Language::Klingon)
        .await
    {
        Ok(previous) => println!("update set_language(Klingon) -> unexpectedly accepted (previous {previous:?})"),
        Err(e) => println!("update set_language(Klingon) -> {e}"),
    }
    println!(
        "query language -> {:?}",
        handle.query(GreetingWorkflow::language, ()).await?
    );

    handle
        .signal(GreetingWorkflow::custom_signal, "User 3".to_string())
        .await?;
    println!("signal \"Custom Signal Name\"(\"User 3\")");
    // The same handler by its wire name, from a handle that knows only the id.
    let untyped = client.get_workflow_handle("your-greeting-workflow");
    untyped.signal_by_name("Custom Signal Name", ("User 4",)).await?;
    println!("signal_by_name \"Custom Signal Name\"(\"User 4\")");

    handle.signal(GreetingWorkflow::exit, ()).await?;
    println!("signal exit");
    println!("result -> {:?}", handle.result().await?);
    // Queries are answered from closed workflows too.
    println!(
        "query greetings -> {:?}",
        handle.query(GreetingWorkflow::greetings, ()).await?
    );

    // Signal-with-start: starts the workflow and delivers the signal before its first step.
    let handle = client
        .start_workflow(
            GreetingWorkflow::run,
            (),
            StartOptions::new("signal-with-start-workflow")
                .task_queue(TASK_QUEUE)
                .start_signal(GreetingWorkflow::submit_greeting, "User Signal with Start".to_string()),
        )
        .await?;
    handle.signal(GreetingWorkflow::exit, ()).await?;
    println!("signal-with-start result -> {:?}", handle.result().await?);

    worker.shutdown();
    Ok(())
}
