//! Activity heartbeats, heartbeat timeouts, cancellation reaching the
//! running attempt with each cancellation type, and `describe` listing
//! pending activities.

use std::time::Duration;

use workflow::{
    ActivityCancellationType, ActivityContext, ActivityOptions, ApplicationError, PendingActivityState, RetryPolicy,
    StartOptions, WorkflowContext, WorkflowError, WorkflowResult,
};

use crate::support::{matrix, until, Env, Flavor, Probes};

/// What the activities of one test saw, by workflow id: tests run in
/// parallel, so each reads only its own.
#[derive(Clone, Debug, Default)]
struct Probe {
    /// Attempts that started.
    started: u32,
    /// The heartbeat details each attempt started from.
    resumed_from: Vec<Option<u32>>,
    /// An attempt saw `cancelled()` fire.
    saw_cancel: bool,
}

static PROBES: Probes<Probe> = Probes::new();

/// Counts to `total`, heartbeating each step. The first attempt goes
/// silent after three steps, so its heartbeat timeout fails it; the next
/// attempt resumes from the last heartbeat.
#[workflow::activity]
async fn count_to(ctx: ActivityContext, total: u32) -> Result<u32, ApplicationError> {
    let from: Option<u32> = ctx.heartbeat_details();
    PROBES.record(&ctx, |p| {
        p.started += 1;
        p.resumed_from.push(from);
    });
    let mut done = from.unwrap_or(0);
    while done < total {
        if ctx.info().attempt == 1 && done == 3 {
            tokio::select! {
                () = ctx.cancelled() => PROBES.record(&ctx, |p| p.saw_cancel = true),
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
            return Err(ApplicationError::new("went silent"));
        }
        done += 1;
        ctx.heartbeat(&done)?;
    }
    Ok(done)
}

#[derive(Default)]
struct Counter;

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, total: u32) -> WorkflowResult<u32> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(60))
            .with_heartbeat_timeout(Duration::from_secs(1))
            .retry_policy(RetryPolicy {
                initial_interval: Duration::from_millis(100),
                ..RetryPolicy::default()
            });
        ctx.execute_activity(count_to, total, options).await
    }
}

matrix! {
    async fn a_silent_attempt_times_out_and_the_next_resumes_from_its_last_heartbeat(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("count")).workflow::<Counter>().activity(count_to).start().unwrap();
        let id = env.id("count");
        let options = StartOptions::new(&id).task_queue(env.tq("count"));
        let handle = env.client.start_workflow(Counter::run, 10, options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), 10);
        let seen = PROBES.of(&id);
        assert_eq!(seen.started, 2);
        assert_eq!(seen.resumed_from, [None, Some(3)], "the second attempt starts from the first's last heartbeat");
        // Temporal tells a timed-out attempt only through its next heartbeat,
        // which a silent attempt never sends.
        if !matches!(flavor, Flavor::Temporal) {
            until("the silent attempt is told to stop", || PROBES.of(&id).saw_cancel).await;
        }
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ActivityTaskScheduled").count(), 1, "retries add no events");
    }
}

/// Heartbeats until canceled, then takes a while to clean up and reports
/// the cancellation; left alone, it finishes after 3 s.
#[workflow::activity]
async fn stubborn(ctx: ActivityContext) -> Result<String, ApplicationError> {
    PROBES.record(&ctx, |p| p.started += 1);
    for _ in 0..60 {
        ctx.heartbeat(&())?;
        tokio::select! {
            () = ctx.cancelled() => {
                PROBES.record(&ctx, |p| p.saw_cancel = true);
                tokio::time::sleep(Duration::from_millis(300)).await;
                return Err(ApplicationError::new("stopped").with_type("Canceled"));
            }
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    Ok("finished".to_owned())
}

/// Calls `stubborn` with a cancellation type; once the call resolves
/// (the workflow was canceled), waits 4 s and returns how it resolved.
#[derive(Default)]
struct Canceler;

#[workflow::defn]
impl Canceler {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, abandon: bool, wait: bool) -> WorkflowResult<String> {
        let cancellation = match (abandon, wait) {
            (true, _) => ActivityCancellationType::Abandon,
            (false, true) => ActivityCancellationType::WaitCancellationCompleted,
            (false, false) => ActivityCancellationType::TryCancel,
        };
        let options = ActivityOptions::start_to_close(Duration::from_secs(60))
            .with_heartbeat_timeout(Duration::from_secs(1))
            .cancellation_type(cancellation);
        let outcome = match ctx.execute_activity(stubborn, (), options).await {
            Ok(value) => value,
            Err(WorkflowError::Canceled) => "canceled".to_owned(),
            Err(other) => other.to_string(),
        };
        ctx.sleep(Duration::from_secs(4)).await?;
        Ok(outcome)
    }
}

/// The names of the events of a history, activity and timer ones only.
fn activity_events(history: &workflow::History) -> Vec<&'static str> {
    history
        .events
        .iter()
        .map(|e| e.kind.name())
        .filter(|n| n.starts_with("Activity") || *n == "TimerStarted")
        .collect()
}

async fn cancel_while_running(env: &Env, base: &str, abandon: bool, wait: bool) -> (String, Vec<&'static str>, Probe) {
    let id = env.id(base);
    let options = StartOptions::new(&id).task_queue(env.tq("cancel"));
    let handle = env
        .client
        .start_workflow(Canceler::run, (abandon, wait), options)
        .await
        .unwrap();
    until("the attempt starts", || PROBES.of(&id).started == 1).await;
    handle.cancel().await.unwrap();
    let outcome = handle.result().await.unwrap();
    let history = handle.fetch_history().await.unwrap();
    (outcome, activity_events(&history), PROBES.of(&id))
}

matrix! {
    async fn canceling_a_running_activity_follows_its_cancellation_type(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("cancel")).workflow::<Canceler>().activity(stubborn).start().unwrap();
        let (try_cancel, wait, abandon) = tokio::join!(
            cancel_while_running(&env, "try", false, false),
            cancel_while_running(&env, "wait", false, true),
            cancel_while_running(&env, "abandon", true, false),
        );

        // Try-cancel: the attempt is told, the call resolves at once (the
        // timer starts before the attempt acknowledges).
        assert_eq!(try_cancel.0, "canceled");
        assert!(try_cancel.2.saw_cancel);
        assert_eq!(
            try_cancel.1,
            ["ActivityTaskScheduled", "ActivityTaskCancelRequested", "TimerStarted", "ActivityTaskCanceled"]
        );

        // Wait-cancellation-completed: the call resolves once the attempt has stopped.
        assert_eq!(wait.0, "canceled");
        assert!(wait.2.saw_cancel);
        assert_eq!(
            wait.1,
            ["ActivityTaskScheduled", "ActivityTaskCancelRequested", "ActivityTaskCanceled", "TimerStarted"]
        );

        // Abandon: nothing is asked of the attempt, which runs to its end.
        assert_eq!(abandon.0, "canceled");
        assert!(!abandon.2.saw_cancel);
        assert_eq!(abandon.1, ["ActivityTaskScheduled", "TimerStarted", "ActivityTaskCompleted"]);
    }
}

/// Fails every attempt.
#[workflow::activity]
async fn unreachable_service(ctx: ActivityContext) -> Result<(), ApplicationError> {
    PROBES.record(&ctx, |p| p.started += 1);
    Err(ApplicationError::new("connection refused").with_type("Unavailable"))
}

/// Calls `unreachable_service`, and `notify`, which its worker forgot to register.
#[derive(Default)]
struct Stuck;

#[workflow::defn]
impl Stuck {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry_policy(RetryPolicy {
            initial_interval: Duration::from_secs(60),
            ..RetryPolicy::default()
        });
        let notify = ctx.execute_activity_by_name::<()>("notify", (), options.clone());
        let service = ctx.execute_activity(unreachable_service, (), options);
        let (a, b) = workflow::futures::join!(service, notify);
        a.and(b)
    }
}

matrix! {
    async fn describe_lists_pending_activities_with_their_attempt_and_last_failure(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("stuck")).workflow::<Stuck>().activity(unreachable_service).start().unwrap();
        let options = StartOptions::new(env.id("stuck")).task_queue(env.tq("stuck"));
        let handle = env.client.start_workflow(Stuck::run, (), options).await.unwrap();
        let mut described = None;
        for _ in 0..200 {
            let d = handle.describe().await.unwrap();
            if d.pending_activities.len() == 2 && d.pending_activities.iter().all(|a| a.attempt == 2) {
                described = Some(d);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let described = described.expect("both activities wait for their second attempt");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let mut by_type: Vec<_> = described.pending_activities.iter().collect();
        by_type.sort_by(|a, b| a.activity_type.cmp(&b.activity_type));
        let [notify, service] = by_type[..] else { unreachable!() };
        assert_eq!(notify.activity_type, "notify");
        let failure = notify.last_failure.as_ref().expect("the first attempt's failure").to_string();
        assert!(failure.contains("`notify`") && failure.contains("unreachable_service"), "{failure}");
        assert_eq!(service.activity_type, "unreachable_service");
        let failure = service.last_failure.as_ref().unwrap();
        assert_eq!(failure.application_error().and_then(|e| e.error_type()), Some("Unavailable"));
        for activity in [notify, service] {
            assert_eq!(activity.state, PendingActivityState::Scheduled);
            let next = activity.next_attempt_time_ms.expect("the next attempt's time");
            assert!(next > now + 30_000 && next < now + 61_000, "next attempt in about a minute: {next} vs {now}");
        }
        handle.terminate("done looking").await.unwrap();
    }
}
