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
            .start_update_with_id(GreetingWorkflow::wait_for_greetings, 5, "five", WaitStage::Accepted)
            .await
            .unwrap();
        let pending = tokio::spawn(waiting.result());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        handle.terminate("stop").await.unwrap();
        let unfinished = ClientError::UpdateUnfinished {
            workflow_id: env.id("u6"),
            update_id: "five".to_owned(),
            status: WorkflowStatus::Terminated,
        };
        assert_eq!(pending.await.unwrap().unwrap_err(), unfinished);
        assert_eq!(
            unfinished.to_string(),
            format!("workflow `{}` closed (Terminated) before update `five` finished", env.id("u6"))
        );
        // Asked again later, the answer is the same.
        let again = handle.get_update_handle(GreetingWorkflow::wait_for_greetings, "five");
        assert_eq!(again.result().await.unwrap_err(), unfinished);
    }
}

matrix! {
    async fn an_update_started_elsewhere_is_awaited_by_its_id(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u-handle").await;
        handle
            .start_update_with_id(GreetingWorkflow::wait_for_greetings, 1, "wait-1", WaitStage::Accepted)
            .await
            .unwrap();

        // Another caller, holding only the workflow and update ids.
        let elsewhere = env.client.get_workflow_handle_for(GreetingWorkflow::run, env.id("u-handle"));
        let typed = elsewhere.get_update_handle(GreetingWorkflow::wait_for_greetings, "wait-1");
        let by_name = elsewhere.get_update_handle_by_name::<Vec<String>>("wait_for_greetings", "wait-1");
        assert_eq!(typed.id(), "wait-1");
        handle.signal(GreetingWorkflow::submit_greeting, "Ada".to_owned()).await.unwrap();
        assert_eq!(typed.result().await.unwrap(), ["Hello, Ada!"]);
        assert_eq!(by_name.result().await.unwrap(), ["Hello, Ada!"]);

        let unknown = elsewhere.get_update_handle(GreetingWorkflow::wait_for_greetings, "never-sent");
        match unknown.result().await {
            Err(ClientError::UpdateNotFound { workflow_id, update_id }) => {
                assert_eq!((workflow_id.as_str(), update_id.as_str()), (env.id("u-handle").as_str(), "never-sent"));
            }
            other => panic!("expected UpdateNotFound, got {other:?}"),
        }

        // After the run closed, the update's outcome is still there.
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        handle.result().await.unwrap();
        let after = elsewhere.get_update_handle(GreetingWorkflow::wait_for_greetings, "wait-1");
        assert_eq!(after.result().await.unwrap(), ["Hello, Ada!"]);
        let unknown = elsewhere.get_update_handle(GreetingWorkflow::wait_for_greetings, "never-sent");
        assert!(matches!(unknown.result().await, Err(ClientError::UpdateNotFound { .. })));
    }
}

matrix! {
    async fn a_retried_update_returns_at_its_stage_and_a_completed_one_with_its_outcome(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u-retry").await;
        let send = |stage| handle.start_update_with_id(GreetingWorkflow::wait_for_greetings, 1, "retry-1", stage);
        send(WaitStage::Accepted).await.unwrap();

        // The retry of an accepted update whose handler still waits answers
        // at acceptance, not behind the first call's handler.
        let retry = tokio::time::timeout(std::time::Duration::from_secs(10), send(WaitStage::Accepted)).await;
        let retry = retry.expect("a retry at Accepted returns while the handler waits").unwrap();
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionUpdateAccepted").count(), 1, "applied once");

        handle.signal(GreetingWorkflow::submit_greeting, "Ada".to_owned()).await.unwrap();
        assert_eq!(retry.result().await.unwrap(), ["Hello, Ada!"]);
        let completed = send(WaitStage::Completed).await.unwrap();
        assert_eq!(completed.result().await.unwrap(), ["Hello, Ada!"]);
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionUpdateCompleted").count(), 1, "completed once");
    }
}

matrix! {
    async fn an_update_handler_knows_its_update(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = started(&env, "u-whoami").await;
        let update = handle.start_update_with_id(GreetingWorkflow::whoami, (), "who-1", WaitStage::Accepted).await.unwrap();
        assert_eq!(update.result().await.unwrap(), ("who-1".to_owned(), "whoami".to_owned()));
    }
}

matrix! {
    async fn update_with_start_starts_the_run_with_its_update_before_the_first_step(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("cart")).workflow::<Cart>().start().unwrap();
        let options = || StartOptions::new(env.id("cart")).task_queue(env.tq("cart"));
        let add = |item: &str| env.client.execute_update_with_start(Cart::run, (), options(), Cart::add_item, item.to_owned());

        let (cart, count) = add("apple").await.unwrap();
        assert_eq!(count, 1);
        // The running cart takes the next ones.
        assert_eq!(add("pear").await.unwrap().1, 2);
        let (same, plum) = env
            .client
            .start_update_with_start(Cart::run, (), options(), Cart::add_item, "plum".to_owned(), WaitStage::Accepted)
            .await
            .unwrap();
        assert_eq!(plum.result().await.unwrap(), 3);
        assert_eq!(same.id(), cart.id());

        cart.signal(Cart::checkout, ()).await.unwrap();
        let (at_first_step, items) = cart.result().await.unwrap();
        assert_eq!(at_first_step, 1, "the first update ran before the run method's first step");
        assert_eq!(items, ["apple", "pear", "plum"]);
        let history = cart.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionStarted").count(), 1, "one run");
    }
}

matrix! {
    async fn update_with_start_rejected_by_the_validator_still_starts_the_run(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("cart")).workflow::<Cart>().start().unwrap();
        let options = StartOptions::new(env.id("cart-rejected")).task_queue(env.tq("cart"));
        let rejected = env.client.execute_update_with_start(Cart::run, (), options, Cart::add_item, String::new()).await;
        match rejected {
            Err(ClientError::UpdateRejected { name, failure }) => {
                assert_eq!(name, "add_item");
                assert_eq!(failure.to_string(), "an item needs a name");
            }
            other => panic!("expected the validator's rejection, got {other:?}"),
        }
        let cart = env.client.get_workflow_handle_for(Cart::run, env.id("cart-rejected"));
        assert_eq!(cart.describe().await.unwrap().status, WorkflowStatus::Running);
        cart.signal(Cart::checkout, ()).await.unwrap();
        assert_eq!(cart.result().await.unwrap(), (0, Vec::new()), "no trace of the rejected update");

        let with_signal = StartOptions::new(env.id("cart-signal")).task_queue(env.tq("cart")).start_signal(Cart::checkout, ());
        let refused = env.client.execute_update_with_start(Cart::run, (), with_signal, Cart::add_item, "fig".to_owned()).await;
        assert!(matches!(refused, Err(ClientError::InvalidOptions { .. })), "{refused:?}");
    }
}
