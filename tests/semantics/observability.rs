//! Tracing: spans around workflow tasks, message handlers and activities,
//! and the worker's slow-activation warning.
//!
//! Workflow code runs on the engine's threads and activities on the runtime's,
//! so a scoped subscriber would miss them: one global subscriber records what
//! every test needs, and each test reads only the records of its own workflow id.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use workflow::{ClientError, StartOptions, WaitStage, WorkflowContext, WorkflowHandle, WorkflowResult, WorkflowStatus};

use crate::support::{matrix, Env};
use crate::workflows::*;

/// Workflow ids of this module start with it; the subscriber keeps nothing else.
const PREFIX: &str = "observe-";

/// A span opened (named by its name) or an event emitted (named by its message).
#[derive(Clone, Debug)]
struct Record {
    span: bool,
    name: String,
    fields: BTreeMap<&'static str, String>,
}

impl Record {
    fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    fn is_of_run(&self, workflow_id: &str, run_id: &str) -> bool {
        self.field("workflow_id") == Some(workflow_id) && self.field("run_id") == Some(run_id)
    }
}

static RECORDS: Mutex<Vec<Record>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Fields(BTreeMap<&'static str, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

struct Capture;

impl Capture {
    fn keep(span: bool, name: String, fields: Fields) {
        if fields.0.get("workflow_id").is_some_and(|id| id.starts_with(PREFIX)) {
            let record = Record {
                span,
                name,
                fields: fields.0,
            };
            RECORDS.lock().unwrap_or_else(|e| e.into_inner()).push(record);
        }
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Temporal's Core traces heavily; what is under test is this runtime's.
        if metadata.target().starts_with("workflow_runtime") {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        Capture::keep(true, attrs.metadata().name().to_owned(), fields);
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        Capture::keep(false, message, fields);
    }
}

/// Installs the recording subscriber, once per test binary.
fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
    });
}

/// What was recorded for the handle's (only) run.
async fn records_of(handle: &WorkflowHandle<GreetingWorkflow>) -> Vec<Record> {
    let run_id = handle.describe().await.unwrap().run_id;
    let records = RECORDS.lock().unwrap_or_else(|e| e.into_inner());
    records
        .iter()
        .filter(|r| r.is_of_run(handle.id(), &run_id))
        .cloned()
        .collect()
}

/// Starts a greeting workflow with an id of this module.
async fn start(env: &Env, id: &str) -> WorkflowHandle<GreetingWorkflow> {
    let options = StartOptions::new(env.id(&format!("{PREFIX}{id}"))).task_queue(env.tq("observe"));
    env.client
        .start_workflow(GreetingWorkflow::run, (), options)
        .await
        .unwrap()
}

const SLOW: &str = "slow workflow activation";

matrix! {
    async fn tasks_messages_and_activities_each_run_in_a_span_naming_the_run(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("observe")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = start(&env, "spans").await;
        handle.execute_update(GreetingWorkflow::set_language, Language::French).await.unwrap();
        handle.signal(GreetingWorkflow::submit_greeting, "Ann".to_owned()).await.unwrap();
        let greetings = handle.execute_update(GreetingWorkflow::wait_for_greetings, 1).await.unwrap();
        assert_eq!(greetings, vec!["Bonjour, Ann !".to_owned()]);
        assert_eq!(handle.query(GreetingWorkflow::greetings, ()).await.unwrap(), greetings);
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();

        let records = records_of(&handle).await;
        // Each span as (name, the field naming what ran, its value).
        let spans: Vec<(&str, &str, &str)> = records
            .iter()
            .filter(|r| r.span)
            .map(|r| {
                let key = match r.name.as_str() {
                    "workflow_task" => "workflow_type",
                    "validator" => "update",
                    name => name,
                };
                (r.name.as_str(), key, r.field(key).unwrap_or_default())
            })
            .collect();
        for expected in [
            ("workflow_task", "workflow_type", "GreetingWorkflow"),
            ("update", "update", "set_language"),
            ("validator", "update", "set_language"),
            ("signal", "signal", "submit_greeting"),
            ("activity", "activity", "greet"),
            ("update", "update", "wait_for_greetings"),
            ("query", "query", "greetings"),
            ("signal", "signal", "exit"),
        ] {
            assert!(
                spans.contains(&expected),
                "a span {expected:?} carrying the run's ids; the run's spans: {spans:?}"
            );
        }
    }
}

matrix! {
    async fn activation_slower_than_the_threshold_is_logged_with_the_run(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env
            .engine
            .worker(env.tq("observe"))
            .workflow::<GreetingWorkflow>()
            .log_slow_activations(Duration::ZERO)
            .start()
            .unwrap();
        let handle = start(&env, "slow").await;
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();

        let warnings: Vec<Record> = records_of(&handle).await.into_iter().filter(|r| !r.span && r.name == SLOW).collect();
        assert!(!warnings.is_empty(), "every activation takes longer than zero");
        for warning in &warnings {
            assert_eq!(warning.field("workflow_type"), Some("GreetingWorkflow"));
            let elapsed: f64 = warning.field("elapsed_ms").expect("elapsed time").parse().unwrap();
            assert!(elapsed > 0.0, "{warning:?}");
            let jobs: usize = warning.field("jobs").expect("job count").parse().unwrap();
            assert!(jobs >= 1, "{warning:?}");
        }
    }
}

matrix! {
    async fn activations_are_not_logged_as_slow_without_the_option(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("observe")).workflow::<GreetingWorkflow>().start().unwrap();
        let handle = start(&env, "quiet").await;
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();

        let records = records_of(&handle).await;
        assert!(records.iter().any(|r| r.span && r.name == "workflow_task"), "the run was traced");
        assert!(!records.iter().any(|r| r.name == SLOW), "{records:?}");
    }
}

const UNFINISHED: &str = "workflow finished while signal or update handlers were still running";

matrix! {
    async fn a_run_that_completes_with_an_update_running_warns_and_its_caller_gets_a_typed_error(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("observe")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = start(&env, "unfinished").await;
        let waiting = handle
            .start_update_with_id(GreetingWorkflow::wait_for_greetings, 3, "three", WaitStage::Accepted)
            .await
            .unwrap();
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();
        assert_eq!(
            waiting.result().await.unwrap_err(),
            ClientError::UpdateUnfinished {
                workflow_id: handle.id().to_owned(),
                update_id: "three".to_owned(),
                status: WorkflowStatus::Completed,
            }
        );
        let warnings: Vec<Record> =
            records_of(&handle).await.into_iter().filter(|r| !r.span && r.name.starts_with(UNFINISHED)).collect();
        assert_eq!(warnings.len(), 1, "once, not again on replay: {warnings:?}");
        assert_eq!(warnings[0].field("unfinished_updates"), Some(r#"["wait_for_greetings (id three)"]"#));
        assert_eq!(warnings[0].field("unfinished_signals"), Some("[]"));
    }
}

matrix! {
    async fn a_run_whose_handlers_finished_does_not_warn(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("observe")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = start(&env, "finished").await;
        handle.execute_update(GreetingWorkflow::wait_for_greetings, 0).await.unwrap();
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();
        assert!(!records_of(&handle).await.iter().any(|r| r.name.starts_with(UNFINISHED)));
    }
}

/// Two update handlers that wait for ever, one marked to be abandoned.
#[derive(Default)]
pub struct Lingering {
    exit: bool,
}

#[workflow::defn]
impl Lingering {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.exit).await
    }

    #[workflow::signal]
    fn exit(&mut self) {
        self.exit = true;
    }

    #[workflow::update]
    async fn watched(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|_| false).await
    }

    #[workflow::update(unfinished_policy = "abandon")]
    async fn abandoned(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|_| false).await
    }
}

matrix! {
    async fn a_handler_marked_abandon_is_left_out_of_the_warning(flavor: Flavor) {
        capture();
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("observe")).workflow::<Lingering>().start().unwrap();
        let options = StartOptions::new(env.id(&format!("{PREFIX}abandon"))).task_queue(env.tq("observe"));
        let handle = env.client.start_workflow(Lingering::run, (), options).await.unwrap();
        let watched = handle.start_update_with_id(Lingering::watched, (), "w", WaitStage::Accepted).await.unwrap();
        let abandoned = handle.start_update_with_id(Lingering::abandoned, (), "a", WaitStage::Accepted).await.unwrap();
        handle.signal(Lingering::exit, ()).await.unwrap();
        handle.result().await.unwrap();
        assert!(matches!(watched.result().await, Err(ClientError::UpdateUnfinished { .. })));
        assert!(matches!(abandoned.result().await, Err(ClientError::UpdateUnfinished { .. })), "its caller is still told");

        let run_id = handle.describe().await.unwrap().run_id;
        let records = RECORDS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let warnings: Vec<&Record> =
            records.iter().filter(|r| r.is_of_run(handle.id(), &run_id) && r.name.starts_with(UNFINISHED)).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].field("unfinished_updates"), Some(r#"["watched (id w)"]"#));
    }
}
