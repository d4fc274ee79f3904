use workflow::{EventKind, StartOptions};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn external_signal_lands_in_the_target_history(flavor: Flavor) {
        let env = Env::new(flavor);
        let _worker = env.engine.worker("ext").workflow::<Counter>().workflow::<Sender>().start().unwrap();
        let target = env.client.start_workflow(Counter::run, (), StartOptions::new("a").task_queue("ext")).await.unwrap();
        let sender = env
            .client
            .start_workflow(Sender::run, ("a".to_owned(), 3), StartOptions::new("b").task_queue("ext"))
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
        let env = Env::new(flavor);
        let _worker = env.engine.worker("ext").workflow::<Sender>().start().unwrap();
        let sender = env
            .client
            .start_workflow(Sender::run, ("ghost".to_owned(), 1), StartOptions::new("b2").task_queue("ext"))
            .await
            .unwrap();
        let err = sender.result().await.unwrap_err();
        assert_eq!(err.to_string(), "workflow `b2` did not complete: cannot signal workflow `ghost`: not found");
        let history = sender.fetch_history().await.unwrap();
        let failed = history.events.iter().find_map(|e| match &e.kind {
            EventKind::SignalExternalWorkflowExecutionFailed { cause, .. } => Some(*cause),
            _ => None,
        });
        assert_eq!(failed, Some(workflow::crates::client::ExternalFailureCause::NotFound));
    }
}
