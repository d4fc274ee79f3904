use workflow::{ClientError, StartOptions, WaitStage, WorkflowStatus};

use crate::support::{matrix, Env};
use crate::workflows::*;

async fn started(env: &Env, id: &str) -> workflow::WorkflowHandle<GreetingWorkflow> {
    env.client
        .start_workflow(
            GreetingWorkflow::run,
            (),
            StartOptions::new(env.id(id)).task_queue(env.tq("greet")),
        )
        .await
        .unwrap()
}

matrix! {
    async fn validator_rejection_returns_the_error_and_records_nothing(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u1").await;
        handle.query(GreetingWorkflow::pending, ()).await.unwrap();
        let before = handle.fetch_history().await.unwrap().events.len();
        let err = handle.execute_update(GreetingWorkflow::set_language, Language::Klingon).await.unwrap_err();
        match &err {
            ClientError::UpdateRejected { name, failure } => {
                assert_eq!(name, "set_language");
                assert_eq!(failure.to_string(), "Klingon is not supported");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(handle.fetch_history().await.unwrap().events.len(), before, "no trace in history");
        let unknown = handle.execute_update_by_name::<()>("no_such_update", ()).await.unwrap_err();
        assert!(matches!(unknown, ClientError::UnknownUpdate { .. }), "{unknown:?}");
        assert_eq!(handle.fetch_history().await.unwrap().events.len(), before);
    }
}

matrix! {
    async fn accepted_update_returns_the_handler_result(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u2").await;
        let old = handle.execute_update(GreetingWorkflow::set_language, Language::French).await.unwrap();
        assert_eq!(old, Language::English);
        let old = handle.execute_update(GreetingWorkflow::set_language, Language::English).await.unwrap();
        assert_eq!(old, Language::French);
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionUpdateAccepted").count(), 2);
        assert_eq!(history.events_named("WorkflowExecutionUpdateCompleted").count(), 2);
    }
}

matrix! {
    async fn async_update_completes_when_its_condition_holds(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u3").await;
        let waiting = handle
            .start_update(GreetingWorkflow::wait_for_greetings, 2, WaitStage::Accepted)
            .await
            .unwrap();
        handle.signal(GreetingWorkflow::submit_greeting, "a".to_owned()).await.unwrap();
        handle.signal(GreetingWorkflow::submit_greeting, "b".to_owned()).await.unwrap();
        let greetings = waiting.result().await.unwrap();
        assert_eq!(greetings, vec!["Hello, a!".to_owned(), "Hello, b!".to_owned()]);
    }
}

matrix! {
    async fn start_update_with_accepted_returns_before_completion(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u4").await;
        let accepted = handle
            .start_update(GreetingWorkflow::wait_for_greetings, 1, WaitStage::Accepted)
            .await
            .unwrap();
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionUpdateAccepted").count(), 1);
        assert_eq!(history.events_named("WorkflowExecutionUpdateCompleted").count(), 0, "still running");
        handle.signal(GreetingWorkflow::submit_greeting, "late".to_owned()).await.unwrap();
        assert_eq!(accepted.result().await.unwrap(), vec!["Hello, late!".to_owned()]);
    }
}

matrix! {
    async fn update_on_a_closed_workflow_errors(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u5").await;
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();
        let err = handle.execute_update(GreetingWorkflow::set_language, Language::French).await.unwrap_err();
        assert_eq!(
            err,
            ClientError::Closed { workflow_id: env.id("u5"), status: WorkflowStatus::Completed, what: "updates" }
        );
    }
}

matrix! {
    async fn update_in_flight_when_the_workflow_closes_reports_how_it_closed(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u6").await;
        let waiting = handle
            .start_update(GreetingWorkflow::wait_for_greetings, 5, WaitStage::Accepted)
            .await
            .unwrap();
        let pending = tokio::spawn(waiting.result());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        handle.terminate("stop").await.unwrap();
        assert_eq!(
            pending.await.unwrap().unwrap_err(),
            ClientError::Closed { workflow_id: env.id("u6"), status: WorkflowStatus::Terminated, what: "updates" }
        );
    }
}
