//! Every handler kind and option in one workflow, plus the typed calls a
//! client makes on it.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{
    ActivityContext, ActivityOptions, ApplicationError, Client, RawValue, StartOptions, WaitStage, WorkflowContext,
    WorkflowDefinition, WorkflowError, WorkflowResult, WorkflowType,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    English,
    French,
    Klingon,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Input {
    pub greeting: String,
}

#[workflow::activity]
async fn greet(greeting: String, name: String) -> Result<String, ApplicationError> {
    Ok(format!("{greeting}, {name}!"))
}

/// Takes the context and has another wire name.
#[workflow::activity(name = "Shout")]
async fn shout(ctx: ActivityContext, text: String) -> String {
    format!("{} (attempt {})", text.to_uppercase(), ctx.info().attempt)
}

#[workflow::activity(dynamic)]
async fn any_activity(name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
    Ok(format!("{name} with {} argument(s)", args.len()))
}

#[workflow::activity]
async fn no_arguments() {}

pub struct GreetingWorkflow {
    greeting: String,
    pending: VecDeque<String>,
    greetings: Vec<String>,
    language: Language,
    approvals: u32,
    unknown: Vec<String>,
    exit: bool,
}

#[workflow::defn]
impl GreetingWorkflow {
    #[workflow::init]
    fn new(input: Input, _loud: bool) -> Self {
        GreetingWorkflow {
            greeting: input.greeting,
            pending: VecDeque::new(),
            greetings: Vec::new(),
            language: Language::English,
            approvals: 0,
            unknown: Vec::new(),
            exit: false,
        }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _input: Input, loud: bool) -> WorkflowResult<Vec<String>> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        loop {
            ctx.wait_condition(|s| !s.pending.is_empty() || s.exit).await?;
            while let Some(name) = ctx.state_mut(|s| s.pending.pop_front()) {
                let greeting = ctx.state(|s| s.greeting.clone());
                let mut text = ctx.execute_activity(greet, (greeting, name), options.clone()).await?;
                if loud {
                    text = ctx.execute_activity(shout, text, options.clone()).await?;
                }
                ctx.state_mut(|s| s.greetings.push(text));
            }
            if ctx.state(|s| s.exit) {
                ctx.execute_activity(no_arguments, (), options.clone()).await?;
                return Ok(ctx.state(|s| s.greetings.clone()));
            }
        }
    }

    /// Queues a name to greet.
    #[workflow::signal]
    fn submit_greeting(&mut self, name: String) {
        self.pending.push_back(name);
    }

    #[workflow::signal]
    fn exit(&mut self) {
        self.exit = true;
    }

    #[workflow::signal(name = "Custom Signal Name")]
    fn custom_signal(&mut self, name: String, times: u8) {
        for _ in 0..times {
            self.pending.push_back(name.clone());
        }
    }

    #[workflow::signal]
    async fn delayed_greeting(ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<()> {
        ctx.sleep(Duration::from_secs(1)).await?;
        ctx.state_mut(|s| s.pending.push_back(name));
        Ok(())
    }

    #[workflow::signal(dynamic)]
    fn any_signal(&mut self, name: String, _args: Vec<RawValue>) {
        self.unknown.push(name);
    }

    #[workflow::query]
    fn greetings(&self) -> Vec<String> {
        self.greetings.clone()
    }

    #[workflow::query(name = "is-waiting")]
    fn waiting(&self, at_least: usize) -> Result<bool, ApplicationError> {
        Ok(self.pending.len() >= at_least)
    }

    #[workflow::query(dynamic)]
    fn any_query(&self, name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
        Err(ApplicationError::new(format!(
            "unknown query {name} with {} argument(s)",
            args.len()
        )))
    }

    #[workflow::update]
    fn set_language(&mut self, language: Language) -> Language {
        std::mem::replace(&mut self.language, language)
    }

    #[workflow::validator(set_language)]
    fn validate_language(&self, language: &Language) -> Result<(), ApplicationError> {
        match language {
            Language::Klingon => Err(ApplicationError::new("Klingon is not supported")),
            _ => Ok(()),
        }
    }

    #[workflow::update]
    async fn approve(ctx: &mut WorkflowContext<Self>, who: String) -> WorkflowResult<String> {
        ctx.sleep(Duration::from_secs(1)).await?;
        let approvals = ctx.state_mut(|s| {
            s.approvals += 1;
            s.approvals
        });
        Ok(format!("approved by {who} ({approvals})"))
    }

    #[workflow::update]
    async fn reset(ctx: &WorkflowContext<Self>) {
        ctx.state_mut(|s| s.greetings.clear());
    }

    #[workflow::update(dynamic)]
    fn any_update(&mut self, name: String, _args: Vec<RawValue>) -> Result<usize, ApplicationError> {
        self.unknown.push(name);
        Ok(self.unknown.len())
    }

    #[workflow::validator(any_update)]
    fn validate_any_update(&self, name: &str, args: &[RawValue]) -> Result<(), WorkflowError> {
        if name.is_empty() || args.len() > 3 {
            return Err(ApplicationError::new("bad update").into());
        }
        Ok(())
    }

    /// Not a handler: left as written.
    fn language(&self) -> Language {
        self.language
    }
}

/// Only type-checked: every typed call a client makes.
#[allow(dead_code)]
async fn client_calls(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    let input = Input {
        greeting: "Hello".to_owned(),
    };
    let options = StartOptions::new("greeting")
        .task_queue("tq")
        .start_signal(GreetingWorkflow::submit_greeting, "User".to_owned());
    let handle = client
        .start_workflow(GreetingWorkflow::run, (input, true), options)
        .await?;
    handle
        .signal(GreetingWorkflow::submit_greeting, "User 1".to_owned())
        .await?;
    handle
        .signal(GreetingWorkflow::custom_signal, ("User 2".to_owned(), 2))
        .await?;
    handle
        .signal(GreetingWorkflow::delayed_greeting, "User 3".to_owned())
        .await?;
    handle.signal(GreetingWorkflow::exit, ()).await?;
    let greetings: Vec<String> = handle.query(GreetingWorkflow::greetings, ()).await?;
    let waiting: bool = handle.query(GreetingWorkflow::waiting, 1).await?;
    let previous: Language = handle
        .execute_update(GreetingWorkflow::set_language, Language::French)
        .await?;
    let approved: String = handle
        .start_update(GreetingWorkflow::approve, "Ada".to_owned(), WaitStage::Accepted)
        .await?
        .result()
        .await?;
    handle.execute_update(GreetingWorkflow::reset, ()).await?;
    let result: Vec<String> = handle.result().await?;
    let again = client.get_workflow_handle_for(GreetingWorkflow::run, "greeting");
    again.signal(GreetingWorkflow::exit, ()).await?;
    println!("{greetings:?} {waiting} {previous:?} {approved} {result:?}");
    Ok(())
}

fn main() {
    assert_eq!(GreetingWorkflow::NAME, "GreetingWorkflow");
    assert!(!GreetingWorkflow::DYNAMIC);
    assert_eq!(
        GreetingWorkflow::SIGNALS,
        ["submit_greeting", "exit", "Custom Signal Name", "delayed_greeting"]
    );
    assert_eq!(GreetingWorkflow::QUERIES, ["greetings", "is-waiting"]);
    assert_eq!(GreetingWorkflow::UPDATES, ["set_language", "approve", "reset"]);
    assert_eq!(GreetingWorkflow::run.name(), "GreetingWorkflow");
    assert_eq!(GreetingWorkflow::custom_signal.name(), "Custom Signal Name");
    assert_eq!(
        GreetingWorkflow::custom_signal
            .encode(("a".to_owned(), 2))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(GreetingWorkflow::waiting.name(), "is-waiting");
    assert_eq!(GreetingWorkflow::exit.encode(()).unwrap().len(), 0);
    assert_eq!(shout.name(), "Shout");
    assert!(any_activity.is_dynamic());
    assert_eq!(greet.encode(("Hi".to_owned(), "Bo".to_owned())).unwrap().len(), 2);
    assert_eq!(no_arguments.name(), "no_arguments");

    let input = (
        Input {
            greeting: "Hi".to_owned(),
        },
        false,
    );
    let args = GreetingWorkflow::encode_input(input).unwrap();
    let state = GreetingWorkflow::create(&args).unwrap();
    assert_eq!(state.greeting, "Hi");
    assert_eq!(state.language(), Language::English);
    assert!(state.query("greetings", Vec::new()).is_some());
    assert!(state.query("anything", Vec::new()).is_some());
    let klingon = GreetingWorkflow::set_language.encode(Language::Klingon).unwrap();
    assert!(matches!(state.validate_update("set_language", &klingon), Some(Err(_))));
    let french = GreetingWorkflow::set_language.encode(Language::French).unwrap();
    assert!(matches!(state.validate_update("set_language", &french), Some(Ok(()))));
    assert!(matches!(state.validate_update("set_language", &[]), Some(Err(_))));
    assert!(matches!(state.validate_update("other", &[]), Some(Ok(()))));
    assert!(state.validate_update("", &[]).unwrap().is_err());
}
