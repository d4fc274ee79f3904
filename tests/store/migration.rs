//! A file written by each earlier release opens with today's code, and
//! every run in it carries on with nothing lost.
//!
//! `tests/fixtures/store-vN.db` was written by `write_fixture` at the last
//! commit with schema version N (0: the first release, before the store had
//! a version); the histories it held then are in `store-vN.histories.json`,
//! as `History::to_json` exported them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use workflow::interceptor::{
    ActivityAttempt, BoxFuture, ClientInterceptor, InboundCall, InboundKind, OutboundCall, OutboundCommand,
    WorkerInterceptor, WorkflowInterceptor,
};
use workflow::{
    ActivityInfo, ClientError, Engine, EventKind, Headers, History, Payload, RetryPolicy, SearchAttributeKey,
    StartOptions, WaitStage, WorkflowHandle, WorkflowInfo, WorkflowStatus,
};

use workflow::schedule::Schedule;

use crate::ledger::{stamp, Ledger, Plan, ACTIVITY_QUEUE, TASK_QUEUE};

/// The search attribute of the fixture's run with start options (from v5).
const CUSTOMER: SearchAttributeKey<String> = SearchAttributeKey::keyword("Customer");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of a fixture file in a temporary directory, so tests never change
/// the committed file.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(fixtures().join(name), &path).unwrap();
    (dir, path)
}

async fn wait_for(handle: &WorkflowHandle<Ledger>, what: &str, done: impl Fn(&History) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let history = handle.fetch_history().await.unwrap();
        if done(&history) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has(name: &'static str) -> impl Fn(&History) -> bool {
    move |h| h.events_named(name).next().is_some()
}

/// Writes the fixture of the current schema version, before a change to
/// what is stored. Run on purpose only, naming the version the code writes:
/// `WORKFLOW_WRITE_FIXTURE=v1 cargo test --test store write_fixture -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures; run by hand when a fixture is due"]
async fn write_fixture() {
    let Ok(version) = std::env::var("WORKFLOW_WRITE_FIXTURE") else {
        return;
    };
    let name = format!("store-{version}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.db"));
    let engine = Engine::open(&path).unwrap();
    let worker = engine
        .worker(TASK_QUEUE)
        .workflow::<Ledger>()
        .interceptor(PassTenantOn)
        .start()
        .unwrap();
    let client = engine.client();
    let start = |id: &str, plan: Plan| {
        let client = client.clone();
        let options = StartOptions::new(id).task_queue(TASK_QUEUE);
        async move { client.start_workflow(Ledger::run, plan, options).await.unwrap() }
    };

    let open = start("ledger-open", Plan::default()).await;
    for entry in ["s1", "s2", "s3"] {
        open.signal(Ledger::add, entry.to_owned()).await.unwrap();
    }
    assert_eq!(open.query(Ledger::entries, ()).await.unwrap(), ["s1", "s2", "s3"]);

    let completed = start("ledger-completed", Plan::default()).await;
    completed.signal(Ledger::add, "c1".to_owned()).await.unwrap();
    completed.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(completed.result().await.unwrap(), ["c1"]);

    let plan = Plan {
        continue_after: 2,
        ..Plan::default()
    };
    let first = start("ledger-continued", plan).await;
    let first_run = first.describe().await.unwrap().run_id;
    let continued = client
        .get_workflow_handle_for(Ledger::run, "ledger-continued")
        .with_run_id(first_run);
    first.signal(Ledger::add, "n1".to_owned()).await.unwrap();
    first.signal(Ledger::add, "n2".to_owned()).await.unwrap();
    wait_for(&continued, "continue-as-new", has("WorkflowExecutionContinuedAsNew")).await;
    let next = client.get_workflow_handle_for(Ledger::run, "ledger-continued");
    next.signal(Ledger::add, "n3".to_owned()).await.unwrap();
    assert_eq!(next.query(Ledger::entries, ()).await.unwrap(), ["n1", "n2", "n3"]);

    let plan = Plan {
        sleep_ms: 2_000,
        ..Plan::default()
    };
    let timer = start("ledger-timer", plan).await;
    wait_for(&timer, "the timer", has("TimerStarted")).await;

    let plan = Plan {
        activity: true,
        ..Plan::default()
    };
    let activity = start("ledger-activity", plan).await;
    wait_for(&activity, "the activity", has("ActivityTaskScheduled")).await;

    let update = start("ledger-update", Plan::default()).await;
    update.signal(Ledger::add, "before".to_owned()).await.unwrap();
    update
        .start_update_with_id(Ledger::hold, "u1".to_owned(), "hold-1", WaitStage::Accepted)
        .await
        .unwrap();

    // Start options the store keeps from version 5 on.
    let options = StartOptions::new("ledger-options")
        .task_queue(TASK_QUEUE)
        .search_attribute(CUSTOMER, "c-1")
        .memo("source", "fixture")
        // Far enough ahead that the run never times out under the test.
        .execution_timeout(Duration::from_secs(100 * 365 * 86_400))
        .retry_policy(RetryPolicy::default());
    let with_options = client
        .start_workflow(Ledger::run, Plan::default(), options)
        .await
        .unwrap();
    with_options.signal(Ledger::add, "o1".to_owned()).await.unwrap();

    // Schedules, which the store keeps from version 6 on; paused, so that
    // it starts nothing however late the fixture is opened.
    let scheduled = StartOptions::new("ledger-scheduled").task_queue(TASK_QUEUE);
    let schedule = Schedule::cron("0 3 * * *")
        .start(Ledger::run, Plan::default(), scheduled)
        .paused("kept by the fixture");
    client.create_schedule(SCHEDULE, schedule).await.unwrap();

    // Headers, which the store keeps from version 7 on: a start and a
    // signal that carried a tenant, and an activity scheduled with it.
    let tenant = client.clone().with_interceptor(Tenant);
    let plan = Plan {
        activity: true,
        ..Plan::default()
    };
    let options = StartOptions::new("ledger-headers").task_queue(TASK_QUEUE);
    let with_headers = tenant.start_workflow(Ledger::run, plan, options).await.unwrap();
    with_headers.signal(Ledger::add, "h1".to_owned()).await.unwrap();
    wait_for(&with_headers, "the activity", has("ActivityTaskScheduled")).await;

    // Input no workflow task has taken yet: a signal while no worker runs.
    worker.shutdown();
    open.signal(Ledger::add, "s4".to_owned()).await.unwrap();

    let mut histories = Vec::new();
    for id in [
        "ledger-open",
        "ledger-completed",
        "ledger-timer",
        "ledger-activity",
        "ledger-update",
        "ledger-options",
        "ledger-headers",
    ] {
        histories.push(client.get_workflow_handle(id).fetch_history().await.unwrap());
    }
    histories.push(continued.fetch_history().await.unwrap());
    histories.push(next.fetch_history().await.unwrap());
    engine.close();
    assert!(
        !dir.path().join(format!("{name}.db-wal")).exists(),
        "closing checkpoints the WAL"
    );

    std::fs::create_dir_all(fixtures()).unwrap();
    std::fs::copy(&path, fixtures().join(format!("{name}.db"))).unwrap();
    let exports: Vec<serde_json::Value> = histories
        .iter()
        .map(|h| serde_json::from_str(&h.to_json()).unwrap())
        .collect();
    let text = serde_json::to_string_pretty(&exports).unwrap();
    std::fs::write(fixtures().join(format!("{name}.histories.json")), text + "\n").unwrap();
}

/// The histories a fixture file held when it was written.
fn histories(name: &str) -> Vec<History> {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.histories.json"))).unwrap();
    let exports: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    exports
        .iter()
        .map(|e| History::from_json(&e.to_string()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_file_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_file_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_file_with_patch_markers_opens_and_every_run_carries_on() {
    let marked = histories("store-v2")
        .iter()
        .filter(|h| h.events_named("MarkerRecorded").next().is_some())
        .count();
    assert!(marked >= 5, "the v2 fixture's runs recorded patch markers ({marked})");
    every_run_carries_on("store-v2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_file_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_file_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v5_file_with_start_options_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v6_file_with_a_schedule_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v6").await;
    let (_dir, path) = copy_fixture("store-v6.db");
    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let client = engine.client();
    let nightly = client.get_schedule_handle(SCHEDULE);
    let described = nightly.describe().await.unwrap();
    assert!(described.paused);
    assert_eq!(
        (described.note.as_str(), described.info.num_actions),
        ("kept by the fixture", 0)
    );
    assert_eq!(described.definition.action.workflow_type, "Ledger");
    nightly.trigger(None).await.unwrap();
    for _ in 0..200 {
        if nightly.describe().await.unwrap().info.num_actions == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        nightly.describe().await.unwrap().info.num_actions,
        1,
        "the schedule starts its action"
    );
    nightly.delete().await.unwrap();
    engine.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v7_file_with_headers_opens_and_every_run_carries_on() {
    every_run_carries_on("store-v7").await;
}

/// A signal a version 6 client left in the file's inbox, in version 6's
/// form, is delivered once the file is migrated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_left_in_a_v6_inbox_is_delivered_after_migration() {
    let (_dir, path) = copy_fixture("store-v6.db");
    let args = serde_json::to_value([Payload::encode("from-inbox").unwrap()]).unwrap();
    let body = serde_json::json!({ "Signal": [{ "workflow_id": "ledger-open", "run_id": null }, "add", args] });
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO requests (body) VALUES (?1)", [body.to_string()])
        .unwrap();
    drop(conn);

    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let open = engine.client().get_workflow_handle_for(Ledger::run, "ledger-open");
    let deadline = Instant::now() + Duration::from_secs(10);
    while open.query(Ledger::entries, ()).await.unwrap().len() < 5 {
        assert!(Instant::now() < deadline, "the inbox's signal never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    open.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(open.result().await.unwrap(), ["s1", "s2", "s3", "s4", "from-inbox"]);
    engine.close();
}

/// Puts `tenant: acme` on every call that carries headers.
struct Tenant;

impl ClientInterceptor for Tenant {
    fn intercept<T: Send + 'static>(&self, mut call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
        if let Some(headers) = call.headers_mut() {
            headers.insert("tenant", Payload::encode("acme").unwrap());
        }
        call.send()
    }
}

/// Passes a run's start headers on to what it sends out.
struct PassTenantOn;

struct RunHeaders(Headers);

impl WorkflowInterceptor for RunHeaders {
    fn inbound(&mut self, call: &InboundCall<'_>) {
        if call.kind == InboundKind::Run {
            self.0 = call.headers.clone();
        }
    }

    fn outbound(&mut self, call: &mut OutboundCommand<'_>) {
        call.headers.extend(self.0.clone());
    }
}

impl WorkerInterceptor for PassTenantOn {
    fn workflow(&self, _info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
        Some(Box::new(RunHeaders(Headers::default())))
    }
}

/// Notes the tenant of each activity attempt.
struct ActivityTenants(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl WorkerInterceptor for ActivityTenants {
    fn activity(&self, info: &ActivityInfo, attempt: ActivityAttempt) -> ActivityAttempt {
        let tenant = info.headers.get("tenant").map(|p| p.decode::<String>().unwrap());
        self.0.lock().unwrap().push(tenant.unwrap_or_default());
        attempt
    }
}

/// The schedule the fixtures hold from version 6 on.
const SCHEDULE: &str = "ledger-nightly";

/// Opens a copy of fixture `name` and takes each of its runs to the end.
async fn every_run_carries_on(name: &str) {
    let (_dir, path) = copy_fixture(&format!("{name}.db"));
    let engine = Engine::open(&path).unwrap();
    let client = engine.client();

    // Every history reads back as it was written (a due timer may have
    // fired since), before any worker runs.
    for before in histories(name) {
        let handle = client
            .get_workflow_handle(&before.workflow_id)
            .with_run_id(&before.run_id);
        let now = handle.fetch_history().await.unwrap();
        assert_eq!(
            now.events[..before.events.len()],
            before.events,
            "{}",
            before.workflow_id
        );
    }

    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let tenants = ActivityTenants(Default::default());
    let seen = tenants.0.clone();
    let _activities = engine
        .worker(ACTIVITY_QUEUE)
        .activity(stamp)
        .interceptor(tenants)
        .start()
        .unwrap();
    let handle = |id: &str| client.get_workflow_handle_for(Ledger::run, id);

    // The signal left while no worker ran is delivered.
    let open = handle("ledger-open");
    open.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(open.result().await.unwrap(), ["s1", "s2", "s3", "s4"]);

    let completed = handle("ledger-completed");
    assert_eq!(completed.result().await.unwrap(), ["c1"]);
    let err = completed.signal(Ledger::add, "late".to_owned()).await.unwrap_err();
    assert!(matches!(err, ClientError::Closed { .. }), "{err}");

    let continued = handle("ledger-continued");
    continued.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(continued.result().await.unwrap(), ["n1", "n2", "n3"]);

    // The timer was due long ago and fires at open.
    let timer = handle("ledger-timer");
    timer.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(timer.result().await.unwrap(), ["slept"]);

    // The activity scheduled then runs now that a worker polls its queue.
    let activity = handle("ledger-activity");
    activity.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(activity.result().await.unwrap(), ["stamped:a"]);

    // The accepted update is still running; its caller can wait for it again.
    let update = handle("ledger-update");
    let pending = update.start_update_with_id(Ledger::hold, "ignored".to_owned(), "hold-1", WaitStage::Completed);
    let release = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        update.signal(Ledger::release, ()).await.unwrap();
    };
    let (held, ()) = tokio::join!(pending, release);
    assert_eq!(held.unwrap().result().await.unwrap(), 2);
    update.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(update.result().await.unwrap(), ["before", "u1"]);

    // From version 5: a run's start options, memo and search attributes.
    if histories(name).iter().any(|h| h.workflow_id == "ledger-options") {
        let options = handle("ledger-options");
        let d = options.describe().await.unwrap();
        assert_eq!(d.search_attributes.get(CUSTOMER).as_deref(), Some("c-1"));
        assert_eq!(d.memo["source"].decode::<String>().unwrap(), "fixture");
        let found = client
            .count_workflows("Customer = 'c-1' AND ExecutionStatus = 'Running'")
            .await;
        assert_eq!(found.unwrap(), 1);
        options.signal(Ledger::finish, ()).await.unwrap();
        assert_eq!(options.result().await.unwrap(), ["o1"]);
    }

    // From version 7: headers, in history and on a scheduled activity.
    if let Some(before) = histories(name).iter().find(|h| h.workflow_id == "ledger-headers") {
        let tenant = |kind: &EventKind| kind.header().and_then(|h| h.get("tenant")).cloned();
        let acme = Some(Payload::encode("acme").unwrap());
        for event in [
            "WorkflowExecutionStarted",
            "WorkflowExecutionSignaled",
            "ActivityTaskScheduled",
        ] {
            assert_eq!(
                before.events_named(event).map(|e| tenant(&e.kind)).next(),
                Some(acme.clone()),
                "{event}"
            );
        }
        let headers = handle("ledger-headers");
        headers.signal(Ledger::finish, ()).await.unwrap();
        assert_eq!(headers.result().await.unwrap(), ["h1", "stamped:a"]);
        assert!(
            seen.lock().unwrap().contains(&"acme".to_owned()),
            "{:?}",
            seen.lock().unwrap()
        );
    }

    let d = update.describe().await.unwrap();
    assert_eq!(d.status, WorkflowStatus::Completed);
    let history = update.fetch_history().await.unwrap();
    assert!(history.events.iter().any(
        |e| matches!(&e.kind, EventKind::WorkflowExecutionUpdateCompleted { update_id, .. } if update_id == "hold-1")
    ));
    engine.close();
}
