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
