use workflow::StartOptions;

use crate::support::{matrix, Env, Flavor};
use crate::workflows::*;

matrix! {
    async fn activities_retry_per_policy_and_time_out(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env
            .engine
            .worker(env.tq("act"))
            .workflow::<Retrier>()
            .activity(flaky)
            .activity(fatal)
            .activity(slow)
            .start().unwrap();
        let handle = env
            .client
            .start_workflow(Retrier::run, "job".to_owned(), StartOptions::new(env.id("retry")).task_queue(env.tq("act")))
            .await
            .unwrap();
        let out = handle.result().await.unwrap();
        // Temporal's activity failures do not carry the attempt count.
        let after = |n: u32| match flavor {
            Flavor::Temporal => String::new(),
            _ => format!(" after {n} attempt(s)"),
        };
        assert_eq!(
            out,
            vec![
                "job after 3 attempts".to_owned(),
                format!("activity `fatal` failed{}: job cannot work", after(1)),
                format!("activity `slow` failed{}: start-to-close timeout elapsed", after(2)),
                "slept: true".to_owned(),
            ]
        );
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ActivityTaskScheduled").count(), 3, "retries add no events");
        assert_eq!(history.events_named("TimerFired").count(), 1);
    }
}

/// On Temporal, heartbeat details reach the next attempt and a workflow's
/// cancellation reaches the running activity.
#[cfg(feature = "temporal")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_activities_resume_from_heartbeats_and_see_cancellation() {
    use std::sync::atomic::Ordering;
    use workflow::{ClientError, Failure};

    if crate::support::temporal_address().is_none() {
        return;
    }
    let env = Env::new(Flavor::Temporal).await;
    let _worker = env
        .engine
        .worker(env.tq("patient"))
        .workflow::<Patient>()
        .activity(patient_task)
        .start()
        .unwrap();
    let handle = env
        .client
        .start_workflow(
            Patient::run,
            (),
            StartOptions::new(env.id("patient")).task_queue(env.tq("patient")),
        )
        .await
        .unwrap();
    while !patient::SECOND_ATTEMPT.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        patient::RESUMED_FROM.load(Ordering::SeqCst),
        3,
        "resumed from the first attempt's heartbeat"
    );
    handle.cancel().await.unwrap();
    let err = handle.result().await.unwrap_err();
    assert_eq!(
        err,
        ClientError::WorkflowFailed {
            workflow_id: env.id("patient"),
            failure: Failure::Canceled
        }
    );
    for _ in 0..100 {
        if patient::SAW_CANCEL.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the activity never saw its cancellation");
}

matrix! {
    async fn an_activity_may_fail_with_any_error_and_keeps_its_type_message_and_sources(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env
            .engine
            .worker(env.tq("act"))
            .workflow::<Errors>()
            .activity(read_missing)
            .activity(parse_count)
            .activity(refuse)
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("errors")).task_queue(env.tq("act"));
        let handle = env.client.start_workflow(Errors::run, (), options).await.unwrap();
        assert_eq!(
            handle.result().await.unwrap(),
            [
                "std::io::error::Error|No such file or directory (os error 2)",
                // Retried: the third attempt's failure, with its source.
                "anyhow::Error|attempt 3: `many` is not a count: invalid digit found in string",
                // A non-retryable `ApplicationError` passes through anyhow as it is.
                "OverLimit|attempt 1: 500 is over the limit",
            ]
        );
    }
}
