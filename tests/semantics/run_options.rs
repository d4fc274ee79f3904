//! What a start asks of a run beyond its id: run and execution timeouts,
//! the workflow's retry policy and a start delay, enforced by the engine.

use std::time::{Duration, Instant};

use workflow::{
    ActivityOptions, ApplicationError, ClientError, Engine, EventKind, Failure, RetryPolicy, StartOptions, TimeoutKind,
    WorkflowContext, WorkflowError, WorkflowResult, WorkflowStatus,
};

use crate::support::{matrix, Env};

/// Waits for a signal that never comes.
#[derive(Default)]
struct Waiter {
    released: bool,
}

#[workflow::defn]
impl Waiter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.released).await?;
        Ok(())
    }

    #[workflow::signal]
    fn release(&mut self) {
        self.released = true;
    }
}

/// Fails until its attempt reaches `succeed_at`, then returns the attempt;
/// a `succeed_at` of 0 fails for good.
#[derive(Default)]
pub(crate) struct Flaky;

#[workflow::defn]
impl Flaky {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, succeed_at: u32) -> WorkflowResult<u32> {
        let attempt = ctx.info().attempt;
        match succeed_at {
            0 => Err(WorkflowError::Application(
                ApplicationError::new("gave up").with_type("Fatal"),
            )),
            n if attempt < n => Err(WorkflowError::Application(ApplicationError::new(format!(
                "attempt {attempt} failed"
            )))),
            _ => Ok(attempt),
        }
    }
}

/// Fails (for good, as an activity) on the workflow's first attempt.
#[workflow::activity]
async fn first_attempt_fails(workflow_attempt: u32) -> Result<u32, ApplicationError> {
    match workflow_attempt {
        1 => Err(ApplicationError::new("not on the first attempt").non_retryable()),
        n => Ok(n),
    }
}

/// Returns what its activity says, with `?` on its failure.
#[derive(Default)]
struct Delegating;

#[workflow::defn]
impl Delegating {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        let attempt = ctx.info().attempt;
        ctx.execute_activity(first_attempt_fails, attempt, options).await
    }
}

pub(crate) fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        initial_interval: Duration::from_millis(100),
        maximum_attempts: 4,
        non_retryable_error_types: vec!["Fatal".to_owned()],
        ..RetryPolicy::default()
    }
}

fn timed_out(result: Result<(), ClientError>) {
    match result {
        Err(ClientError::WorkflowFailed {
            failure: Failure::Timeout {
                kind: TimeoutKind::StartToClose,
            },
            ..
        }) => {}
        other => panic!("expected a start-to-close timeout, got {other:?}"),
    }
}

matrix! {
    async fn a_run_past_its_run_timeout_closes_as_timed_out(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("timeouts")).workflow::<Waiter>().start().unwrap();
        let options = StartOptions::new(env.id("run-timeout"))
            .task_queue(env.tq("timeouts"))
            .run_timeout(Duration::from_secs(1));
        let handle = env.client.start_workflow(Waiter::run, (), options).await.unwrap();
        timed_out(handle.result().await);
        assert_eq!(handle.describe().await.unwrap().status, WorkflowStatus::TimedOut);
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events.last().unwrap().kind, EventKind::WorkflowExecutionTimedOut);
        let error = handle.signal(Waiter::release, ()).await.unwrap_err();
        assert!(matches!(error, ClientError::Closed { status: WorkflowStatus::TimedOut, .. }), "{error:?}");
    }
}

matrix! {
    async fn the_execution_timeout_ends_the_workflow_and_is_not_retried(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("timeouts")).workflow::<Waiter>().start().unwrap();
        let id = env.id("execution-timeout");
        let options = StartOptions::new(&id)
            .task_queue(env.tq("timeouts"))
            .execution_timeout(Duration::from_secs(1))
            .retry_policy(quick_retries());
        let handle = env.client.start_workflow(Waiter::run, (), options).await.unwrap();
        let first_run = handle.describe().await.unwrap().run_id;
        timed_out(handle.result().await);
        let last = env.client.get_workflow_handle(&id).describe().await.unwrap();
        assert_eq!((last.run_id, last.status), (first_run, WorkflowStatus::TimedOut), "no retry");
    }
}

matrix! {
    async fn a_failed_run_is_retried_as_a_new_run_until_it_succeeds(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("retries")).workflow::<Flaky>().start().unwrap();
        let id = env.id("retried");
        let options = StartOptions::new(&id).task_queue(env.tq("retries")).retry_policy(quick_retries());
        let handle = env.client.start_workflow(Flaky::run, 3, options).await.unwrap();
        let first_run = handle.describe().await.unwrap().run_id;
        assert_eq!(handle.result().await.unwrap(), 3, "the third attempt returns its number");

        let first = env.client.get_workflow_handle(&id).with_run_id(&first_run);
        assert_eq!(first.describe().await.unwrap().status, WorkflowStatus::Failed);
        let last = env.client.get_workflow_handle(&id).describe().await.unwrap();
        assert_eq!(last.status, WorkflowStatus::Completed);
        let started = env.client.get_workflow_handle(&id).fetch_history().await.unwrap();
        match &started.events[0].kind {
            EventKind::WorkflowExecutionStarted { attempt, continued_from_run_id, input, .. } => {
                assert_eq!(*attempt, 3);
                assert!(continued_from_run_id.is_some(), "a retry continues the chain");
                assert_eq!(input[0].decode::<u32>().unwrap(), 3, "with the first run's arguments");
            }
            other => panic!("{other:?}"),
        }
    }
}

matrix! {
    async fn a_run_failed_by_its_activity_is_retried(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env
            .engine
            .worker(env.tq("delegating"))
            .workflow::<Delegating>()
            .activity(first_attempt_fails)
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("delegating"))
            .task_queue(env.tq("delegating"))
            .retry_policy(quick_retries());
        let handle = env.client.start_workflow(Delegating::run, (), options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), 2, "the second attempt's activity succeeds");
    }
}

matrix! {
    async fn a_run_is_not_retried_past_its_policy(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("retries")).workflow::<Flaky>().start().unwrap();
        for (name, succeed_at, attempts) in [("fatal", 0, 1), ("exhausted", 9, 4)] {
            let id = env.id(name);
            let options = StartOptions::new(&id).task_queue(env.tq("retries")).retry_policy(quick_retries());
            let handle = env.client.start_workflow(Flaky::run, succeed_at, options).await.unwrap();
            match handle.result().await {
                Err(ClientError::WorkflowFailed { failure: Failure::Application(e), .. }) => {
                    assert!(e.message().contains(if succeed_at == 0 { "gave up" } else { "attempt 4" }), "{e}")
                }
                other => panic!("{name}: expected the last attempt's failure, got {other:?}"),
            }
            let last = env.client.get_workflow_handle(&id).fetch_history().await.unwrap();
            match &last.events[0].kind {
                EventKind::WorkflowExecutionStarted { attempt, .. } => assert_eq!(*attempt, attempts, "{name}"),
                other => panic!("{other:?}"),
            }
        }
    }
}

matrix! {
    async fn a_start_delay_holds_the_first_workflow_task(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("retries")).workflow::<Flaky>().start().unwrap();
        let begun = Instant::now();
        // The run timeout counts from the end of the delay.
        let options = StartOptions::new(env.id("delayed"))
            .task_queue(env.tq("retries"))
            .start_delay(Duration::from_secs(2))
            .run_timeout(Duration::from_secs(1));
        let handle = env.client.start_workflow(Flaky::run, 1, options).await.unwrap();
        let history = handle.fetch_history().await.unwrap();
        assert!(
            history.events_named("WorkflowTaskCompleted").next().is_none(),
            "no task ran during the delay"
        );
        assert_eq!(handle.result().await.unwrap(), 1);
        assert!(begun.elapsed() >= Duration::from_millis(1_900), "{:?}", begun.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_delay_and_a_run_timeout_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("options.db");
    let engine = Engine::open(&path).unwrap();
    let client = engine.client();
    let delayed = StartOptions::new("delayed")
        .task_queue("options")
        .start_delay(Duration::from_secs(1));
    client.start_workflow(Flaky::run, 1, delayed).await.unwrap();
    let bounded = StartOptions::new("bounded")
        .task_queue("options")
        .run_timeout(Duration::from_secs(1));
    client.start_workflow(Waiter::run, (), bounded).await.unwrap();
    engine.close();

    let engine = Engine::open(&path).unwrap();
    let _worker = engine
        .worker("options")
        .workflow::<Flaky>()
        .workflow::<Waiter>()
        .start()
        .unwrap();
    let client = engine.client();
    let delayed = client.get_workflow_handle_for(Flaky::run, "delayed");
    assert_eq!(
        delayed.result().await.unwrap(),
        1,
        "the delayed run starts after reopening"
    );
    let bounded = client.get_workflow_handle_for(Waiter::run, "bounded");
    timed_out(bounded.result().await);
    engine.close();
}
