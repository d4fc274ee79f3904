//! Bad input: unregistered workflow types and activities, a panicking
//! handler, a corrupted store row. Each gives a typed error with a clear
//! message; none takes the engine down or loses what was accepted.

use std::time::Duration;

use workflow::{ActivityOptions, ClientError, Engine, RetryPolicy, StartOptions, WorkflowContext, WorkflowResult};

use crate::support::{matrix, task_failure, Env, Flavor};
use crate::workflows::{greet, slow, Counter};

/// Calls an activity no worker registers.
#[derive(Default)]
pub struct CallsMissing;

#[workflow::defn]
impl CallsMissing {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(5)).retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(10),
            maximum_attempts: 2,
            ..RetryPolicy::default()
        });
        ctx.execute_activity_by_name("no_such_activity", (), options).await
    }
}

/// Panics on the value 13.
#[derive(Default)]
pub struct Fragile {
    seen: Vec<u64>,
}

#[workflow::defn]
impl Fragile {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.seen.len() > 100).await
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        assert_ne!(n, 13, "unlucky number");
        self.seen.push(n);
    }
}

matrix! {
    async fn an_unregistered_workflow_type_is_a_task_failure_naming_what_is_registered(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("bad")).workflow::<Counter>().workflow::<Fragile>().start().unwrap();
        let handle = env
            .client
            .start_workflow_by_name("NoSuchWorkflow", (), StartOptions::new(env.id("ghost")).task_queue(env.tq("bad")))
            .await
            .unwrap();
        let failure = task_failure(&handle).await;
        let expected = format!(
            "workflow type `NoSuchWorkflow` is not registered on task queue `{}`; registered workflow types: Counter, Fragile",
            env.tq("bad")
        );
        assert!(failure.contains(&expected), "{failure}");
        handle.signal_by_name("anything", ()).await.unwrap();
        // The server holds events that arrive during a workflow task back
        // until the task ends, and this one never does.
        if !matches!(flavor, Flavor::Temporal) {
            assert_eq!(handle.describe().await.unwrap().signals_received, 1, "signals are still accepted and kept");
        }
    }
}

// A worker polls its queue's activities only when it registers one: on
// Temporal an activity of a queue no worker polls waits for one.
matrix! {
    async fn an_unregistered_activity_fails_per_its_retry_policy_naming_what_is_registered(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("bad")).workflow::<CallsMissing>().activity(greet).activity(slow).start().unwrap();
        let handle = env
            .client
            .start_workflow(CallsMissing::run, (), StartOptions::new(env.id("missing")).task_queue(env.tq("bad")))
            .await
            .unwrap();
        match handle.result().await.unwrap_err() {
            ClientError::WorkflowFailed { failure, .. } => {
                let cause = failure.application_error().expect("an application error");
                assert_eq!(cause.error_type(), Some("NotFoundError"));
                let expected = format!(
                    "activity `no_such_activity` is not registered on task queue `{}`; registered activities: greet, slow",
                    env.tq("bad")
                );
                assert_eq!(cause.message(), expected);
            }
            other => panic!("expected the activity's failure, got {other:?}"),
        }
    }
}

matrix! {
    embedded: async fn a_panicking_signal_handler_fails_the_task_not_the_engine(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("bad")).workflow::<Fragile>().workflow::<Counter>().start().unwrap();
        let fragile = env
            .client
            .start_workflow(Fragile::run, (), StartOptions::new(env.id("fragile")).task_queue(env.tq("bad")))
            .await
            .unwrap();
        fragile.signal(Fragile::add, 13).await.unwrap();
        let failure = task_failure(&fragile).await;
        assert!(failure.contains("panicked") && failure.contains("unlucky number"), "{failure}");
        // The engine goes on serving other workflows, and the signal stays in history.
        let counter = env
            .client
            .start_workflow(Counter::run, (), StartOptions::new(env.id("healthy")).task_queue(env.tq("bad")))
            .await
            .unwrap();
        counter.signal(Counter::add, 1).await.unwrap();
        counter.signal(Counter::finish, ()).await.unwrap();
        assert_eq!(counter.result().await.unwrap(), vec![1]);
        assert_eq!(fragile.fetch_history().await.unwrap().events_named("WorkflowExecutionSignaled").count(), 1);
    }
}

/// A corrupted history row marks its run (see `tests/store/containment.rs`
/// for the rest of the file working on); reading it is a typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_history_row_is_a_typed_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.db");
    {
        let engine = Engine::open(&path).unwrap();
        let client = engine.client();
        client
            .start_workflow(Counter::run, (), StartOptions::new("victim").task_queue("bad"))
            .await
            .unwrap();
        engine.close();
    }
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute("UPDATE events SET data = x'ffffffff' WHERE id = 1", [])
            .unwrap();
    }
    let engine = Engine::open(&path).expect("the file opens");
    let victim = engine.client().get_workflow_handle("victim");
    let d = victim.describe().await.unwrap();
    let failure = d.task_failure.expect("the run is marked");
    assert!(failure.contains("history event 1 cannot be decoded"), "{failure}");
    match victim.fetch_history().await {
        Err(ClientError::Storage(message)) => assert!(message.contains("history event 1"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }
}
