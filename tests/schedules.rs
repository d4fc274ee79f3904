//! Schedules on the embedded engine: cron and interval specs fired by the
//! engine's agenda (and by a test environment's skipping clock), overlap
//! policies, catch-up after the file was closed, and the calls that manage
//! them.

use std::time::Duration;

use futures::TryStreamExt;
use workflow::schedule::{OverlapPolicy, Schedule};
use workflow::{ClientError, Engine, StartOptions, TestEnvironment, WorkflowContext, WorkflowResult};

/// Returns at once.
#[derive(Default)]
struct Report;

#[workflow::defn]
impl Report {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        Ok(())
    }
}

/// Runs until told to finish.
#[derive(Default)]
struct Slow {
    done: bool,
}

#[workflow::defn]
impl Slow {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.done).await
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }
}

const DAY: Duration = Duration::from_secs(86_400);
const HOUR: Duration = Duration::from_secs(3_600);

async fn ids(client: &workflow::Client, query: &str) -> Vec<String> {
    let runs: Vec<_> = client.list_workflows(query).try_collect().await.unwrap();
    let mut ids: Vec<String> = runs.into_iter().map(|r| r.workflow_id).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_cron_over_30_skipped_days_starts_30_runs() {
    let env = TestEnvironment::new().unwrap();
    let _worker = env.worker("reports").workflow::<Report>().start().unwrap();
    let client = env.client();
    let options = StartOptions::new("report").task_queue("reports");
    let schedule = Schedule::cron("0 3 * * *").start(Report::run, (), options);
    let nightly = client.create_schedule("nightly", schedule).await.unwrap();

    env.sleep(30 * DAY).await;
    let started = ids(&client, "WorkflowType = 'Report' AND ExecutionStatus = 'Completed'").await;
    assert_eq!(started.len(), 30, "{started:?}");
    assert!(
        started
            .iter()
            .all(|id| id.starts_with("report-") && id.ends_with("T03:00:00Z")),
        "{started:?}"
    );

    let described = nightly.describe().await.unwrap();
    assert_eq!(described.info.num_actions, 30);
    assert_eq!(described.info.recent_actions.len(), 10, "the last ten");
    assert_eq!(described.next_action_times_ms.len(), 10);
    let gaps: Vec<i64> = described.next_action_times_ms.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g == DAY.as_millis() as i64), "{gaps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlap_skip_starts_nothing_while_the_last_run_is_open() {
    let env = TestEnvironment::new().unwrap();
    let _worker = env.worker("slow").workflow::<Slow>().start().unwrap();
    let client = env.client();
    let options = StartOptions::new("slow").task_queue("slow");
    let schedule = Schedule::every(HOUR)
        .start(Slow::run, (), options)
        .overlap(OverlapPolicy::Skip);
    let hourly = client.create_schedule("hourly", schedule).await.unwrap();

    env.sleep(5 * HOUR).await;
    let running = ids(&client, "WorkflowType = 'Slow'").await;
    assert_eq!(running.len(), 1, "{running:?}");
    let described = hourly.describe().await.unwrap();
    assert_eq!(described.info.num_actions_skipped_overlap, 4);
    assert_eq!(described.running_workflows, running);

    let first = client.get_workflow_handle_for(Slow::run, &running[0]);
    first.signal(Slow::finish, ()).await.unwrap();
    first.result().await.unwrap();
    env.sleep(HOUR).await;
    assert_eq!(
        ids(&client, "WorkflowType = 'Slow'").await.len(),
        2,
        "the next time starts again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_is_paused_triggered_updated_and_deleted() {
    let env = TestEnvironment::new().unwrap();
    let _worker = env.worker("reports").workflow::<Report>().start().unwrap();
    let client = env.client();
    let options = || StartOptions::new("report").task_queue("reports");
    let schedule = Schedule::cron("0 3 * * *")
        .start(Report::run, (), options())
        .paused("not yet");
    let nightly = client.create_schedule("nightly", schedule).await.unwrap();

    let again = Schedule::cron("0 4 * * *").start(Report::run, (), options());
    let taken = client.create_schedule("nightly", again).await.err();
    assert!(
        matches!(taken, Some(ClientError::ScheduleAlreadyExists { .. })),
        "{taken:?}"
    );
    let bad = Schedule::cron("0 25 * * *").start(Report::run, (), options());
    match client.create_schedule("bad", bad).await.err() {
        Some(ClientError::InvalidOptions { message }) => assert!(message.contains("hour `25`"), "{message}"),
        other => panic!("expected the cron to be refused, got {other:?}"),
    }

    env.sleep(2 * DAY).await;
    let described = nightly.describe().await.unwrap();
    assert!(described.paused);
    assert_eq!((described.note.as_str(), described.info.num_actions), ("not yet", 0));

    nightly.trigger(None).await.unwrap();
    env.sleep(Duration::from_secs(1)).await;
    assert_eq!(
        nightly.describe().await.unwrap().info.num_actions,
        1,
        "a trigger runs while paused"
    );

    nightly.unpause("go").await.unwrap();
    env.sleep(DAY).await;
    assert_eq!(
        nightly.describe().await.unwrap().info.num_actions,
        2,
        "the paused days are not caught up"
    );

    let hourly = Schedule::every(HOUR).start(Report::run, (), options());
    nightly.update(hourly).await.unwrap();
    env.sleep(3 * HOUR).await;
    assert_eq!(nightly.describe().await.unwrap().info.num_actions, 5);

    let listed = client.list_schedules().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].schedule_id.as_str(), listed[0].workflow_type.as_str()),
        ("nightly", "Report")
    );
    nightly.delete().await.unwrap();
    assert!(client.list_schedules().await.unwrap().is_empty());
    let gone = nightly.describe().await.err();
    assert!(matches!(gone, Some(ClientError::ScheduleNotFound { .. })), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_missed_while_the_file_was_closed_are_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schedules.db");
    let engine = Engine::open(&path).unwrap();
    let worker = engine.worker("reports").workflow::<Report>().start().unwrap();
    let options = StartOptions::new("report").task_queue("reports");
    let schedule = Schedule::every(Duration::from_secs(1))
        .start(Report::run, (), options)
        .overlap(OverlapPolicy::AllowAll);
    let every_second = engine.client().create_schedule("every-second", schedule).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = every_second.describe().await.unwrap().info.num_actions;
    assert!(before >= 1, "it fires while the engine runs");
    worker.shutdown();
    engine.close();

    // Three seconds pass with no process owning the file.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker("reports").workflow::<Report>().start().unwrap();
    let client = engine.client();
    let handle = client.get_schedule_handle("every-second");
    let mut after = 0;
    for _ in 0..50 {
        after = handle.describe().await.unwrap().info.num_actions;
        if after >= before + 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        after >= before + 3,
        "the missed times ran at open: {before} then {after}"
    );
    assert_eq!(
        handle.describe().await.unwrap().info.num_actions_missed_catchup_window,
        0
    );
    engine.close();
}
