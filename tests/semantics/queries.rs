use workflow::{ClientError, StartOptions};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn query_answers_on_running_and_completed_workflows_without_history(flavor: Flavor) {
        let env = Env::new(flavor);
        let _worker = env.engine.worker("q").workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new("q").task_queue("q")).await.unwrap();
        handle.signal(Counter::add, 4).await.unwrap();
        let before = handle.fetch_history().await.unwrap().events.len();
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), vec![4]);
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), vec![4]);
        assert_eq!(handle.fetch_history().await.unwrap().events.len(), before, "queries add no events");
        handle.signal(Counter::finish, ()).await.unwrap();
        handle.result().await.unwrap();
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), vec![4], "closed workflows answer too");
    }
}

matrix! {
    async fn unknown_query_lists_the_known_names(flavor: Flavor) {
        let env = Env::new(flavor);
        let _worker = env.engine.worker("q").workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new("q2").task_queue("q")).await.unwrap();
        let err = handle.query_by_name::<u64>("nope", ()).await.unwrap_err();
        assert_eq!(
            err,
            ClientError::UnknownQuery { workflow_type: "Counter".into(), name: "nope".into(), known: vec!["seen".into()] }
        );
        assert_eq!(err.to_string(), "workflow `Counter` has no query `nope` (known queries: seen)");
    }
}

matrix! {
    async fn query_handler_error_reaches_the_caller(flavor: Flavor) {
        let env = Env::new(flavor);
        let _worker = env.engine.worker("greet").workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new("qf").task_queue("greet"))
            .await
            .unwrap();
        match handle.query(GreetingWorkflow::failing, ()).await.unwrap_err() {
            ClientError::QueryFailed { name, failure } => {
                assert_eq!(name, "failing");
                let app = failure.application_error().unwrap();
                assert_eq!((app.message(), app.error_type()), ("this query always fails", Some("Broken")));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
