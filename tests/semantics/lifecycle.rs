use workflow::{ClientError, Failure, StartOptions, WorkflowStatus};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn child_workflows_run_one_after_another(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("life")).workflow::<Parent>().workflow::<Doubler>().start().unwrap();
        let parent = env
            .client
            .start_workflow(Parent::run, vec![1, 2, 3], StartOptions::new(env.id("parent")).task_queue(env.tq("life")))
            .await
            .unwrap();
        assert_eq!(parent.result().await.unwrap(), vec![2, 4, 6]);
        let history = parent.fetch_history().await.unwrap();
        assert_eq!(history.events_named("ChildWorkflowExecutionCompleted").count(), 3);
    }
}

matrix! {
    async fn continue_as_new_carries_state_and_result_follows_the_chain(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("life")).workflow::<Looper>().start().unwrap();
        let handle = env
            .client
            .start_workflow(Looper::run, (0, 4), StartOptions::new(env.id("loop")).task_queue(env.tq("life")))
            .await
            .unwrap();
        assert_eq!(handle.result().await.unwrap(), 4 + 3 + 2 + 1);
        let last = handle.describe().await.unwrap();
        assert_eq!(last.status, WorkflowStatus::Completed);
    }
}

matrix! {
    async fn cancel_and_terminate_close_the_workflow(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("life")).workflow::<Counter>().start().unwrap();
        let a = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("c1")).task_queue(env.tq("life"))).await.unwrap();
        a.cancel().await.unwrap();
        let err = a.result().await.unwrap_err();
        assert_eq!(err, ClientError::WorkflowFailed { workflow_id: env.id("c1"), failure: Failure::Canceled });
        assert_eq!(a.describe().await.unwrap().status, WorkflowStatus::Canceled);
        let b = env.client.start_workflow(Counter::run, (), StartOptions::new(env.id("c2")).task_queue(env.tq("life"))).await.unwrap();
        b.terminate("enough").await.unwrap();
        assert_eq!(b.describe().await.unwrap().status, WorkflowStatus::Terminated);
        assert!(matches!(b.terminate("again").await, Err(ClientError::Closed { .. })));
    }
}

matrix! {
    async fn context_values_are_deterministic_and_handlers_finish_before_the_run(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("life")).workflow::<Facts>().start().unwrap();
        let handle = env.client.start_workflow(Facts::run, (), StartOptions::new(env.id("facts")).task_queue(env.tq("life"))).await.unwrap();
        let (uuid, random, id) = handle.query(Facts::facts, ()).await.unwrap();
        assert_eq!(id, env.id("facts"));
        assert_eq!(uuid.len(), 36);
        assert_eq!(handle.query(Facts::facts, ()).await.unwrap(), (uuid, random, id), "same values after replay");
        handle.start_update(Facts::slow_exit, (), workflow::WaitStage::Accepted).await.unwrap();
        assert!(handle.result().await.unwrap(), "the run waited for the update handler");
    }
}
