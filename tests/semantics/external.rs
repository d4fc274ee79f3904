use workflow::{EventKind, StartOptions};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn external_signal_lands_in_the_target_history(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("ext")).workflow::<Counter>().workflow::<Sender>().start().unwrap();
        let target = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("a")).task_queue(env.tq("ext"))).await.unwrap();
        let sender = env
            .client
            .start_workflow(Sender::run, (env.id("a"), 3), StartOptions::new(env.id("b")).task_queue(env.tq("ext")))
            .await
            .unwrap();
        sender.result().await.unwrap();
        assert_eq!(target.query(Counter::seen, ()).await.unwrap(), vec![0, 1, 2]);
        let history = target.fetch_history().await.unwrap();
        assert_eq!(history.events_named("WorkflowExecutionSignaled").count(), 3);
        let sent = sender.fetch_history().await.unwrap();
        assert_eq!(sent.events_named("SignalExternalWorkflowExecutionInitiated").count(), 3);
        assert_eq!(sent.events_named("ExternalWorkflowExecutionSignaled").count(), 3);
    }
}

matrix! {
    async fn external_signal_to_a_missing_workflow_fails_with_not_found(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("ext")).workflow::<Sender>().start().unwrap();
        let sender = env
            .client
            .start_workflow(Sender::run, (env.id("ghost"), 1), StartOptions::new(env.id("b2")).task_queue(env.tq("ext")))
            .await
            .unwrap();
        let err = sender.result().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("workflow `{}` did not complete: cannot signal workflow `{}`: not found", env.id("b2"), env.id("ghost"))
        );
        let history = sender.fetch_history().await.unwrap();
        let failed = history.events.iter().find_map(|e| match &e.kind {
            EventKind::SignalExternalWorkflowExecutionFailed { cause, .. } => Some(*cause),
            _ => None,
        });
        assert_eq!(failed, Some(workflow::crates::client::ExternalFailureCause::NotFound));
    }
}
