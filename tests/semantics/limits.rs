use futures::future::join_all;
use futures::StreamExt as _;
use workflow::{ClientError, Engine, Limit, Limits, StartOptions, WaitStage};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn the_10001st_signal_fails_and_the_first_10000_are_intact(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let handle = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("lim")).task_queue(env.tq("lim"))).await.unwrap();
        // 256 in flight: a burst of 10,000 at once outlasts a loaded dev server's call timeout.
        let sends = futures::stream::iter(0..10_000u64).map(|n| handle.signal(Counter::add, n)).buffer_unordered(256);
        let failed: Vec<_> = sends.filter_map(|r| std::future::ready(r.err())).collect().await;
        assert!(failed.is_empty(), "{} signals failed, the first: {:?}", failed.len(), failed.first());
        let err = handle.signal(Counter::add, 10_000).await.unwrap_err();
        assert_eq!(
            err,
            ClientError::LimitExceeded { workflow_id: env.id("lim"), limit: Limit::ReceivedSignals, max: 10_000 }
        );
        assert_eq!(
            err.to_string(),
            format!("workflow `{}` reached the received signals per execution limit of 10000", env.id("lim"))
        );
        let _worker = env.engine.worker(env.tq("lim")).workflow::<Counter>().start().unwrap();
        // The new worker's first task takes in 10,000 signals; on a loaded
        // machine a query can outwait the server's wait for an answer.
        let asked = std::time::Instant::now();
        let mut seen = loop {
            match handle.query(Counter::seen, ()).await {
                Err(ClientError::NoWorker { .. }) if asked.elapsed() < std::time::Duration::from_secs(60) => continue,
                answer => break answer.unwrap(),
            }
        };
        assert_eq!(seen.len(), 10_000);
        seen.sort_unstable();
        assert!(seen.iter().copied().eq(0..10_000));
    }
}

matrix! {
    embedded: async fn limits_are_configurable(flavor: Flavor) {
        let limits = Limits { max_received_signals: 3, max_pending_outgoing_signals: 5, ..Limits::default() };
        let env = Env::with(flavor, Engine::builder().limits(limits)).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<Counter>().workflow::<Flooder>().workflow::<Sender>().start().unwrap();
        let target = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("t")).task_queue(env.tq("lim"))).await.unwrap();
        for n in 0..3 {
            target.signal(Counter::add, n).await.unwrap();
        }
        assert!(matches!(target.signal(Counter::add, 3).await, Err(ClientError::LimitExceeded { max: 3, .. })));
        let sender = env
            .client
            .start_workflow(Sender::run, (env.id("t"), 1), StartOptions::new(env.id("s")).task_queue(env.tq("lim")))
            .await
            .unwrap();
        assert_eq!(
            sender.result().await.unwrap_err().to_string(),
            format!(
                "workflow `{}` did not complete: cannot signal workflow `{}`: it reached its received-signals limit",
                env.id("s"),
                env.id("t")
            )
        );
        let flood = env
            .client
            .start_workflow(Flooder::run, (env.id("t2"), 6), StartOptions::new(env.id("f")).task_queue(env.tq("lim")))
            .await
            .unwrap();
        let failure = flood.result().await.unwrap();
        assert_eq!(failure, "the pending outgoing signals per execution limit of 5 was reached");
    }
}

matrix! {
    async fn the_2001st_pending_outgoing_signal_fails(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<Counter>().workflow::<Flooder>().start().unwrap();
        let target = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("sink")).task_queue(env.tq("lim"))).await.unwrap();
        let flood = env
            .client
            .start_workflow(Flooder::run, (env.id("sink"), 2_001), StartOptions::new(env.id("src")).task_queue(env.tq("lim")))
            .await
            .unwrap();
        assert_eq!(
            flood.result().await.unwrap(),
            "the pending outgoing signals per execution limit of 2000 was reached"
        );
        assert_eq!(target.query(Counter::seen, ()).await.unwrap().len(), 2_000, "the accepted 2,000 all arrived");
    }
}

matrix! {
    async fn an_oversize_payload_fails_with_the_payload_limit(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let handle = env
            .client
            .start_workflow(GreetingWorkflow::run, (), StartOptions::new(env.id("big")).task_queue(env.tq("lim")))
            .await
            .unwrap();
        let three_mib = "x".repeat(3 * 1024 * 1024);
        match handle.signal(GreetingWorkflow::submit_greeting, three_mib).await {
            Err(ClientError::LimitExceeded { limit: Limit::PayloadSize, max, .. }) => assert_eq!(max, 2 * 1024 * 1024),
            other => panic!("expected the payload limit, got {other:?}"),
        }
        handle.signal(GreetingWorkflow::submit_greeting, "small".to_owned()).await.unwrap();
        handle.signal(GreetingWorkflow::exit, ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), ["Hello, small!"], "nothing else was lost");
    }
}

matrix! {
    async fn the_11th_update_in_flight_fails_and_the_first_10_complete(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let options = StartOptions::new(env.id("upd")).task_queue(env.tq("lim"));
        let handle = env.client.start_workflow(GreetingWorkflow::run, (), options).await.unwrap();
        let mut waiting = Vec::new();
        for i in 0..10 {
            let id = format!("wait-{i}");
            waiting.push(handle.start_update_with_id(GreetingWorkflow::wait_for_greetings, 1, id, WaitStage::Accepted).await.unwrap());
        }
        let err = handle.start_update(GreetingWorkflow::wait_for_greetings, 1, WaitStage::Accepted).await.unwrap_err();
        assert_eq!(err, ClientError::LimitExceeded { workflow_id: env.id("upd"), limit: Limit::InFlightUpdates, max: 10 });
        // A retry of one in flight is the same update, not an 11th.
        handle.start_update_with_id(GreetingWorkflow::wait_for_greetings, 1, "wait-3", WaitStage::Accepted).await.unwrap();

        handle.signal(GreetingWorkflow::submit_greeting, "Ada".to_owned()).await.unwrap();
        for update in waiting {
            assert_eq!(update.result().await.unwrap(), ["Hello, Ada!"]);
        }
        let room = handle.execute_update(GreetingWorkflow::wait_for_greetings, 1).await;
        assert_eq!(room.unwrap(), ["Hello, Ada!"], "room again once they completed");
    }
}

matrix! {
    embedded: async fn the_total_update_limit_is_configurable(flavor: Flavor) {
        let limits = Limits { max_total_updates: 3, ..Limits::default() };
        let env = Env::with(flavor, Engine::builder().limits(limits)).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<GreetingWorkflow>().activity(greet).start().unwrap();
        let options = StartOptions::new(env.id("total")).task_queue(env.tq("lim"));
        let handle = env.client.start_workflow(GreetingWorkflow::run, (), options).await.unwrap();
        for language in [Language::French, Language::English, Language::French] {
            handle.execute_update(GreetingWorkflow::set_language, language).await.unwrap();
        }
        let err = handle.execute_update(GreetingWorkflow::set_language, Language::English).await.unwrap_err();
        assert_eq!(err, ClientError::LimitExceeded { workflow_id: env.id("total"), limit: Limit::TotalUpdates, max: 3 });
        assert_eq!(
            err.to_string(),
            format!("workflow `{}` reached the total updates per execution limit of 3", env.id("total"))
        );
    }
}

matrix! {
    async fn the_2001st_update_fails_and_the_first_2000_completed(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("lim")).workflow::<Cart>().start().unwrap();
        let options = StartOptions::new(env.id("many")).task_queue(env.tq("lim"));
        let cart = env.client.start_workflow(Cart::run, (), options).await.unwrap();
        // In waves under the in-flight limit.
        for wave in 0..200 {
            let adds = (0..10).map(|i| cart.execute_update(Cart::add_item, format!("item-{}", wave * 10 + i)));
            assert!(join_all(adds).await.into_iter().all(|r| r.is_ok()));
        }
        let err = cart.execute_update(Cart::add_item, "one too many".to_owned()).await.unwrap_err();
        assert_eq!(err, ClientError::LimitExceeded { workflow_id: env.id("many"), limit: Limit::TotalUpdates, max: 2_000 });
        cart.signal(Cart::checkout, ()).await.unwrap();
        assert_eq!(cart.result().await.unwrap().1.len(), 2_000, "nothing accepted was lost");
    }
}
