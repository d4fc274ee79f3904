//! A child workflow's options: its own timeouts and retries, and what
//! happens to it when its parent closes first.

use std::time::Duration;

use workflow::{
    ChildWorkflowOptions, Failure, ParentClosePolicy, RetryPolicy, RunOptions, StartOptions, TimeoutKind,
    WorkflowContext, WorkflowError, WorkflowResult, WorkflowStatus,
};

use crate::support::{matrix, Env};

/// Waits to be released, or canceled.
#[derive(Default)]
struct Helper {
    released: bool,
}

#[workflow::defn]
impl Helper {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.released).await?;
        Ok(format!("attempt {}", ctx.info().attempt))
    }

    #[workflow::signal]
    fn release(&mut self) {
        self.released = true;
    }
}

/// Starts a `Helper` child with the options `mode` names, then returns:
/// at once (`abandon`, `cancel`), or with what the child's result was.
#[derive(Default)]
struct Parent;

#[workflow::defn]
impl Parent {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, mode: String) -> WorkflowResult<String> {
        let id = format!("{}-child", ctx.info().workflow_id);
        let options = ChildWorkflowOptions::new(id);
        match mode.as_str() {
            "timeout" => {
                let run = RunOptions {
                    run_timeout: Some(Duration::from_secs(1)),
                    retry_policy: Some(RetryPolicy {
                        initial_interval: Duration::from_millis(100),
                        maximum_attempts: 2,
                        ..RetryPolicy::default()
                    }),
                    ..RunOptions::default()
                };
                match ctx
                    .execute_child_workflow(Helper::run, (), options.run_options(run))
                    .await
                {
                    Err(WorkflowError::Failed(Failure::ChildWorkflow { cause, .. })) => Ok(cause.to_string()),
                    other => Ok(format!("unexpected: {other:?}")),
                }
            }
            "abandon" | "cancel" => {
                let policy = match mode.as_str() {
                    "abandon" => ParentClosePolicy::Abandon,
                    _ => ParentClosePolicy::RequestCancel,
                };
                ctx.start_child_workflow(Helper::run, (), options.parent_close_policy(policy))
                    .await?;
                Ok("started".to_owned())
            }
            _ => Ok("unknown mode".to_owned()),
        }
    }
}

matrix! {
    async fn a_child_runs_under_its_own_timeout_and_retry_policy(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("family")).workflow::<Parent>().workflow::<Helper>().start().unwrap();
        let id = env.id("timeout");
        let options = StartOptions::new(&id).task_queue(env.tq("family"));
        let handle = env.client.start_workflow(Parent::run, "timeout".to_owned(), options).await.unwrap();
        let expected = Failure::Timeout { kind: TimeoutKind::StartToClose }.to_string();
        assert_eq!(handle.result().await.unwrap(), expected, "the child timed out twice");
        let child = env.client.get_workflow_handle(format!("{id}-child"));
        let history = child.fetch_history().await.unwrap();
        match &history.events[0].kind {
            workflow::EventKind::WorkflowExecutionStarted { attempt, .. } => assert_eq!(*attempt, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(child.describe().await.unwrap().status, WorkflowStatus::TimedOut);
    }
}

matrix! {
    async fn a_parent_close_policy_decides_what_happens_to_its_open_child(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("family")).workflow::<Parent>().workflow::<Helper>().start().unwrap();
        for (mode, status) in [("abandon", WorkflowStatus::Running), ("cancel", WorkflowStatus::Canceled)] {
            let id = env.id(mode);
            let options = StartOptions::new(&id).task_queue(env.tq("family"));
            let handle = env.client.start_workflow(Parent::run, mode.to_owned(), options).await.unwrap();
            assert_eq!(handle.result().await.unwrap(), "started");
            let child = env.client.get_workflow_handle_for(Helper::run, format!("{id}-child"));
            let mut seen = None;
            for _ in 0..100 {
                seen = Some(child.describe().await.unwrap().status);
                if seen == Some(status) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(seen, Some(status), "{mode}");
            if status == WorkflowStatus::Running {
                child.signal(Helper::release, ()).await.unwrap();
                assert_eq!(child.result().await.unwrap(), "attempt 1", "an abandoned child runs on");
            }
        }
    }
}
