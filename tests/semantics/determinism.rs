//! Changed workflow code against recorded history: the replayer and a live
//! engine both name the event where the code departs from history, and the
//! run continues once the code is fixed.

use std::time::Duration;

use workflow::{
    ActivityOptions, Engine, EventKind, Nondeterminism, ReplayError, Replayer, StartOptions, WorkflowContext,
    WorkflowResult,
};

use crate::support::task_failure;
use crate::workflows::slow;

/// The deployed version: a timer, then waits for `go`, then an activity.
#[derive(Default)]
pub struct ShippingV1 {
    go: bool,
}

#[workflow::defn(name = "Shipping")]
impl ShippingV1 {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        ctx.sleep(Duration::from_millis(1)).await?;
        ctx.wait_condition(|s| s.go).await?;
        ctx.execute_activity(slow, 1, ActivityOptions::start_to_close(Duration::from_secs(5)))
            .await
    }

    #[workflow::signal]
    fn go(&mut self) {
        self.go = true;
    }
}

/// A change that reorders the commands: the activity now comes first.
#[derive(Default)]
pub struct ShippingV2 {
    go: bool,
}

#[workflow::defn(name = "Shipping")]
impl ShippingV2 {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u64> {
        let shipped = ctx
            .execute_activity(slow, 1, ActivityOptions::start_to_close(Duration::from_secs(5)))
            .await?;
        ctx.sleep(Duration::from_millis(1)).await?;
        ctx.wait_condition(|s| s.go).await?;
        Ok(shipped)
    }

    #[workflow::signal]
    fn go(&mut self) {
        self.go = true;
    }
}

fn expected_nondeterminism(event_id: u64) -> Nondeterminism {
    Nondeterminism {
        event_id,
        expected: "TimerStarted(seq 1, 1ms)".to_owned(),
        actual: "ScheduleActivity(seq 1, `slow`)".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replayer_accepts_the_recorded_code_and_names_where_a_change_departs() {
    let engine = Engine::in_memory().unwrap();
    let _worker = engine
        .worker("ship")
        .workflow::<ShippingV1>()
        .activity(slow)
        .start()
        .unwrap();
    let handle = engine
        .client()
        .start_workflow(ShippingV1::run, (), StartOptions::new("order-1").task_queue("ship"))
        .await
        .unwrap();
    handle.signal(ShippingV1::go, ()).await.unwrap();
    assert_eq!(handle.result().await.unwrap(), 1);
    let history = handle.fetch_history().await.unwrap();
    let json = history.to_json();

    let v1 = Replayer::new().workflow::<ShippingV1>();
    v1.replay(&history).unwrap();
    v1.replay_json(&json).unwrap();

    let timer = history.events_named("TimerStarted").next().unwrap().id;
    let v2 = Replayer::new().workflow::<ShippingV2>();
    assert_eq!(
        v2.replay_json(&json),
        Err(ReplayError::Nondeterminism(expected_nondeterminism(timer)))
    );
    assert!(matches!(
        Replayer::new().replay(&history),
        Err(ReplayError::UnknownWorkflowType { workflow_type }) if workflow_type == "Shipping"
    ));
    assert!(matches!(v1.replay_json("{ not json"), Err(ReplayError::History(_))));
}

/// Waits until the run has fired its timer and recorded the task after it.
async fn until_waiting_for_go(handle: &workflow::WorkflowHandle<ShippingV1>) {
    for _ in 0..200 {
        let history = handle.fetch_history().await.unwrap();
        if let Some(fired) = history.events_named("TimerFired").next() {
            if history
                .events
                .iter()
                .any(|e| e.id > fired.id && matches!(e.kind, EventKind::WorkflowTaskCompleted))
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the run never got past its timer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_code_stops_the_run_without_corrupting_it_and_fixed_code_continues_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ship.db");
    let engine = Engine::open(&path).unwrap();
    let worker = engine
        .worker("ship")
        .workflow::<ShippingV1>()
        .activity(slow)
        .start()
        .unwrap();
    let handle = engine
        .client()
        .start_workflow(ShippingV1::run, (), StartOptions::new("order-2").task_queue("ship"))
        .await
        .unwrap();
    until_waiting_for_go(&handle).await;
    let recorded = handle.fetch_history().await.unwrap();
    worker.shutdown();
    engine.close();

    // The changed code replays the run from the file and departs at the timer.
    let engine = Engine::open(&path).unwrap();
    let worker = engine
        .worker("ship")
        .workflow::<ShippingV2>()
        .activity(slow)
        .start()
        .unwrap();
    let handle = engine.client().get_workflow_handle_for(ShippingV1::run, "order-2");
    handle.signal(ShippingV1::go, ()).await.unwrap();
    let timer = recorded.events_named("TimerStarted").next().unwrap().id;
    let expected = expected_nondeterminism(timer).to_string();
    assert_eq!(task_failure(&handle).await, expected);
    let after = handle.fetch_history().await.unwrap();
    assert_eq!(
        after.events[..recorded.events.len()],
        recorded.events[..],
        "recorded history untouched"
    );
    assert_eq!(
        after.events.len(),
        recorded.events.len() + 1,
        "only the signal was added"
    );
    worker.shutdown();
    engine.close();

    // The fixed code continues where the run stopped.
    let engine = Engine::open(&path).unwrap();
    let _worker = engine
        .worker("ship")
        .workflow::<ShippingV1>()
        .activity(slow)
        .start()
        .unwrap();
    let handle = engine.client().get_workflow_handle_for(ShippingV1::run, "order-2");
    assert_eq!(handle.result().await.unwrap(), 1);
    assert_eq!(handle.describe().await.unwrap().task_failure, None);
}
