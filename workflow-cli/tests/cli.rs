//! The `workflow` binary end to end, against the `orders` example process
//! that owns the file and runs its worker.

#[path = "../examples/orders/order.rs"]
mod order;

/// The web UI's tests' HTTP client.
#[path = "../../workflow-ui/tests/browser/http.rs"]
mod http;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use tempfile::TempDir;
use workflow::{History, Replayer};

/// The example binary, built by `cargo test` next to this test's directory.
fn example() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary has a path");
    let profile = deps
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    profile
        .join("examples")
        .join(format!("orders{}", std::env::consts::EXE_SUFFIX))
}

/// The `orders` process serving a file.
struct Owner {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Owner {
    /// Starts the process and waits until it serves.
    fn start(db: &Path) -> Owner {
        let mut child = Command::new(example())
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the orders example is built by `cargo test`");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("a line");
        assert!(line.starts_with("serving"), "unexpected first line: {line:?}");
        let stdin = child.stdin.take();
        Owner { child, stdin }
    }

    /// Closes its standard input, which stops it cleanly.
    fn stop(mut self) {
        self.stdin.take();
        let status = self.child.wait().expect("it stops");
        assert!(status.success(), "{status}");
    }

    /// `kill -9`.
    fn kill(mut self) {
        self.child.kill().expect("it can be killed");
        self.child.wait().expect("it dies");
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory with the workflow file's path.
fn scratch() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("orders.db");
    (dir, db)
}

fn cli(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workflow"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("the CLI runs")
}

/// Runs the CLI and returns its standard output; it must succeed.
fn ok(db: &Path, args: &[&str]) -> String {
    let out = cli(db, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "`workflow {}` failed: {stderr}", args.join(" "));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs the CLI and returns its error message; it must fail with status 1.
fn fails(db: &Path, args: &[&str]) -> String {
    let out = cli(db, args);
    assert_eq!(out.status.code(), Some(1), "`workflow {}` should fail", args.join(" "));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).expect("UTF-8 output")
}

#[test]
fn signal_query_and_update_reach_the_running_worker() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    let out = ok(&db, &["signal", "order-1", "add_item", r#""apple""#]);
    assert_eq!(out, "signal `add_item` delivered to `order-1`\n");
    ok(&db, &["signal", "order-1", "add_item", r#""pear""#]);
    let items: Vec<String> = serde_json::from_str(&ok(&db, &["query", "order-1", "items"])).unwrap();
    assert_eq!(items, ["apple", "pear"]);
    let rejected = fails(&db, &["update", "order-1", "approve", r#""  ""#]);
    assert_eq!(rejected, "error: update `approve` rejected: say who approves\n");
    assert_eq!(ok(&db, &["update", "order-1", "approve", r#""Bob""#]), "2\n");
    let describe = ok(&db, &["describe", "order-1"]);
    assert!(describe.contains("status            Completed"), "{describe}");
    assert!(describe.contains("signals received  2"), "{describe}");
    assert!(
        describe.contains(&format!("task queue        {}", order::TASK_QUEUE)),
        "{describe}"
    );
    owner.stop();
}

#[test]
fn reads_work_on_a_file_no_process_has_open() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    ok(&db, &["signal", "order-1", "add_item", r#""apple""#]);
    owner.stop();

    let list = ok(&db, &["list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[0].starts_with("WORKFLOW ID  TYPE   STATUS   STARTED (UTC)"),
        "{list}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("order-1      Order  Running")),
        "{list}"
    );

    let show = ok(&db, &["show", "order-1"]);
    let signaled = show
        .lines()
        .find(|l| l.contains("WorkflowExecutionSignaled"))
        .expect(&show);
    assert!(
        signaled.ends_with(r#"{"input":["apple"],"signal_name":"add_item"}"#),
        "{show}"
    );
    // Every row's columns start at the same offsets.
    let event_column = show.lines().next().unwrap().find("EVENT").unwrap();
    assert!(show
        .lines()
        .skip(1)
        .all(|l| l[event_column - 2..event_column].trim().is_empty()));

    let json = ok(&db, &["show", "order-1", "--json"]);
    let history = History::from_json(&json).expect("`show --json` is a history");
    assert_eq!(history.workflow_id, "order-1");
    Replayer::new()
        .workflow::<order::Order>()
        .replay_json(&json)
        .expect("the replayer accepts `show --json`");

    let text = ok(&db, &["describe", "order-1"]);
    assert!(text.contains(r#"memo              {"channel":"web"}"#), "{text}");
    assert!(text.contains(r#"attributes        {"Customer":"Ada"}"#), "{text}");
    let describe: serde_json::Value = serde_json::from_str(&ok(&db, &["describe", "order-1", "--json"])).unwrap();
    assert_eq!(describe["signals_received"], 1);
    assert_eq!(describe["status"], "Running");
}

#[test]
fn list_filters_by_status_and_type() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    ok(&db, &["terminate", "order-2", "--reason", "duplicate"]);
    owner.stop();
    let running = ok(&db, &["list", "--status", "running"]);
    assert!(running.contains("order-1") && !running.contains("order-2"), "{running}");
    let terminated = ok(&db, &["list", "--status", "terminated", "--json"]);
    let runs: Vec<serde_json::Value> = serde_json::from_str(&terminated).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["workflow_id"], "order-2");
    assert_eq!(
        ok(&db, &["list", "--type", "Invoice"]).lines().count(),
        1,
        "only the header"
    );
    let bad = cli(&db, &["list", "--status", "sleeping"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown status `sleeping`"));
}

#[test]
fn list_and_count_take_a_visibility_query() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    ok(&db, &["terminate", "order-2", "--reason", "duplicate"]);
    owner.stop();
    let running = ok(
        &db,
        &[
            "list",
            "--query",
            "WorkflowType = 'Order' AND ExecutionStatus = 'Running'",
        ],
    );
    assert!(running.contains("order-1") && !running.contains("order-2"), "{running}");
    let newest_first = ok(
        &db,
        &[
            "list",
            "-q",
            "WorkflowId STARTS_WITH 'order-' ORDER BY WorkflowId DESC",
            "--json",
        ],
    );
    let runs: Vec<serde_json::Value> = serde_json::from_str(&newest_first).unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r["workflow_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["order-2", "order-1"]);
    assert_eq!(ok(&db, &["count"]), "2\n");
    assert_eq!(ok(&db, &["count", "--query", "ExecutionStatus = 'Terminated'"]), "1\n");
    let bad = fails(&db, &["count", "-q", "ExecutionStatus = 'Runing'"]);
    assert!(
        bad.starts_with("error: invalid visibility query: unknown execution status `Runing` at position 18"),
        "{bad}"
    );
    let both = cli(
        &db,
        &["list", "--status", "running", "--query", "WorkflowType = 'Order'"],
    );
    assert_eq!(both.status.code(), Some(2), "a query says it all");
}

#[test]
fn schedules_are_created_paused_triggered_and_deleted() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    let create = [
        "schedule",
        "create",
        "nightly",
        "--cron",
        "0 3 * * *",
        "--type",
        "Order",
        "--task-queue",
        order::TASK_QUEUE,
        "--workflow-id",
        "nightly-order",
        r#""Ada""#,
    ];
    assert_eq!(ok(&db, &create), "schedule `nightly` created\n");
    let taken = fails(&db, &create);
    assert_eq!(taken, "error: schedule `nightly` already exists\n");
    let mut bad = create;
    bad[2] = "bad";
    bad[4] = "0 25 * * *";
    let refused = fails(&db, &bad);
    assert!(refused.contains("hour `25`"), "{refused}");

    let list = ok(&db, &["schedule", "list"]);
    assert!(
        list.lines().any(|l| l.starts_with("nightly") && l.contains("Order")),
        "{list}"
    );
    ok(&db, &["schedule", "pause", "nightly", "--note", "month-end freeze"]);
    let describe = ok(&db, &["schedule", "describe", "nightly"]);
    assert!(
        describe.contains("cron 0 3 * * *") && describe.contains("month-end freeze"),
        "{describe}"
    );

    assert_eq!(
        ok(&db, &["schedule", "trigger", "nightly"]),
        "schedule `nightly` triggered\n"
    );
    let query = "WorkflowId STARTS_WITH 'nightly-order-'";
    let mut started = String::new();
    for _ in 0..50 {
        started = ok(&db, &["list", "--query", query]);
        if started.lines().count() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        started.contains("Order  Running"),
        "a triggered start runs while paused: {started}"
    );

    assert_eq!(
        ok(&db, &["schedule", "delete", "nightly"]),
        "schedule `nightly` deleted\n"
    );
    assert_eq!(
        fails(&db, &["schedule", "describe", "nightly"]),
        "error: schedule `nightly` not found\n"
    );
    owner.stop();
}

#[test]
fn durable_requests_are_applied_when_the_owner_next_starts() {
    let (_dir, db) = scratch();
    Owner::start(&db).kill();

    let queued = ok(&db, &["signal", "order-1", "add_item", r#""apple""#]);
    assert!(
        queued.starts_with("signal `add_item` queued for `order-1`: no process has"),
        "{queued}"
    );
    ok(&db, &["cancel", "order-2"]);
    let no_owner = fails(&db, &["query", "order-1", "items"]);
    assert!(no_owner.contains("no process has the workflow file"), "{no_owner}");
    assert!(
        no_owner.contains("start the process that runs its workers"),
        "{no_owner}"
    );
    assert!(fails(&db, &["update", "order-1", "approve", r#""Bob""#]).contains("no process has the workflow file"));

    let owner = Owner::start(&db);
    assert_eq!(ok(&db, &["query", "order-1", "items"]), "[\n  \"apple\"\n]\n");
    let canceled = ok(&db, &["describe", "order-2"]);
    assert!(canceled.contains("status            Canceled"), "{canceled}");
    let history = ok(&db, &["show", "order-1"]);
    assert_eq!(
        history.matches("WorkflowExecutionSignaled").count(),
        1,
        "applied once: {history}"
    );
    owner.stop();
}

#[test]
fn errors_name_what_is_wrong() {
    let (dir, db) = scratch();
    let missing = dir.path().join("nowhere.db");
    let error = fails(&missing, &["list"]);
    assert!(
        error.contains("nowhere.db") && error.contains("no such file"),
        "{error}"
    );

    let owner = Owner::start(&db);
    assert_eq!(
        fails(&db, &["signal", "order-9", "add_item", r#""x""#]),
        "error: workflow `order-9` not found\n"
    );
    assert_eq!(
        fails(&db, &["describe", "order-9"]),
        "error: workflow `order-9` not found\n"
    );
    assert_eq!(
        fails(&db, &["query", "order-1", "total"]),
        "error: workflow `Order` has no query `total` (known queries: items)\n"
    );
    assert_eq!(
        fails(&db, &["update", "order-1", "ship"]),
        "error: workflow `Order` has no update `ship` (known updates: approve)\n"
    );
    let typo = cli(&db, &["signal", "order-1", "add_iten", r#""x""#]);
    assert!(typo.status.success(), "an unknown signal is kept, as Temporal does");
    assert_eq!(
        String::from_utf8_lossy(&typo.stderr),
        "warning: workflow `Order` has no handler for signal `add_iten`; it stays in its history, listed by \
         `describe` as unhandled\n"
    );
    let not_json = fails(&db, &["signal", "order-1", "add_item", "apple"]);
    assert!(not_json.contains("argument 1 is not JSON"), "{not_json}");
    ok(&db, &["terminate", "order-2"]);
    assert_eq!(
        fails(&db, &["signal", "order-2", "add_item", r#""x""#]),
        "error: workflow `order-2` is closed (Terminated): it no longer accepts signals\n"
    );
    owner.stop();

    let no_db = Command::new(env!("CARGO_BIN_EXE_workflow"))
        .args(["list"])
        .env_remove("WORKFLOW_DB")
        .output()
        .unwrap();
    assert_eq!(no_db.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_db.stderr).contains("pass `--db FILE` or set WORKFLOW_DB"));
}

#[test]
fn describe_without_an_owner_lists_unhandled_signals() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    ok(&db, &["signal", "order-1", "add_iten", r#""x""#]);
    owner.stop();
    let describe = ok(&db, &["describe", "order-1"]);
    assert!(describe.contains("unhandled signals  add_iten"), "{describe}");
}

#[test]
fn backup_and_prune_work_while_the_owner_runs() {
    let (dir, db) = scratch();
    let copy = dir.path().join("copy.db");
    let owner = Owner::start(&db);
    ok(&db, &["terminate", "order-2"]);
    let out = ok(&db, &["backup", copy.to_str().unwrap()]);
    assert_eq!(out, format!("backed up {} to {}\n", db.display(), copy.display()));
    assert!(fails(&db, &["backup", copy.to_str().unwrap()]).contains("never overwrites"));

    assert_eq!(ok(&db, &["prune"]), "deleted 0 closed run(s) older than 604800s\n");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(
        ok(&db, &["prune", "--older-than", "10ms"]),
        "deleted 1 closed run(s) older than 10ms\n"
    );
    assert_eq!(
        fails(&db, &["describe", "order-2"]),
        "error: workflow `order-2` not found\n"
    );
    ok(&db, &["describe", "order-1"]);
    owner.stop();

    // The copy holds both, and opens as a workflow file of its own.
    let listed = ok(&copy, &["list"]);
    assert!(listed.contains("order-1") && listed.contains("order-2"), "{listed}");
    let owner = Owner::start(&copy);
    ok(&copy, &["signal", "order-1", "add_item", r#""apple""#]);
    owner.stop();
}

#[test]
fn a_run_whose_history_cannot_be_decoded_is_marked_and_the_rest_works() {
    let (_dir, db) = scratch();
    Owner::start(&db).stop();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let changed = conn
            .execute(
                "UPDATE events SET data = x'ff00' WHERE id = 2 AND run_key =
                     (SELECT run_key FROM workflows WHERE workflow_id = 'order-1')",
                [],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }
    // A signal loads the run: it is recorded, and the history found undecodable.
    let owner = Owner::start(&db);
    ok(&db, &["signal", "order-1", "add_item", r#""tea""#]);
    let list = ok(&db, &["list"]);
    let marked = list.lines().find(|l| l.starts_with("order-1")).expect(&list);
    assert!(marked.contains("Running (task failing)"), "{list}");
    let healthy = list.lines().find(|l| l.starts_with("order-2")).expect(&list);
    assert!(!healthy.contains("task failing"), "{list}");
    let describe = ok(&db, &["describe", "order-1"]);
    assert!(
        describe.contains("task failure      history event 2 cannot be decoded"),
        "{describe}"
    );
    ok(&db, &["signal", "order-2", "add_item", r#""tea""#]);
    owner.stop();
}

/// Calls an activity its worker forgot to register.
#[derive(Default)]
struct Forgetful;

#[workflow::defn]
impl Forgetful {
    #[workflow::run]
    async fn run(ctx: &mut workflow::WorkflowContext<Self>) -> workflow::WorkflowResult<()> {
        let options = workflow::ActivityOptions::start_to_close(std::time::Duration::from_secs(10)).retry_policy(
            workflow::RetryPolicy {
                initial_interval: std::time::Duration::from_secs(3600),
                ..workflow::RetryPolicy::default()
            },
        );
        ctx.execute_activity_by_name("notify", (), options).await
    }
}

#[test]
fn describe_shows_an_activity_failing_over_and_over() {
    let (_dir, db) = scratch();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = workflow::Engine::open(&db).unwrap();
        let worker = engine.worker("forgetful").workflow::<Forgetful>().start().unwrap();
        let options = workflow::StartOptions::new("forgetful-1").task_queue("forgetful");
        let handle = engine
            .client()
            .start_workflow(Forgetful::run, (), options)
            .await
            .unwrap();
        while handle
            .describe()
            .await
            .unwrap()
            .pending_activities
            .first()
            .map(|a| a.attempt)
            != Some(2)
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        worker.shutdown();
        engine.close();
    });
    let describe = ok(&db, &["describe", "forgetful-1"]);
    assert!(describe.contains("pending activities:"), "{describe}");
    let row = describe
        .lines()
        .find(|l| l.starts_with("notify"))
        .expect("a row for the activity");
    assert!(row.contains("scheduled") && row.contains(" 2 "), "{row}");
    assert!(
        row.contains("activity `notify` is not registered on task queue `forgetful`"),
        "{row}"
    );
}

#[test]
fn a_codec_key_opens_the_payloads_an_encrypting_engine_wrote() {
    use workflow::codec::AesGcmCodec;
    use workflow::{Engine, StartOptions, Untyped};

    let (dir, db) = scratch();
    let key = [5u8; 32];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = Engine::open(&db).unwrap().with_codec(AesGcmCodec::new("cli-key", key));
        let options = StartOptions::<Untyped>::new("sealed-1").task_queue("nobody");
        engine
            .client()
            .start_workflow_by_name("Sealed", ("card-4242",), options)
            .await
            .unwrap();
        engine.close();
    });

    let sealed = ok(&db, &["show", "sealed-1"]);
    assert!(!sealed.contains("card-4242"), "{sealed}");
    assert!(sealed.contains("<binary/encrypted payload, key `cli-key`"), "{sealed}");

    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let key_file = dir.path().join("codec.key");
    std::fs::write(&key_file, format!("{hex}\n")).unwrap();
    let key_path = key_file.to_str().unwrap();
    let opened = ok(
        &db,
        &["show", "sealed-1", "--codec-key", key_path, "--codec-key-id", "cli-key"],
    );
    assert!(opened.contains("card-4242"), "{opened}");

    std::fs::write(&key_file, "not a key").unwrap();
    let out = cli(
        &db,
        &["show", "sealed-1", "--codec-key", key_path, "--codec-key-id", "cli-key"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is neither 32 bytes nor 64 hex digits"), "{stderr}");
}

/// `workflow ui` serving `db` on `addr` with `args`; the URL it prints.
struct Ui {
    child: Child,
    url: String,
}

impl Ui {
    fn start(db: &Path, args: &[&str]) -> Ui {
        let mut child = Command::new(env!("CARGO_BIN_EXE_workflow"))
            .arg("--db")
            .arg(db)
            .arg("ui")
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the CLI runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("a line");
        let url = line
            .trim()
            .rsplit(" at ")
            .next()
            .filter(|url| url.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Ui { child, url }
    }

    /// `GET path` from the printed port.
    fn get(&self, path: &str) -> http::Response {
        let port = self.url.split(':').nth(2).and_then(|rest| rest.split('/').next());
        let addr = format!("127.0.0.1:{}", port.expect("a port")).parse().unwrap();
        http::request(addr, "GET", path, &[], "")
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ui_serves_the_files_runs_and_asks_a_token_off_loopback() {
    let (_dir, db) = scratch();
    let owner = Owner::start(&db);
    let ui = Ui::start(&db, &["--addr", "127.0.0.1:0"]);
    assert!(!ui.url.contains("token"), "{}", ui.url);
    let runs = ui.get("/");
    assert_eq!(runs.status, 200, "{}", runs.body);
    assert!(runs.body.contains(">order-1</a>"), "{}", runs.body);
    let run = ui.get("/runs/order-1").body;
    assert!(run.contains("WorkflowExecutionStarted"), "{run}");
    drop(ui);

    let open = Ui::start(&db, &["--addr", "0.0.0.0:0"]);
    let token = open.url.split("?token=").nth(1).expect("a generated token in the URL");
    assert_eq!(token.len(), 32);
    assert_eq!(open.get("/").status, 401);
    let shown = open.get(&format!("/?token={token}"));
    assert_eq!(shown.status, 303);
    assert_eq!(shown.header("location"), Some("/"), "the token leaves the URL");

    let refused = cli(&db, &["ui", "--token", "short"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("an access token needs at least 16 characters"),
        "{stderr}"
    );
    owner.stop();
}
