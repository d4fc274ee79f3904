use workflow::StartOptions;

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn activities_retry_per_policy_and_time_out(flavor: Flavor) {
        let env = Env::new(flavor);
        let _worker = env
            .engine
            .worker("act")
            .workflow::<Retrier>()
            .activity(flaky)
            .activity(fatal)
            .activity(slow)
            .start().unwrap();
        let handle = env
            .client
            .start_workflow(Retrier::run, "job".to_owned(), StartOptions::new("retry").task_queue("act"))
            .await
            .unwrap();
        let out = handle.result().await.unwrap();
        assert_eq!(
            out,
            vec![
                "job after 3 attempts".to_owned(),
                "activity `fatal` failed after 1 attempt(s): job cannot work".to_owned(),
                "activity `slow` failed after 2 attempt(s): start-to-close timeout elapsed".to_owned(),
                "slept: true".to_owned(),
            ]
        );
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ActivityTaskScheduled").count(), 3, "retries add no events");
        assert_eq!(history.events_named("TimerFired").count(), 1);
    }
}
