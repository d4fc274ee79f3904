//! The time-skipping test environment: workflows that wait for weeks finish
//! in milliseconds, time moves by hand with `sleep`, and activities are
//! mocked by name. And the activity environment: one activity run with no
//! engine, its attempt, heartbeats and cancellation in the test's hands.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use workflow::{
    ActivityContext, ActivityEnvironment, ActivityOptions, ApplicationError, StartOptions, TestEnvironment,
    WorkflowContext, WorkflowHandle, WorkflowResult, WorkflowStatus,
};

const DAY: Duration = Duration::from_secs(24 * 3600);
const QUEUE: &str = "expenses";

/// Tells the approver; the real one would send mail, so tests mock it.
#[workflow::activity]
async fn notify_approver(expense: String) -> Result<String, ApplicationError> {
    Err(ApplicationError::new(format!("tests must not send mail about {expense}")).non_retryable())
}

/// An expense: the approver has a week; once approved it is paid a month later.
#[derive(Default)]
pub struct Expense {
    approved: bool,
}

#[workflow::defn]
impl Expense {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, expense: String) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let receipt = ctx.execute_activity(notify_approver, expense, options).await?;
        let approved = ctx.wait_condition_timeout(7 * DAY, |s| s.approved).await?;
        if !approved {
            return Ok(format!("{receipt}; expired"));
        }
        let asked = ctx.now();
        ctx.sleep(30 * DAY).await?;
        let waited = ctx.now().duration_since(asked).unwrap_or_default();
        Ok(format!(
            "{receipt}; paid after {} days",
            waited.as_secs() / DAY.as_secs()
        ))
    }

    #[workflow::signal]
    fn approve(&mut self) {
        self.approved = true;
    }

    #[workflow::query]
    fn approved(&self) -> bool {
        self.approved
    }
}

/// An environment with a worker whose mail activity is mocked; the mock
/// records who it was called for.
async fn environment() -> (TestEnvironment, Arc<Mutex<Vec<String>>>) {
    let env = TestEnvironment::new().expect("an in-memory engine");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    // The worker keeps serving after its handle is dropped.
    env.worker(QUEUE)
        .workflow::<Expense>()
        .activity(notify_approver)
        .mock_activity("notify_approver", move |(expense,): (String,)| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(expense.clone());
                Ok::<_, ApplicationError>(format!("mailed about {expense}"))
            }
        })
        .start()
        .expect("a worker");
    (env, calls)
}

async fn start(env: &TestEnvironment, id: &str) -> WorkflowHandle<Expense> {
    env.client()
        .start_workflow(Expense::run, id.to_owned(), StartOptions::new(id).task_queue(QUEUE))
        .await
        .expect("started")
}

#[tokio::test]
async fn a_week_long_timeout_fires_in_milliseconds_while_the_test_awaits_the_result() {
    let (env, _) = environment().await;
    let before = env.now().await;
    let wall = Instant::now();
    let handle = start(&env, "taxi").await;
    assert_eq!(handle.result().await.unwrap(), "mailed about taxi; expired");
    assert!(wall.elapsed() < Duration::from_secs(5), "took {:?}", wall.elapsed());
    let skipped = env.now().await.duration_since(before).unwrap();
    assert!(skipped >= 7 * DAY && skipped < 8 * DAY, "{skipped:?}");
}

#[tokio::test]
async fn a_signal_sent_right_after_start_is_not_overtaken_by_the_timeout() {
    let (env, _) = environment().await;
    let handle = start(&env, "hotel").await;
    handle.signal(Expense::approve, ()).await.unwrap();
    assert_eq!(handle.result().await.unwrap(), "mailed about hotel; paid after 30 days");
}

#[tokio::test]
async fn sleep_moves_time_by_hand_and_fires_what_falls_due() {
    let (env, _) = environment().await;
    let handle = start(&env, "dinner").await;
    env.sleep(6 * DAY).await;
    assert_eq!(handle.describe().await.unwrap().status, WorkflowStatus::Running);
    assert!(!handle.query(Expense::approved, ()).await.unwrap());
    env.sleep(DAY + Duration::from_secs(1)).await;
    assert_eq!(handle.describe().await.unwrap().status, WorkflowStatus::Completed);
    assert_eq!(handle.result().await.unwrap(), "mailed about dinner; expired");
    let history = handle.fetch_history().await.unwrap();
    let started = history.events.first().unwrap().time_ms;
    let closed = history.events.last().unwrap().time_ms;
    assert!(
        closed - started >= (7 * DAY).as_millis() as u64,
        "events carry workflow time"
    );
}

#[tokio::test]
async fn a_mocked_activity_replaces_the_registered_one_by_name() {
    let (env, calls) = environment().await;
    let handle = start(&env, "train").await;
    handle.signal(Expense::approve, ()).await.unwrap();
    assert!(handle.result().await.unwrap().starts_with("mailed about train"));
    assert_eq!(*calls.lock().unwrap(), ["train"]);
}

#[tokio::test]
async fn the_clock_starts_at_the_system_time() {
    let env = TestEnvironment::new().unwrap();
    let now = env.now().await.duration_since(UNIX_EPOCH).unwrap();
    let system = std::time::SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    assert!(system.abs_diff(now) < Duration::from_secs(5));
}

/// `sleep` counts from when the work under way has settled: an activity
/// that takes real time to answer does not eat into the time moved.
#[tokio::test]
async fn sleep_counts_from_when_the_running_activity_has_answered() {
    let env = TestEnvironment::new().unwrap();
    env.worker(QUEUE)
        .workflow::<Expense>()
        .mock_activity("notify_approver", |(expense,): (String,)| async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, ApplicationError>(format!("mailed about {expense}"))
        })
        .start()
        .unwrap();
    let handle = start(&env, "lunch").await;
    // Exactly the week the approver has, counted from the mail.
    env.sleep(7 * DAY).await;
    assert_eq!(handle.describe().await.unwrap().status, WorkflowStatus::Completed);
    assert_eq!(handle.result().await.unwrap(), "mailed about lunch; expired");
}

/// Copies `files` files from where the previous attempt left off,
/// heartbeating each; stops when canceled.
#[workflow::activity]
async fn copy_files(ctx: ActivityContext, files: u32) -> Result<u32, ApplicationError> {
    let start: u32 = ctx.heartbeat_details().unwrap_or(0);
    for done in start..files {
        if ctx.is_cancelled() {
            return Err(ApplicationError::new(format!("canceled after {done} files")).with_type("Canceled"));
        }
        ctx.heartbeat(&(done + 1))?;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(files - start)
}

#[tokio::test]
async fn an_activity_runs_alone_with_the_attempt_and_heartbeat_the_test_sets() {
    let first = ActivityEnvironment::new();
    assert_eq!(first.run(copy_files, 3).await.unwrap(), 3);
    assert_eq!(first.heartbeats::<u32>(), [1, 2, 3]);

    let retry = ActivityEnvironment::new().attempt(2).heartbeat_details(&8).unwrap();
    assert_eq!(retry.run(copy_files, 10).await.unwrap(), 2, "resumes after the 8 done");
    assert_eq!(retry.heartbeats::<u32>(), [9, 10]);
}

#[tokio::test]
async fn a_test_cancels_a_running_activity() {
    let env = ActivityEnvironment::new();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        env.cancel();
    };
    let (copied, ()) = tokio::join!(env.run(copy_files, 1_000), cancel);
    let failure = copied.unwrap_err();
    assert_eq!(failure.error_type(), Some("Canceled"));
    let done = env.heartbeats::<u32>().len();
    assert!(done > 0 && done < 1_000, "{done}");
    assert_eq!(failure.message(), format!("canceled after {done} files"));
}

/// Uploads files to one store, counting the bytes sent.
pub struct Uploader {
    sent: AtomicU64,
}

#[workflow::activities]
impl Uploader {
    /// Uploads `bytes` bytes, heartbeating the total sent so far.
    async fn upload(&self, ctx: ActivityContext, bytes: u64) -> Result<u64, ApplicationError> {
        let sent = self.sent.fetch_add(bytes, Ordering::SeqCst) + bytes;
        ctx.heartbeat(&sent)?;
        Ok(sent)
    }
}

/// Another type with activities, whose instance `Uploader::upload` does not run on.
pub struct Mailer;

#[workflow::activities]
impl Mailer {
    async fn mail(&self, to: String) -> String {
        to
    }
}

#[tokio::test]
async fn a_method_activity_runs_alone_on_the_instance_the_test_gives() {
    let uploader = Uploader {
        sent: AtomicU64::new(0),
    };
    let env = ActivityEnvironment::new();
    assert_eq!(env.run_on(&uploader, Uploader::upload, 10).await.unwrap(), 10);
    assert_eq!(env.run_on(&uploader, Uploader::upload, 5).await.unwrap(), 15);
    assert_eq!(uploader.sent.load(Ordering::SeqCst), 15);
    assert_eq!(env.heartbeats::<u64>(), [10, 15]);

    let alone = env.run(Uploader::upload, 1).await.unwrap_err();
    assert_eq!(alone.error_type(), Some("NoInstance"));
    assert_eq!(
        alone.message(),
        "activity `upload` is a method of `Uploader` and runs on an instance of it, which was not given"
    );
    let elsewhere = env.run_on(&Mailer, Uploader::upload, 1).await.unwrap_err();
    assert_eq!(elsewhere.error_type(), Some("WrongInstance"));
    assert!(
        elsewhere
            .message()
            .ends_with("::Uploader` and was run on an instance of another type"),
        "{elsewhere}"
    );
    assert_eq!(uploader.sent.load(Ordering::SeqCst), 15, "neither ran");
}
