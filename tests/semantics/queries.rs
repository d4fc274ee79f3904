use workflow::{ClientError, StartOptions};

use crate::support::{matrix, Env, Flavor};
use crate::workflows::*;

matrix! {
    async fn query_answers_on_running_and_completed_workflows_without_history(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("q")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("q")).task_queue(env.tq("q"))).await.unwrap();
        handle.signal(Counter::add, 4).await.unwrap();
        // Answered once the signal's workflow task is done, so history is settled.
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), vec![4]);
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
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("q")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("q2")).task_queue(env.tq("q"))).await.unwrap();
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
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new(env.id("qf")).task_queue(env.tq("greet")))
            .await
            .unwrap();
        match handle.query(GreetingWorkflow::failing, ()).await.unwrap_err() {
            ClientError::QueryFailed { name, failure } => {
                assert_eq!(name, "failing");
                let app = failure.application_error().unwrap();
                assert_eq!(app.message(), "this query always fails");
                // The Temporal server forwards a failed query's message only.
                let error_type = if matches!(flavor, Flavor::Temporal) { None } else { Some("Broken") };
                assert_eq!(app.error_type(), error_type);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

matrix! {
    async fn queries_and_updates_without_a_worker_fail_with_no_worker(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("idle")).task_queue(env.tq("nobody"))).await.unwrap();
        for err in [
            handle.query(Counter::seen, ()).await.unwrap_err(),
            handle.execute_update_by_name::<()>("anything", ()).await.unwrap_err(),
        ] {
            match err {
                ClientError::NoWorker { task_queue, .. } => assert_eq!(task_queue, env.tq("nobody")),
                other => panic!("expected NoWorker, got {other:?}"),
            }
        }
    }
}

matrix! {
    async fn a_repeated_query_sees_every_acknowledged_signal(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("q")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("fresh")).task_queue(env.tq("q"))).await.unwrap();
        let mut expected = Vec::new();
        for n in 0..20 {
            assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), expected);
            assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), expected, "asked again");
            handle.signal(Counter::add, n).await.unwrap();
            expected.push(n);
        }
        handle.signal(Counter::finish, ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), expected);
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), expected);
    }
}
