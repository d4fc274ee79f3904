//! Workflow id policies of a start: what happens when a run of the id is
//! open (conflict policy), and when the id's last run is closed (reuse
//! policy), as Temporal's server decides them.

use workflow::{
    ApplicationError, ClientError, IdConflictPolicy, IdReusePolicy, StartOptions, WorkflowContext, WorkflowError,
    WorkflowResult, WorkflowStatus,
};

use crate::support::{matrix, Env};

/// Waits for `close`, then completes or fails as it says.
#[derive(Default)]
struct Gate {
    succeed: Option<bool>,
}

#[workflow::defn]
impl Gate {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.succeed.is_some()).await?;
        match ctx.state(|s| s.succeed) {
            Some(true) => Ok("done".to_owned()),
            _ => Err(WorkflowError::Application(
                ApplicationError::new("refused").non_retryable(),
            )),
        }
    }

    #[workflow::signal]
    fn close(&mut self, succeed: bool) {
        self.succeed = Some(succeed);
    }
}

/// Starts `id` with `configure`d options; the run id it got, or the error.
async fn start(
    env: &Env,
    id: &str,
    configure: impl FnOnce(StartOptions<Gate>) -> StartOptions<Gate>,
) -> Result<String, ClientError> {
    let options = configure(StartOptions::new(id).task_queue(env.tq("gate")));
    let handle = env.client.start_workflow(Gate::run, (), options).await?;
    Ok(handle.describe().await?.run_id)
}

async fn status_of(env: &Env, id: &str, run_id: &str) -> WorkflowStatus {
    let handle = env.client.get_workflow_handle(id).with_run_id(run_id);
    handle.describe().await.unwrap().status
}

fn already_started(result: Result<String, ClientError>) -> String {
    match result {
        Err(ClientError::AlreadyStarted { run_id, .. }) => run_id,
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
}

matrix! {
    async fn a_start_of_a_running_id_follows_its_conflict_policy(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("gate")).workflow::<Gate>().start().unwrap();
        let id = env.id("running");
        let first = start(&env, &id, |o| o).await.unwrap();

        assert_eq!(already_started(start(&env, &id, |o| o).await), first, "a plain start fails");
        let fail = start(&env, &id, |o| o.id_conflict_policy(IdConflictPolicy::Fail)).await;
        assert_eq!(already_started(fail), first);

        let used = start(&env, &id, |o| o.id_conflict_policy(IdConflictPolicy::UseExisting)).await.unwrap();
        assert_eq!(used, first, "the running run is used");

        let second = start(&env, &id, |o| o.id_conflict_policy(IdConflictPolicy::TerminateExisting)).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(status_of(&env, &id, &first).await, WorkflowStatus::Terminated);

        let third = start(&env, &id, |o| o.id_reuse_policy(IdReusePolicy::TerminateIfRunning)).await.unwrap();
        assert_ne!(third, second);
        assert_eq!(status_of(&env, &id, &second).await, WorkflowStatus::Terminated);
        assert_eq!(status_of(&env, &id, &third).await, WorkflowStatus::Running);

        // Options that contradict each other are refused before anything is sent.
        let both = start(&env, &id, |o| {
            o.id_reuse_policy(IdReusePolicy::TerminateIfRunning).id_conflict_policy(IdConflictPolicy::UseExisting)
        });
        assert!(matches!(both.await, Err(ClientError::InvalidOptions { .. })));
        env.client.get_workflow_handle(&id).terminate("done").await.unwrap();
    }
}

matrix! {
    async fn a_start_of_a_closed_id_follows_its_reuse_policy(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("gate")).workflow::<Gate>().start().unwrap();
        let id = env.id("closed");
        let handle = env.client.get_workflow_handle_for(Gate::run, &id);

        let completed = start(&env, &id, |o| o).await.unwrap();
        handle.signal(Gate::close, true).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "done");
        let failed_only = start(&env, &id, |o| o.id_reuse_policy(IdReusePolicy::AllowDuplicateFailedOnly)).await;
        assert_eq!(already_started(failed_only), completed, "not after a completed run");
        let reject = start(&env, &id, |o| o.id_reuse_policy(IdReusePolicy::RejectDuplicate)).await;
        assert_eq!(already_started(reject), completed);

        let failed = start(&env, &id, |o| o).await.unwrap();
        assert_ne!(failed, completed, "allowed by default");
        handle.signal(Gate::close, false).await.unwrap();
        assert!(handle.result().await.is_err());
        let retried = start(&env, &id, |o| o.id_reuse_policy(IdReusePolicy::AllowDuplicateFailedOnly)).await.unwrap();
        assert_ne!(retried, failed, "allowed after a failed run");

        handle.terminate("stop").await.unwrap();
        let reject = start(&env, &id, |o| o.id_reuse_policy(IdReusePolicy::RejectDuplicate)).await;
        assert_eq!(already_started(reject), retried);
    }
}
