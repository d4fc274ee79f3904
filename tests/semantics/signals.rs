use workflow::{ClientError, StartOptions, WorkflowStatus};

use crate::support::{matrix, Env};
use crate::workflows::*;

fn counter_opts(env: &Env, id: &str) -> StartOptions<Counter> {
    StartOptions::new(env.id(id)).task_queue(env.tq("signals"))
}

matrix! {
    async fn signals_from_concurrent_clients_are_each_handled_once_in_order(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("signals")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), counter_opts(&env, "counter")).await.unwrap();
        let mut clients = Vec::new();
        for c in 0..4u64 {
            let h = env.client.get_workflow_handle_for(Counter::run, env.id("counter"));
            clients.push(tokio::spawn(async move {
                for i in 0..250u64 {
                    h.signal(Counter::add, c * 1_000 + i).await.unwrap();
                }
            }));
        }
        for c in clients {
            c.await.unwrap();
        }
        handle.signal(Counter::finish, ()).await.unwrap();
        let seen = handle.result().await.unwrap();
        assert_eq!(seen.len(), 1_000);
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 1_000, "every signal exactly once");
        for c in 0..4u64 {
            let from_client: Vec<u64> = seen.iter().copied().filter(|v| v / 1_000 == c).collect();
            assert!(from_client.windows(2).all(|w| w[0] < w[1]), "client {c}'s signals in send order");
        }
        let history = handle.fetch_history().await.unwrap();
        let signaled: Vec<u64> = history
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                workflow::EventKind::WorkflowExecutionSignaled { signal_name, input, .. } if signal_name == "add" => {
                    Some(input[0].decode::<u64>().unwrap())
                }
                _ => None,
            })
            .collect();
        assert_eq!(signaled, seen, "handled in the order recorded");
    }
}

matrix! {
    async fn signals_during_an_activity_are_buffered_not_dropped(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new(env.id("burst")).task_queue(env.tq("greet")))
            .await
            .unwrap();
        for i in 0..20 {
            handle.signal(GreetingWorkflow::submit_greeting, format!("user {i}")).await.unwrap();
        }
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        let greetings = handle.result().await.unwrap();
        let expected: Vec<String> = (0..20).map(|i| format!("Hello, user {i}!")).collect();
        assert_eq!(greetings, expected);
    }
}

matrix! {
    async fn unknown_signal_goes_to_the_dynamic_handler(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new(env.id("dyn")).task_queue(env.tq("greet")))
            .await
            .unwrap();
        handle.signal_by_name("whatever", ("payload",)).await.unwrap();
        handle.signal_by_name("submit_greeting", ("static",)).await.unwrap();
        let seen: Vec<String> = handle.query(GreetingWorkflow::dynamic_seen, ()).await.unwrap();
        assert_eq!(seen, vec!["whatever:payload".to_owned()], "static handler won for submit_greeting");
        assert!(handle.describe().await.unwrap().unhandled_signals.is_empty());
    }
}

matrix! {
    async fn unknown_signal_without_dynamic_handler_is_kept_and_reported(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("signals")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), counter_opts(&env, "unknown")).await.unwrap();
        handle.signal_by_name("no_such_signal", (1,)).await.unwrap();
        handle.signal_by_name("add", ("not a number",)).await.unwrap();
        handle.signal(Counter::add, 7).await.unwrap();
        assert_eq!(handle.query(Counter::seen, ()).await.unwrap(), vec![7]);
        let description = handle.describe().await.unwrap();
        assert_eq!(description.unhandled_signals, vec!["no_such_signal".to_owned(), "add".to_owned()]);
        assert_eq!(description.signals_received, 3);
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionSignaled").count(), 3, "kept in history");
    }
}

matrix! {
    async fn custom_name_is_the_wire_name_and_the_method_name_is_not_an_alias(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new(env.id("custom")).task_queue(env.tq("greet")))
            .await
            .unwrap();
        assert_eq!(GreetingWorkflow::custom_signal.name(), "Custom Signal Name");
        handle.signal(GreetingWorkflow::custom_signal, "typed".to_owned()).await.unwrap();
        handle.signal_by_name("Custom Signal Name", ("by name",)).await.unwrap();
        handle.signal_by_name("custom_signal", ("rust name",)).await.unwrap();
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        let greetings = handle.result().await.unwrap();
        assert_eq!(greetings, vec!["Hello, typed!".to_owned(), "Hello, by name!".to_owned()]);
        let seen: Vec<String> = handle.query(GreetingWorkflow::dynamic_seen, ()).await.unwrap();
        assert_eq!(seen, vec!["custom_signal:rust name".to_owned()], "the Rust name reached only the dynamic handler");
    }
}

matrix! {
    async fn signal_with_start_starts_and_delivers_before_the_first_step(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let opts = StartOptions::new(env.id("sws"))
            .task_queue(env.tq("greet"))
            .start_signal(GreetingWorkflow::submit_greeting, "User Signal with Start".to_owned());
        let handle = env.client.start_workflow(GreetingWorkflow::run, (), opts).await.unwrap();
        // No worker yet: the signal waits in history, then arrives with the start.
        let _worker = env.engine.worker(env.tq("greet")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), vec!["Hello, User Signal with Start!".to_owned()]);
        let history = handle.fetch_history().await.unwrap();
        let names: Vec<&str> = history.events.iter().take(2).map(|e| e.kind.name()).collect();
        assert_eq!(names, ["WorkflowExecutionStarted", "WorkflowExecutionSignaled"]);
    }
}

matrix! {
    async fn signal_with_start_signals_the_running_workflow(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("signals")).workflow::<Counter>().start().unwrap();
        let first = env.client.start_workflow(Counter::run, (), counter_opts(&env, "sws2")).await.unwrap();
        first.signal(Counter::add, 1).await.unwrap();
        let again = counter_opts(&env, "sws2").start_signal(Counter::add, 2);
        let second = env.client.start_workflow(Counter::run, (), again).await.unwrap();
        assert_eq!(second.query(Counter::seen, ()).await.unwrap(), vec![1, 2]);
        let plain = env.client.start_workflow(Counter::run, (), counter_opts(&env, "sws2")).await;
        assert!(matches!(plain, Err(ClientError::AlreadyStarted { .. })), "{plain:?}");
    }
}

matrix! {
    async fn signal_to_a_closed_workflow_fails_clearly(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("signals")).workflow::<Counter>().start().unwrap();
        let handle = env.client.start_workflow(Counter::run, (), counter_opts(&env, "closed")).await.unwrap();
        handle.signal(Counter::finish, ()).await.unwrap();
        handle.result().await.unwrap();
        let err = handle.signal(Counter::add, 1).await.unwrap_err();
        assert_eq!(
            err,
            ClientError::Closed { workflow_id: env.id("closed"), status: WorkflowStatus::Completed, what: "signals" }
        );
        let missing = env.client.get_workflow_handle(env.id("nobody")).signal_by_name("x", ()).await.unwrap_err();
        assert_eq!(missing, ClientError::NotFound { workflow_id: env.id("nobody") });
    }
}
