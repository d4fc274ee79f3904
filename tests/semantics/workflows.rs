//! Workflows and activities the semantic tests drive.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{
    ActivityContext, ActivityOptions, ApplicationError, ChildWorkflowOptions, RawValue, RetryPolicy, WorkflowContext,
    WorkflowError, WorkflowResult,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    English,
    French,
    Klingon,
}

#[workflow::activity]
pub async fn greet(language: Language, name: String) -> Result<String, ApplicationError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Ok(match language {
        Language::English => format!("Hello, {name}!"),
        Language::French => format!("Bonjour, {name} !"),
        Language::Klingon => format!("nuqneH, {name}!"),
    })
}

/// The seed's GreetingWorkflow.
#[derive(Default)]
pub struct GreetingWorkflow {
    pending: VecDeque<String>,
    greetings: Vec<String>,
    language: Language,
    exit: bool,
    dynamic: Vec<String>,
}

#[workflow::defn]
impl GreetingWorkflow {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        loop {
            ctx.wait_condition(|s| !s.pending.is_empty() || s.exit).await?;
            while let Some(name) = ctx.state_mut(|s| s.pending.pop_front()) {
                let language = ctx.state(|s| s.language);
                let options = ActivityOptions::start_to_close(Duration::from_secs(10));
                let greeting = ctx.execute_activity(greet, (language, name), options).await?;
                ctx.state_mut(|s| s.greetings.push(greeting));
            }
            if ctx.state(|s| s.exit) {
                return Ok(ctx.state(|s| s.greetings.clone()));
            }
        }
    }

    #[workflow::signal]
    fn submit_greeting(&mut self, name: String) {
        self.pending.push_back(name);
    }

    #[workflow::signal]
    fn exit(&mut self) {
        self.exit = true;
    }

    #[workflow::signal(name = "Custom Signal Name")]
    fn custom_signal(&mut self, name: String) {
        self.pending.push_back(name);
    }

    #[workflow::query]
    fn greetings(&self) -> Vec<String> {
        self.greetings.clone()
    }

    #[workflow::query]
    fn pending(&self) -> usize {
        self.pending.len()
    }

    #[workflow::query]
    fn failing(&self) -> Result<String, ApplicationError> {
        Err(ApplicationError::new("this query always fails").with_type("Broken"))
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
    async fn wait_for_greetings(ctx: &mut WorkflowContext<Self>, count: usize) -> WorkflowResult<Vec<String>> {
        ctx.wait_condition(move |s| s.greetings.len() >= count).await?;
        Ok(ctx.state(|s| s.greetings.clone()))
    }

    /// The update's own id and name, read after an await.
    #[workflow::update]
    async fn whoami(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<(String, String)> {
        ctx.sleep(Duration::from_millis(1)).await?;
        let info = ctx.current_update_info().expect("inside an update handler");
        Ok((info.id, info.name))
    }

    #[workflow::signal(dynamic)]
    fn any_signal(&mut self, name: String, args: Vec<RawValue>) {
        let first = args.first().and_then(|a| a.decode::<String>().ok()).unwrap_or_default();
        self.dynamic.push(format!("{name}:{first}"));
    }

    #[workflow::query]
    fn dynamic_seen(&self) -> Vec<String> {
        self.dynamic.clone()
    }
}

/// Counts signals and remembers their order; no dynamic handler.
#[derive(Default)]
pub struct Counter {
    seen: Vec<u64>,
    done: bool,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<u64>> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.seen.clone()))
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        self.seen.push(n);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::query]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }
}

/// Signals another workflow from inside a workflow.
#[derive(Default)]
pub struct Sender;

#[workflow::defn]
impl Sender {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, target: String, count: u64) -> WorkflowResult<()> {
        let handle = ctx.external_workflow_for(Counter::run, target);
        for n in 0..count {
            handle.signal(Counter::add, n).await?;
        }
        Ok(())
    }
}

/// Issues `count` signals at once, without awaiting them one by one.
#[derive(Default)]
pub struct Flooder;

#[workflow::defn]
impl Flooder {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, target: String, count: u64) -> WorkflowResult<String> {
        let handle = ctx.external_workflow(target);
        let mut sends = Vec::new();
        for n in 0..count {
            sends.push(handle.signal_by_name("add", (n,)));
        }
        let mut failure = String::from("none");
        for send in sends {
            if let Err(e) = send.await {
                failure = e.to_string();
            }
        }
        Ok(failure)
    }
}

/// Dynamic workflow: serves any unregistered type name.
#[derive(Default)]
pub struct AnyWorkflow;

#[workflow::defn(dynamic)]
impl AnyWorkflow {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, args: Vec<RawValue>) -> WorkflowResult<String> {
        let name: String = args[0].decode()?;
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        let reply: String = ctx
            .execute_activity_by_name("unregistered_activity", (name,), options)
            .await?;
        Ok(format!("{} -> {reply}", ctx.info().workflow_type))
    }
}

#[workflow::activity(dynamic)]
pub async fn any_activity(ctx: ActivityContext, name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
    let first: String = args[0].decode()?;
    Ok(format!("{name}({first}) on attempt {}", ctx.info().attempt))
}

/// Dynamic query and update next to static ones.
#[derive(Default)]
pub struct Registry {
    values: Vec<(String, i64)>,
    done: bool,
}

#[workflow::defn(name = "registry")]
impl Registry {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<usize> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(ctx.state(|s| s.values.len()))
    }

    #[workflow::signal]
    fn done(&mut self) {
        self.done = true;
    }

    #[workflow::query]
    fn count(&self) -> usize {
        self.values.len()
    }

    #[workflow::query(dynamic)]
    fn lookup(&self, name: String, _args: Vec<RawValue>) -> Option<i64> {
        self.values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[workflow::update]
    fn set(&mut self, key: String, value: i64) -> usize {
        self.values.push((key, value));
        self.values.len()
    }

    #[workflow::update(dynamic)]
    fn set_any(&mut self, name: String, args: Vec<RawValue>) -> Result<String, ApplicationError> {
        let value: i64 = args
            .first()
            .ok_or_else(|| ApplicationError::new("missing value"))?
            .decode()?;
        self.values.push((name.clone(), value));
        Ok(format!("dynamic {name}={value}"))
    }

    #[workflow::validator(set_any)]
    fn check_any(&self, name: &str, _args: &[RawValue]) -> Result<(), ApplicationError> {
        match name.starts_with('_') {
            true => Err(ApplicationError::new("names starting with `_` are reserved")),
            false => Ok(()),
        }
    }
}

/// Parent starting a child per item, strictly one after the other.
#[derive(Default)]
pub struct Parent;

#[workflow::defn]
impl Parent {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, items: Vec<u64>) -> WorkflowResult<Vec<u64>> {
        let mut out = Vec::new();
        for item in items {
            let id = format!("{}-child-{item}", ctx.info().workflow_id);
            out.push(
                ctx.execute_child_workflow(Doubler::run, item, ChildWorkflowOptions::new(id))
                    .await?,
            );
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct Doubler;

#[workflow::defn]
impl Doubler {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, n: u64) -> WorkflowResult<u64> {
        ctx.sleep(Duration::from_millis(10)).await?;
        Ok(n * 2)
    }
}

/// Continues as new every `per_run` items, carrying the total.
#[derive(Default)]
pub struct Looper;

#[workflow::defn]
impl Looper {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, total: u64, remaining: u64) -> WorkflowResult<u64> {
        if remaining == 0 {
            return Ok(total);
        }
        ctx.sleep(Duration::from_millis(1)).await?;
        ctx.continue_as_new((total + remaining, remaining - 1))
    }
}

/// Fails until its third attempt.
#[workflow::activity]
pub async fn flaky(ctx: ActivityContext, label: String) -> Result<String, ApplicationError> {
    match ctx.info().attempt {
        attempt if attempt < 3 => Err(ApplicationError::new(format!("attempt {attempt} failed"))),
        attempt => Ok(format!("{label} after {attempt} attempts")),
    }
}

#[workflow::activity]
pub async fn fatal(label: String) -> Result<String, ApplicationError> {
    Err(ApplicationError::new(format!("{label} cannot work")).non_retryable())
}

#[workflow::activity]
pub async fn slow(millis: u64) -> Result<u64, ApplicationError> {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(millis)
}

/// Calls activities with retry policies and timeouts; built by `init`.
pub struct Retrier {
    label: String,
}

#[workflow::defn]
impl Retrier {
    #[workflow::init]
    fn new(label: String) -> Self {
        Retrier { label }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _label: String) -> WorkflowResult<Vec<String>> {
        let label = ctx.state(|s| s.label.clone());
        let retry = workflow::RetryPolicy {
            initial_interval: Duration::from_millis(10),
            ..workflow::RetryPolicy::default()
        };
        let quick = ActivityOptions::start_to_close(Duration::from_secs(5)).retry_policy(retry.clone());
        let mut out = vec![ctx.execute_activity(flaky, label.clone(), quick.clone()).await?];
        let err = ctx.execute_activity(fatal, label, quick).await.unwrap_err();
        out.push(err.to_string());
        let timed = ActivityOptions::start_to_close(Duration::from_millis(50)).retry_policy(workflow::RetryPolicy {
            maximum_attempts: 2,
            ..retry
        });
        out.push(ctx.execute_activity(slow, 1_000, timed).await.unwrap_err().to_string());
        let before = ctx.now();
        ctx.sleep(Duration::from_millis(30)).await?;
        let slept = ctx.now().duration_since(before).unwrap_or_default() >= Duration::from_millis(30);
        out.push(format!("slept: {slept}"));
        Ok(out)
    }
}

/// Records deterministic values and waits for its handlers before finishing.
#[derive(Default)]
pub struct Facts {
    uuid: String,
    random: u64,
    workflow_id: String,
    handlers_done_at_exit: bool,
    exit: bool,
}

#[workflow::defn]
impl Facts {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<bool> {
        let (uuid, random, info) = (ctx.uuid4(), ctx.random_u64(), ctx.info());
        ctx.state_mut(|s| {
            s.uuid = uuid;
            s.random = random;
            s.workflow_id = info.workflow_id;
        });
        ctx.wait_condition(|s| s.exit).await?;
        let finished = ctx.clone();
        ctx.wait_condition(move |_| finished.all_handlers_finished()).await?;
        Ok(ctx.state(|s| s.handlers_done_at_exit))
    }

    #[workflow::update]
    async fn slow_exit(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.state_mut(|s| s.exit = true);
        ctx.sleep(Duration::from_millis(20)).await?;
        ctx.state_mut(|s| s.handlers_done_at_exit = true);
        Ok(())
    }

    #[workflow::query]
    fn facts(&self) -> (String, u64, String) {
        (self.uuid.clone(), self.random, self.workflow_id.clone())
    }
}

/// Greets through another workflow, by name only: signals `submit_greeting`
/// for each name, then `exit`. The target may be served by any SDK.
#[derive(Default)]
pub struct Relay;

#[workflow::defn]
impl Relay {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, target: String, names: Vec<String>) -> WorkflowResult<()> {
        let handle = ctx.external_workflow(target);
        for name in names {
            handle.signal_by_name("submit_greeting", (name,)).await?;
        }
        handle.signal_by_name("exit", ()).await?;
        Ok(())
    }
}

/// A shopping cart, started by its first item (update-with-start); its run
/// method notes how many items it had at its first step.
#[derive(Default)]
pub struct Cart {
    items: Vec<String>,
    checkout: bool,
}

#[workflow::defn]
impl Cart {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<(usize, Vec<String>)> {
        let at_first_step = ctx.state(|s| s.items.len());
        ctx.wait_condition(|s| s.checkout).await?;
        Ok((at_first_step, ctx.state(|s| s.items.clone())))
    }

    /// Adds an item; returns how many the cart holds.
    #[workflow::update]
    fn add_item(&mut self, item: String) -> usize {
        self.items.push(item);
        self.items.len()
    }

    #[workflow::validator(add_item)]
    fn validate_item(&self, item: &str) -> Result<(), ApplicationError> {
        match item.is_empty() {
            true => Err(ApplicationError::new("an item needs a name")),
            false => Ok(()),
        }
    }

    #[workflow::signal]
    fn checkout(&mut self) {
        self.checkout = true;
    }
}

/// Reads a file that is not there: an `io::Error`, retried.
#[workflow::activity]
pub async fn read_missing(path: String) -> Result<String, std::io::Error> {
    std::fs::read_to_string(path)
}

/// Parses a count through anyhow, with the attempt in the context.
#[workflow::activity]
pub async fn parse_count(ctx: ActivityContext, text: String) -> anyhow::Result<u64> {
    use anyhow::Context as _;
    let attempt = ctx.info().attempt;
    text.parse::<u64>()
        .with_context(|| format!("attempt {attempt}: `{text}` is not a count"))
}

/// Refuses for good: a non-retryable `ApplicationError` through anyhow.
#[workflow::activity]
pub async fn refuse(ctx: ActivityContext, amount: u64) -> anyhow::Result<u64> {
    let message = format!("attempt {}: {amount} is over the limit", ctx.info().attempt);
    Err(ApplicationError::new(message)
        .with_type("OverLimit")
        .non_retryable()
        .into())
}

/// Calls activities that fail with errors of every kind; returns each
/// failure as `type|message`.
#[derive(Default)]
pub struct Errors;

#[workflow::defn]
impl Errors {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(10),
            maximum_attempts: 3,
            ..RetryPolicy::default()
        });
        let outcomes = [
            ctx.execute_activity(read_missing, "/no/such/file".to_owned(), options.clone())
                .await
                .map(|_| ()),
            ctx.execute_activity(parse_count, "many".to_owned(), options.clone())
                .await
                .map(|_| ()),
            ctx.execute_activity(refuse, 500, options).await.map(|_| ()),
        ];
        Ok(outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Err(WorkflowError::Failed(failure)) => match failure.application_error() {
                    Some(e) => format!("{}|{}", e.error_type().unwrap_or_default(), e.message()),
                    None => format!("not an application error: {failure}"),
                },
                other => format!("unexpected: {other:?}"),
            })
            .collect())
    }
}

/// Waits an hour for approval, while reminders wait a minute each.
#[derive(Default)]
pub struct Approval {
    approved: bool,
}

#[workflow::defn]
impl Approval {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<bool> {
        ctx.set_current_details("waiting for **approval**");
        ctx.wait_condition_timeout(Duration::from_secs(3600), |a| a.approved)
            .await
    }

    /// Approves the request.
    #[workflow::signal]
    fn approve(&mut self) {
        self.approved = true;
    }

    /// Sends a reminder in a minute.
    ///
    /// Several may wait at once.
    #[workflow::signal]
    async fn remind(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.sleep(Duration::from_secs(60)).await
    }

    /// Whether the request was approved.
    #[workflow::query]
    fn approved(&self) -> bool {
        self.approved
    }
}
