//! Local activities: run by the workflow's own worker with no schedule
//! event, retried per their policy, recorded as one marker each that replay
//! reads instead of running them again, and canceled with their workflow.

use std::time::Duration;

use workflow::{
    ActivityContext, ActivityOptions, ApplicationError, EventKind, Marker, Replayer, RetryPolicy, StartOptions,
    WorkflowContext, WorkflowError, WorkflowResult,
};

use crate::support::{matrix, until, Env, Probes};

/// What the attempts of one test's activities saw, by workflow id.
#[derive(Clone, Debug, Default)]
struct Probe {
    /// Attempts that started.
    attempts: u32,
    /// Whether each attempt was told it runs as a local activity.
    local: Vec<bool>,
    /// An attempt saw `cancelled()` fire.
    saw_cancel: bool,
}

static PROBES: Probes<Probe> = Probes::new();

/// The price of an item; item 2's first attempt fails.
#[workflow::activity]
async fn price_of(ctx: ActivityContext, item: u32) -> Result<u32, ApplicationError> {
    PROBES.record(&ctx, |p| {
        p.attempts += 1;
        p.local.push(ctx.info().is_local);
    });
    if item == 2 && ctx.info().attempt == 1 {
        return Err(ApplicationError::new("price list busy").with_type("Busy"));
    }
    Ok(item * 100)
}

/// Always refuses.
#[workflow::activity]
async fn refuse(ctx: ActivityContext) -> Result<u32, ApplicationError> {
    PROBES.record(&ctx, |p| p.attempts += 1);
    Err(ApplicationError::new("no stock").with_type("OutOfStock"))
}

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10)).retry_policy(RetryPolicy {
        initial_interval: Duration::from_millis(100),
        maximum_attempts: 3,
        ..RetryPolicy::default()
    })
}

/// Adds up the prices of items 1 to 3, one local activity each, then
/// calls `refuse` and reports how it failed.
#[derive(Default)]
struct Basket;

#[workflow::defn]
impl Basket {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<(u32, String)> {
        let mut total = 0;
        for item in 1..=3 {
            total += ctx.execute_local_activity(price_of, item, options()).await?;
        }
        let refused = match ctx.execute_local_activity(refuse, (), options()).await {
            Err(WorkflowError::Failed(failure)) => {
                let error = failure
                    .application_error()
                    .map(|e| (e.error_type(), e.message().to_owned()));
                format!("{error:?}")
            }
            other => format!("unexpected: {other:?}"),
        };
        Ok((total, refused))
    }
}

/// The local activity markers of a history: seq, type, attempt.
fn markers(history: &workflow::History) -> Vec<(u32, String, u32)> {
    history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MarkerRecorded {
                marker:
                    Marker::LocalActivity {
                        seq,
                        activity_type,
                        attempt,
                        ..
                    },
            } => Some((*seq, activity_type.clone(), *attempt)),
            _ => None,
        })
        .collect()
}

matrix! {
    async fn local_activities_run_in_the_worker_and_replay_from_their_markers(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env
            .engine
            .worker(env.tq("basket"))
            .workflow::<Basket>()
            .activity(price_of)
            .activity(refuse)
            .start()
            .unwrap();
        let id = env.id("basket");
        let options = StartOptions::new(&id).task_queue(env.tq("basket"));
        let handle = env.client.start_workflow(Basket::run, (), options).await.unwrap();
        let (total, refused) = handle.result().await.unwrap();
        assert_eq!(total, 600);
        assert_eq!(refused, r#"Some((Some("OutOfStock"), "no stock"))"#, "the failure keeps its type and message");

        let seen = PROBES.of(&id);
        assert_eq!(seen.attempts, 4 + 3, "item 2 ran twice, `refuse` three times");
        assert!(seen.local.iter().all(|local| *local), "each attempt knew it ran locally");

        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ActivityTaskScheduled").count(), 0, "no task queue dispatch");
        let price = "price_of".to_owned();
        assert_eq!(
            markers(&history),
            [(1, price.clone(), 1), (2, price.clone(), 2), (3, price, 1), (4, "refuse".to_owned(), 3)],
            "one marker per call, with the attempt that ended it"
        );
        // Each marker follows the workflow task that took it in, as Core records it.
        for (i, event) in history.events.iter().enumerate() {
            if matches!(event.kind, EventKind::MarkerRecorded { .. }) {
                let before = history.events[..i].iter().rev().find(|e| !matches!(e.kind, EventKind::MarkerRecorded { .. }));
                assert!(matches!(before.map(|e| &e.kind), Some(EventKind::WorkflowTaskCompleted)), "{:?}", history.events);
            }
        }

        // Replay reads the outcomes from the markers and runs nothing.
        Replayer::new().workflow::<Basket>().replay(&history).unwrap();
        assert_eq!(PROBES.of(&id).attempts, 7);
    }
}

/// Runs until canceled, then reports it.
#[workflow::activity]
async fn wait_for_cancel(ctx: ActivityContext) -> Result<(), ApplicationError> {
    PROBES.record(&ctx, |p| p.attempts += 1);
    tokio::select! {
        () = ctx.cancelled() => {
            PROBES.record(&ctx, |p| p.saw_cancel = true);
            Err(ApplicationError::new("stopped"))
        }
        () = tokio::time::sleep(Duration::from_secs(30)) => Ok(()),
    }
}

#[derive(Default)]
struct Waiter;

#[workflow::defn]
impl Waiter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(60));
        match ctx.execute_local_activity(wait_for_cancel, (), options).await {
            Err(WorkflowError::Canceled) => Ok("canceled".to_owned()),
            other => Ok(format!("{other:?}")),
        }
    }
}

matrix! {
    async fn canceling_the_workflow_stops_its_running_local_activity(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("wait")).workflow::<Waiter>().activity(wait_for_cancel).start().unwrap();
        let id = env.id("wait");
        let options = StartOptions::new(&id).task_queue(env.tq("wait"));
        let handle = env.client.start_workflow(Waiter::run, (), options).await.unwrap();
        until("the attempt starts", || PROBES.of(&id).attempts == 1).await;
        handle.cancel().await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "canceled");
        until("the attempt is told to stop", || PROBES.of(&id).saw_cancel).await;
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ActivityTaskScheduled").count(), 0);
        // Try-cancel records the marker where the request is made, before
        // the run closes, on both engines.
        let names: Vec<&str> = history.events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            names,
            [
                "WorkflowExecutionStarted",
                "WorkflowTaskCompleted",
                "WorkflowExecutionCancelRequested",
                "WorkflowTaskCompleted",
                "MarkerRecorded",
                "WorkflowExecutionCompleted"
            ]
        );
        Replayer::new().workflow::<Waiter>().replay(&history).unwrap();
    }
}

/// Sleeps a while before answering, so an engine can stop under it.
#[workflow::activity]
async fn slow_price(ctx: ActivityContext, item: u32) -> Result<u32, ApplicationError> {
    PROBES.record(&ctx, |p| p.attempts += 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(item)
}

#[derive(Default)]
struct SlowBasket;

#[workflow::defn]
impl SlowBasket {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        ctx.execute_local_activity(slow_price, 7, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_activity_in_flight_when_the_engine_stops_runs_again_after_it_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wf.db");
    let id = "slow-basket";
    {
        let engine = workflow::Engine::open(&path).unwrap();
        let _worker = engine
            .worker("slow")
            .workflow::<SlowBasket>()
            .activity(slow_price)
            .start()
            .unwrap();
        let options = StartOptions::new(id).task_queue("slow");
        engine
            .client()
            .start_workflow(SlowBasket::run, (), options)
            .await
            .unwrap();
        until("the attempt starts", || PROBES.of(id).attempts == 1).await;
        engine.close();
    }
    let engine = workflow::Engine::open(&path).unwrap();
    let _worker = engine
        .worker("slow")
        .workflow::<SlowBasket>()
        .activity(slow_price)
        .start()
        .unwrap();
    let handle = engine.client().get_workflow_handle_for(SlowBasket::run, id);
    assert_eq!(handle.result().await.unwrap(), 7);
    assert_eq!(PROBES.of(id).attempts, 2, "the attempt cut short ran again");
    let history = handle.fetch_history().await.unwrap();
    assert_eq!(markers(&history), [(1, "slow_price".to_owned(), 1)]);
    assert!(matches!(
        history.events.last().map(|e| &e.kind),
        Some(EventKind::WorkflowExecutionCompleted { .. })
    ));
}
