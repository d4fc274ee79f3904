//! Asynchronous completion: an activity hands out its task token and says
//! it completes later; a client finishes it, fails it (retried per policy)
//! or heartbeats it with the token, from this process or another.

use std::time::Duration;

use workflow::{
    ActivityContext, ActivityOptions, ApplicationError, ClientError, RetryPolicy, StartOptions, TaskToken,
    WorkflowContext, WorkflowResult,
};

use crate::support::{matrix, Env, Flavor, Probes};

/// The tokens each workflow's attempts handed out, in order.
static TOKENS: Probes<Vec<TaskToken>> = Probes::new();

/// The token of attempt `attempt` (from 1) of `workflow_id`'s activity, once handed out.
async fn token(workflow_id: &str, attempt: usize) -> TaskToken {
    for _ in 0..400 {
        let handed = TOKENS.of(workflow_id).get(attempt - 1).cloned();
        if let Some(token) = handed {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("attempt {attempt} of `{workflow_id}` handed out no token");
}

/// Asks for an approval elsewhere (here: leaves its token for the test)
/// and completes when a client says so.
#[workflow::activity]
async fn request_approval(ctx: ActivityContext, document: String) -> Result<String, ApplicationError> {
    let _ = document;
    TOKENS.record(&ctx, |tokens| tokens.push(ctx.task_token().clone()));
    ctx.complete_async()
}

#[derive(Default)]
struct Approval;

#[workflow::defn]
impl Approval {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, document: String) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(60)).retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(100),
            maximum_attempts: 2,
            ..RetryPolicy::default()
        });
        ctx.execute_activity(request_approval, document, options).await
    }
}

async fn start(env: &Env, base: &str) -> (String, workflow::WorkflowHandle<Approval>) {
    let id = env.id(base);
    let options = StartOptions::new(&id).task_queue(env.tq("approval"));
    let handle = env
        .client
        .start_workflow(Approval::run, "contract.pdf".to_owned(), options)
        .await
        .unwrap();
    (id, handle)
}

fn is_not_found(result: Result<(), ClientError>) -> bool {
    matches!(result, Err(ClientError::ActivityNotFound { .. }))
}

matrix! {
    async fn an_activity_completes_later_through_its_task_token(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("approval")).workflow::<Approval>().activity(request_approval).start().unwrap();
        let (id, handle) = start(&env, "approve").await;
        let token = token(&id, 1).await;
        let text = token.to_string();
        // The token travels as text and back.
        let activity = env.client.async_activity(text.parse().unwrap());
        activity.heartbeat(&"reading").await.unwrap();
        activity.complete(&"approved").await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "approved");
        assert!(is_not_found(activity.complete(&"again").await), "an attempt completes once");

        let history = handle.fetch_history().await.unwrap();
        let names: Vec<&str> = history.events.iter().map(|e| e.kind.name()).filter(|n| n.starts_with("Activity")).collect();
        assert_eq!(names, ["ActivityTaskScheduled", "ActivityTaskCompleted"]);
    }
}

matrix! {
    async fn an_asynchronous_attempt_failed_through_its_token_is_retried(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("approval")).workflow::<Approval>().activity(request_approval).start().unwrap();
        let (id, handle) = start(&env, "retry").await;
        let first = env.client.async_activity(token(&id, 1).await);
        first.fail(ApplicationError::new("reviewer away").with_type("Away")).await.unwrap();
        let second = env.client.async_activity(token(&id, 2).await);
        assert_ne!(first.token(), second.token());
        assert!(is_not_found(first.heartbeat(&"late").await), "the failed attempt's token names nothing");
        second.complete(&"approved on retry").await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "approved on retry");

        // The second attempt's failure, non-retryable, would have failed the run.
        let (id, handle) = start(&env, "refuse").await;
        let activity = env.client.async_activity(token(&id, 1).await);
        activity.fail(ApplicationError::new("rejected").with_type("Rejected").non_retryable()).await.unwrap();
        let err = handle.result().await.unwrap_err();
        let ClientError::WorkflowFailed { failure, .. } = err else { panic!("{err}") };
        assert_eq!(failure.application_error().and_then(|e| e.error_type()), Some("Rejected"));
    }
}

matrix! {
    async fn a_token_that_names_no_attempt_is_activity_not_found(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("approval")).workflow::<Approval>().activity(request_approval).start().unwrap();
        let stray = env.client.async_activity(TaskToken::from_bytes(b"no such attempt".to_vec()));
        assert!(is_not_found(stray.complete(&"x").await));
        assert!(is_not_found(stray.heartbeat(&"x").await));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_completes_an_attempt_through_the_files_inbox() {
    let env = Env::new(Flavor::Sqlite).await;
    let _worker = env
        .engine
        .worker(env.tq("approval"))
        .workflow::<Approval>()
        .activity(request_approval)
        .start()
        .unwrap();
    let (id, handle) = start(&env, "elsewhere").await;
    let token = token(&id, 1).await;
    // What another process has: the file, opened without owning it.
    let file = workflow::StoreFile::open(env.path().unwrap()).unwrap();
    let elsewhere = file.client().async_activity(token);
    elsewhere.heartbeat(&"seen").await.unwrap();
    elsewhere.complete(&"approved elsewhere").await.unwrap();
    assert_eq!(handle.result().await.unwrap(), "approved elsewhere");
    assert!(is_not_found(elsewhere.complete(&"again").await));
}
