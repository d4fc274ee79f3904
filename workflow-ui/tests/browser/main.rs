//! The web UI in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs), and its access rules over
//! raw HTTP.
//!
//! The browser tests need `WORKFLOW_CHROMEDRIVER` and `WORKFLOW_CHROMIUM`
//! (the two programs' paths); without them they say so and pass.
//! Screenshots go to `target/ui-screenshots/`.

mod http;
mod webdriver;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::time::Duration;

use serde_json::Value;
use workflow::codec::AesGcmCodec;
use workflow::futures::join;
use workflow::schedule::Schedule;
use workflow::{
    ActivityOptions, ApplicationError, ChildWorkflowOptions, Engine, PendingActivity, RetryPolicy, StartOptions,
    StoreFile, Worker, WorkflowContext, WorkflowResult,
};
use workflow_ui::{router, Access, Token, UiServer};

use crate::http::request;
use crate::webdriver::Browser;

/// Collects notes until told it is done.
#[derive(Default)]
struct Order {
    notes: Vec<String>,
    done: bool,
}

#[workflow::defn]
impl Order {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, customer: String) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(format!("{customer}: {} notes", ctx.state(|s| s.notes.len())))
    }

    #[workflow::signal]
    fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::query]
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    /// Adds a note; answers how many there are.
    #[workflow::update]
    fn add_note(&mut self, text: String) -> usize {
        self.notes.push(text);
        self.notes.len()
    }
}

/// A payment that is declined at every attempt, so it stays pending with
/// its last failure.
#[workflow::activity]
async fn charge(amount: u32) -> Result<u32, ApplicationError> {
    Err(ApplicationError::new(format!("card declined for {amount} EUR")))
}

/// An order's fulfilment. Its first run continues as new at once; the next
/// waits on a child order, a payment that keeps failing and a reminder, all
/// at once.
#[derive(Default)]
struct Fulfilment;

#[workflow::defn]
impl Fulfilment {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, round: u32) -> WorkflowResult<()> {
        if round == 0 {
            return ctx.continue_as_new(1);
        }
        let id = format!("{}-items", ctx.info().workflow_id);
        let child = ctx
            .start_child_workflow(Order::run, "c-42".to_owned(), ChildWorkflowOptions::new(id))
            .await?;
        let retry = RetryPolicy {
            initial_interval: Duration::from_millis(50),
            maximum_interval: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        let payment = ActivityOptions::start_to_close(Duration::from_secs(5)).retry_policy(retry);
        let (reminded, charged, delivered) = join!(
            ctx.sleep(Duration::from_secs(3600)),
            ctx.execute_activity(charge, 25, payment),
            child.result()
        );
        reminded?;
        charged?;
        delivered?;
        Ok(())
    }
}

/// A workflow whose code panics, so its task keeps failing.
#[derive(Default)]
struct Broken;

#[workflow::defn]
impl Broken {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        panic!("the stock table is missing")
    }
}

/// An engine running `Order` workflows in a file of its own, and the UI
/// serving that file from another connection, as `workflow ui` would.
struct Shop {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Shop {
    fn open() -> Shop {
        Shop::with(|engine| engine)
    }

    /// A shop whose engine `configure` sets up, e.g. with a codec.
    fn with(configure: impl FnOnce(Engine) -> Engine) -> Shop {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let engine = configure(Engine::open(&path).unwrap());
        Shop {
            runtime,
            engine,
            path,
            _dir: dir,
        }
    }

    /// Starts the worker that runs every workflow of these tests.
    fn worker(&self) -> Worker {
        let _runtime = self.runtime.enter();
        let worker = self
            .engine
            .worker("orders")
            .workflow::<Order>()
            .workflow::<Fulfilment>();
        worker.workflow::<Broken>().activity(charge).start().unwrap()
    }

    /// Serves `app` on a free loopback port, as an application would.
    fn serve_app(&self, app: axum::Router) -> SocketAddr {
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        self.runtime.spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Creates schedule `restock`: an order for `c-9` every hour.
    fn schedule_restock(&self) {
        let hourly = Schedule::every(Duration::from_secs(3600)).start(
            Order::run,
            "c-9".to_owned(),
            StartOptions::new("restock").task_queue("orders"),
        );
        let client = self.engine.client();
        self.runtime
            .block_on(client.create_schedule("restock", hourly))
            .unwrap();
    }

    /// Starts order `id` for `customer`.
    fn start(&self, id: &str, customer: &str) {
        let client = self.engine.client();
        let options = StartOptions::new(id).task_queue("orders");
        self.runtime
            .block_on(client.start_workflow(Order::run, customer.to_owned(), options))
            .unwrap();
    }

    /// Serves the UI on `addr` with `token`; returns the URL it prints.
    fn serve(&self, addr: &str, token: Option<Token>) -> (String, SocketAddr) {
        let file = StoreFile::open(&self.path).unwrap();
        let server = self
            .runtime
            .block_on(UiServer::bind(file, addr.parse().unwrap(), token))
            .unwrap();
        let (url, addr) = (server.url(), server.local_addr());
        self.runtime.spawn(server.run());
        (url, addr)
    }
}

/// The browser's two programs, when the environment names them.
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let read = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match (read("WORKFLOW_CHROMEDRIVER"), read("WORKFLOW_CHROMIUM")) {
        (Some(driver), Some(chromium)) => Some((driver, chromium)),
        _ => {
            eprintln!(
                "skipped: WORKFLOW_CHROMEDRIVER and WORKFLOW_CHROMIUM are unset, so no browser to test with \
                 (.ci/run installs Debian's chromium and chromium-driver and sets them)"
            );
            None
        }
    }
}

/// Where screenshots go: `target/ui-screenshots/`.
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots")
}

/// A script that answers whether the run page's timeline has a cell with
/// exactly `text`.
fn timeline_has(text: &str) -> String {
    format!(
        "return [...document.querySelectorAll('#timeline td')].some(td => td.textContent === {});",
        Value::from(text)
    )
}

#[test]
fn list_then_open_a_run_then_signal_it_and_the_new_event_appears_as_text() {
    let Some((driver, chromium)) = browser_programs() else {
        return;
    };
    let shop = Shop::open();
    let _worker = shop.worker();
    shop.start("order-7", "c-42");
    shop.start("order-8", "c-43");
    let (url, _) = shop.serve("127.0.0.1:0", None);
    let shots = screenshot_dir();
    let browser = Browser::start(&driver, &chromium);

    // The runs page lists both, with their count.
    browser.go(&url);
    let count = browser.find("p.count");
    assert_eq!(browser.text(&count), "2 runs match");
    browser.screenshot(&shots.join("runs.png"));

    // A visibility query narrows the list.
    let query = browser.find("input[name=q]");
    browser.type_into(&query, "WorkflowId = 'order-7'\n");
    browser.wait_for("the filtered count", || {
        (browser.text_at("p.count").as_deref() == Some("1 run matches")).then_some(())
    });

    // Open the run.
    let link = browser.find("table.runs a");
    assert_eq!(browser.text(&link), "order-7");
    browser.click(&link);
    let heading = browser.find("#live h1");
    assert!(
        browser.text(&heading).starts_with("order-7"),
        "{}",
        browser.text(&heading)
    );
    assert_eq!(
        browser.eval(&timeline_has("WorkflowExecutionSignaled")),
        Value::Bool(false)
    );
    browser.wait_for("the stack trace", || {
        let text = browser.text_at("#stack")?;
        (!text.starts_with("asking")).then_some(text)
    });

    // An argument that is not JSON is refused before anything is sent, in
    // the command line's words.
    let signal = "form.action[data-action*='/actions/signal']";
    browser.type_into(&browser.find(&format!("{signal} input[name=name]")), "note");
    let args = browser.find(&format!("{signal} textarea[name=args]"));
    browser.type_into(&args, "not json");
    browser.click(&browser.find(&format!("{signal} button")));
    let outcome = format!("{signal} .outcome");
    let refused = browser.wait_for("the refusal", || {
        let text = browser.text_at(&outcome)?;
        text.starts_with("error:").then_some(text)
    });
    assert!(
        refused.starts_with("error: argument 1 is not JSON (expected ident at line 1 column 2): `not json`"),
        "{refused}"
    );

    // A signal whose payload is markup: it arrives, the new event shows
    // without reloading the page, and its payload shows as text.
    let markup = "<script>window.pwned = true; alert('pwned')</script><b>bold</b>";
    browser.eval("document.querySelector(\"form.action[data-action*='/actions/signal'] textarea\").value = '';");
    browser.type_into(&args, &Value::from(markup).to_string());
    browser.click(&browser.find(&format!("{signal} button")));
    browser.wait_for("the signal's outcome", || {
        (browser.text_at(&outcome)? == "signal `note` delivered to `order-7`").then_some(())
    });
    browser.wait_for("the new event in the timeline", || {
        (browser.eval(&timeline_has("WorkflowExecutionSignaled")) == Value::Bool(true)).then_some(())
    });
    // The refresh appended the new events: each once, in order.
    let event_ids = || -> Vec<u64> {
        let ids = browser
            .eval("return [...document.querySelectorAll('#timeline tbody tr')].map(r => r.cells[0].textContent);");
        let ids = ids.as_array().unwrap().iter();
        ids.map(|id| id.as_str().unwrap().parse().unwrap()).collect()
    };
    let ids = event_ids();
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert!(ids.len() >= 4, "{ids:?}");
    let shown_as_text = format!(
        "return document.getElementById('timeline').textContent.includes({});",
        Value::from(markup)
    );
    assert_eq!(browser.eval(&shown_as_text), Value::Bool(true));
    let injected = "return document.querySelectorAll('main script, main b').length + (window.pwned ? 1 : 0);";
    assert_eq!(browser.eval(injected), Value::from(0));
    assert_eq!(browser.alert_text(), None);
    browser.screenshot(&shots.join("run-signaled.png"));

    // The workflow got the payload as it was typed.
    let handle = shop.engine.client().get_workflow_handle_for(Order::run, "order-7");
    let notes = shop.runtime.block_on(handle.query(Order::notes, ())).unwrap();
    assert_eq!(notes, vec![markup.to_owned()]);

    // A fresh render of the page escapes it too; a query answers with it.
    browser.go(&browser.url());
    browser.find("#timeline");
    assert_eq!(browser.eval(&shown_as_text), Value::Bool(true));
    assert_eq!(browser.eval(injected), Value::from(0));
    let query = "form.action[data-action*='/actions/query']";
    browser.type_into(&browser.find(&format!("{query} input[name=name]")), "notes");
    browser.click(&browser.find(&format!("{query} button")));
    let answer = format!("{query} .outcome");
    let answered = browser.wait_for("the query's answer", || {
        let text = browser.text_at(&answer)?;
        text.starts_with('[').then_some(text)
    });
    assert_eq!(
        serde_json::from_str::<Vec<String>>(&answered).unwrap(),
        vec![markup.to_owned()]
    );

    // The run finishes while the page is open: the page follows.
    shop.runtime.block_on(handle.signal(Order::finish, ())).unwrap();
    browser.wait_for("the completed status", || {
        (browser.eval(&timeline_has("WorkflowExecutionCompleted")) == Value::Bool(true)).then_some(())
    });
    let status = browser.find("#live h1 .status");
    assert_eq!(browser.text(&status), "Completed");
    let ids = event_ids();
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert_eq!(
        browser.eval("return document.querySelector(\"form.action[data-action*='/actions/signal']\") === null;"),
        Value::Bool(true),
        "a closed run offers no signal"
    );
    browser.screenshot(&shots.join("run-completed.png"));
}

/// The CSRF secret in a page's HTML.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf-token\" content=\"")
        .expect("a page carries its CSRF token")
        + 27;
    page[start..start + 32].to_owned()
}

#[test]
fn a_non_loopback_address_needs_the_token_and_every_action_the_csrf_token() {
    let shop = Shop::open();
    let _worker = shop.worker();
    shop.start("order-1", "c-1");
    let (url, addr) = shop.serve("0.0.0.0:0", None);
    let token = url
        .split("?token=")
        .nth(1)
        .expect("the URL carries a generated token")
        .to_owned();
    assert_eq!(token.len(), 32, "{url}");
    let local: SocketAddr = format!("127.0.0.1:{}", addr.port()).parse().unwrap();
    let get = |path: &str, headers: &[(&str, &str)]| request(local, "GET", path, headers, "");

    assert_eq!(get("/", &[]).status, 401);
    assert_eq!(get("/runs/order-1", &[]).status, 401);
    assert_eq!(get("/?token=0123456789abcdef0123456789abcdef", &[]).status, 401);
    let shown = get(&format!("/runs/order-1?token={token}"), &[]);
    assert_eq!(shown.status, 303);
    assert_eq!(
        shown.header("location"),
        Some("/runs/order-1"),
        "the token leaves the URL"
    );
    let cookie = shown
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(shown.header("set-cookie").unwrap().contains("HttpOnly"));
    let page = get("/runs/order-1", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    let csrf = csrf_of(&page.body);

    let signal = |headers: &[(&str, &str)]| {
        let body = r#"{"name":"note","args":"\"hello\""}"#;
        request(local, "POST", "/runs/order-1/actions/signal", headers, body)
    };
    let json = ("Content-Type", "application/json");
    assert_eq!(signal(&[json]).status, 401, "no token");
    assert_eq!(signal(&[json, ("Cookie", &cookie)]).status, 403, "no CSRF token");
    let wrong = signal(&[
        json,
        ("Cookie", &cookie),
        ("X-CSRF-Token", "0123456789abcdef0123456789abcdef"),
    ]);
    assert_eq!(wrong.status, 403, "a wrong CSRF token");
    let sent = signal(&[json, ("Cookie", &cookie), ("X-CSRF-Token", &csrf)]);
    assert_eq!(sent.status, 200, "{}", sent.body);
    let outcome: Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(outcome["ok"], Value::Bool(true), "{outcome}");
    let handle = shop.engine.client().get_workflow_handle_for(Order::run, "order-1");
    let notes = shop.runtime.block_on(handle.query(Order::notes, ())).unwrap();
    assert_eq!(
        notes,
        vec!["hello".to_owned()],
        "only the request with both tokens arrived"
    );
}

#[test]
fn a_loopback_ui_answers_loopback_host_names_only() {
    let shop = Shop::open();
    let (url, addr) = shop.serve("127.0.0.1:0", None);
    assert!(!url.contains("token"), "{url}");
    assert_eq!(request(addr, "GET", "/", &[], "").status, 200);
    let rebound = request(addr, "GET", "/", &[("Host", "attacker.example")], "");
    assert_eq!(rebound.status, 403, "a page of another site resolved to loopback");
    let missing = request(addr, "GET", "/runs/nobody", &[], "");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("workflow `nobody` not found"), "{}", missing.body);
    let bad_query = request(addr, "GET", "/?q=WorkflowType%20%3D%20", &[], "");
    assert!(
        bad_query.body.contains("error: invalid visibility query:"),
        "{}",
        bad_query.body
    );
    let given = Token::new("a-token-given-by-hand").unwrap();
    let (url, _) = shop.serve("127.0.0.1:0", Some(given));
    assert!(url.ends_with("?token=a-token-given-by-hand"), "{url}");
}

#[test]
fn a_run_page_shows_what_the_run_waits_on_and_how_it_relates_to_other_runs() {
    let shop = Shop::open();
    let _worker = shop.worker();
    let client = shop.engine.client();
    let options = StartOptions::new("fulfil-7").task_queue("orders");
    shop.runtime
        .block_on(client.start_workflow(Fulfilment::run, 0, options))
        .unwrap();
    let options = StartOptions::new("broken-1").task_queue("orders");
    shop.runtime
        .block_on(client.start_workflow(Broken::run, (), options))
        .unwrap();
    shop.schedule_restock();
    // Wait until the payment has failed twice.
    let latest = client.get_workflow_handle("fulfil-7");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let first_run = loop {
        assert!(std::time::Instant::now() < deadline, "the payment never failed twice");
        let d = shop.runtime.block_on(latest.describe()).unwrap();
        if d.pending_activities.iter().any(|a: &PendingActivity| a.attempt >= 2) {
            let history = shop.runtime.block_on(latest.fetch_history()).unwrap();
            break history
                .events
                .iter()
                .find_map(|e| match &e.kind {
                    workflow::EventKind::WorkflowExecutionStarted {
                        continued_from_run_id, ..
                    } => continued_from_run_id.clone(),
                    _ => None,
                })
                .expect("the second run names the first");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (url, addr) = shop.serve("127.0.0.1:0", None);
    let page = |path: &str| {
        let response = request(addr, "GET", path, &[], "");
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        response.body
    };

    let run = page("/runs/fulfil-7");
    for expected in [
        "Pending activities",
        "<td>charge</td>",
        "card declined for 25 EUR",
        "Pending timers",
        "Child workflows",
        "href=\"/runs/fulfil-7-items?run=",
        &format!("Continued from</dt><dd><a class=\"mono\" href=\"/runs/fulfil-7?run={first_run}\""),
        "Runs of this workflow id",
        "ActivityTaskScheduled",
        "StartChildWorkflowExecutionInitiated",
    ] {
        assert!(run.contains(expected), "the run page lacks {expected}:\n{run}");
    }
    // The live refresh asks for the events after the last it shows.
    let tail = page("/runs/fulfil-7?after=5");
    assert!(!tail.contains("<td>WorkflowExecutionStarted</td>"), "{tail}");
    assert!(tail.contains("<td>ActivityTaskScheduled</td>"), "{tail}");
    let first = page(&format!("/runs/fulfil-7?run={first_run}"));
    assert!(first.contains("Continued as</dt>"), "{first}");
    assert!(first.contains("WorkflowExecutionContinuedAsNew"), "{first}");
    let child = page("/runs/fulfil-7-items");
    assert!(
        child.contains("Parent</dt><dd><a href=\"/runs/fulfil-7?run="),
        "{child}"
    );
    let broken = page("/runs/broken-1");
    assert!(broken.contains("Workflow task failing: "), "{broken}");
    assert!(broken.contains("the stock table is missing"), "{broken}");
    let schedules = page("/schedules");
    assert!(schedules.contains("href=\"/schedules/restock\""), "{schedules}");
    let schedule = page("/schedules/restock");
    assert!(schedule.contains("every 1h"), "{schedule}");
    assert!(schedule.contains("Order on orders"), "{schedule}");

    // The page as a browser shows it, for the README.
    let Some((driver, chromium)) = browser_programs() else {
        return;
    };
    let browser = Browser::start(&driver, &chromium);
    browser.resize(1280, 1500);
    browser.go(&format!("{url}runs/fulfil-7"));
    browser.wait_for("the stack trace", || {
        let text = browser.text_at("#stack")?;
        text.starts_with("run:").then_some(text)
    });
    browser.screenshot(&screenshot_dir().join("run-waiting.png"));
    browser.go(&format!("{url}runs/broken-1"));
    browser.find("#task-failure");
    browser.screenshot(&screenshot_dir().join("run-task-failing.png"));
    // Pausing the schedule from its page: the page shows it paused, and
    // what the pause answered.
    browser.go(&format!("{url}schedules/restock"));
    let pause = "form.action[data-action$='/actions/pause']";
    browser.type_into(&browser.find(&format!("{pause} input[name=note]")), "stocktaking");
    browser.click(&browser.find(&format!("{pause} button")));
    browser.wait_for("the paused page", || {
        (browser.text_at("p.notice")? == "schedule `restock` paused").then_some(())
    });
    browser.find("form.action[data-action$='/actions/unpause']");
    let page = browser.eval("return document.querySelector('main').textContent;");
    assert!(page.as_str().unwrap().contains("stocktaking"), "{page}");
    assert!(
        shop.runtime
            .block_on(client.get_schedule_handle("restock").describe())
            .unwrap()
            .paused
    );
    browser.screenshot(&screenshot_dir().join("schedule.png"));
}

#[test]
fn nested_under_a_prefix_its_links_cookie_and_token_redirect_stay_inside_it() {
    let shop = Shop::open();
    let _worker = shop.worker();
    shop.start("order-1", "c-1");
    let token = Token::new("a-token-given-by-hand").unwrap();
    let ui = router(StoreFile::open(&shop.path).unwrap(), Access::token(token));
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest("/ops/workflows", ui);
    let addr = shop.serve_app(app);

    let shown = request(
        addr,
        "GET",
        "/ops/workflows/runs/order-1?run=r-1&token=a-token-given-by-hand",
        &[],
        "",
    );
    assert_eq!(shown.status, 303);
    assert_eq!(
        shown.header("location"),
        Some("/ops/workflows/runs/order-1?run=r-1"),
        "the token leaves the URL, the run stays"
    );
    let set = shown.header("set-cookie").unwrap();
    assert!(set.contains("; Path=/ops/workflows;"), "{set}");
    let cookie = set.split(';').next().unwrap();
    let home = request(addr, "GET", "/ops/workflows?token=a-token-given-by-hand", &[], "");
    assert_eq!(home.header("location"), Some("/ops/workflows"));

    let runs = request(addr, "GET", "/ops/workflows", &[("Cookie", cookie)], "");
    assert_eq!(runs.status, 200, "{}", runs.body);
    for link in [
        "href=\"/ops/workflows/runs/order-1?run=",
        "action=\"/ops/workflows\"",
        "href=\"/ops/workflows/schedules\"",
        "src=\"/ops/workflows/assets/ui.js\"",
    ] {
        assert!(runs.body.contains(link), "no {link} in {}", runs.body);
    }
    let filtered = request(addr, "GET", "/ops/workflows?status=Running", &[("Cookie", cookie)], "");
    assert!(filtered.body.contains("1 run matches"), "{}", filtered.body);
    let script = request(addr, "GET", "/ops/workflows/assets/ui.js", &[("Cookie", cookie)], "");
    assert_eq!(script.status, 200);
    assert_eq!(request(addr, "GET", "/health", &[], "").body, "ok");
}

#[test]
fn the_token_redirect_never_leaves_the_site_and_loopback_needs_the_peers_address() {
    let shop = Shop::open();
    let given = Token::new("a-token-given-by-hand").unwrap();
    let (_, addr) = shop.serve("127.0.0.1:0", Some(given));
    let shown = request(addr, "GET", "//evil.example/?token=a-token-given-by-hand", &[], "");
    assert_eq!(shown.status, 303);
    let location = shown.header("location").unwrap();
    assert!(location.starts_with('/') && !location.starts_with("//"), "{location}");

    // A loopback-only router served without the peer's address refuses
    // every request: a Host header alone proves nothing.
    let app = router(StoreFile::open(&shop.path).unwrap(), Access::loopback());
    let addr = shop.serve_app(app);
    let refused = request(addr, "GET", "/", &[], "");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("serves this machine only"), "{}", refused.body);
}

/// Sends action `action` on `workflow_id` with JSON `body` and the page's
/// CSRF secret; answers the status and the outcome's message.
fn act(addr: SocketAddr, csrf: &str, workflow_id: &str, action: &str, body: Value) -> (u16, String) {
    post_action(addr, csrf, &format!("/runs/{workflow_id}/actions/{action}"), body)
}

/// Sends the action at `path` with JSON `body` and the page's CSRF secret;
/// answers the status and the outcome's message.
fn post_action(addr: SocketAddr, csrf: &str, path: &str, body: Value) -> (u16, String) {
    let headers = [("Content-Type", "application/json"), ("X-CSRF-Token", csrf)];
    let response = request(addr, "POST", path, &headers, &body.to_string());
    let outcome: Value = serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("{}", response.body));
    assert_eq!(outcome["ok"], Value::Bool(response.status == 200), "{outcome}");
    (response.status, outcome["message"].as_str().unwrap().to_owned())
}

#[test]
fn every_action_reaches_the_run_and_answers_in_the_command_lines_words() {
    let shop = Shop::open();
    let _worker = shop.worker();
    for id in ["order-1", "order-2", "order-3"] {
        shop.start(id, "c-1");
    }
    let (_, addr) = shop.serve("127.0.0.1:0", None);
    let csrf = csrf_of(&request(addr, "GET", "/runs/order-1", &[], "").body);
    let client = shop.engine.client();

    let (status, message) = act(addr, &csrf, "order-1", "signal", serde_json::json!({"name": "nope"}));
    assert_eq!(status, 200);
    assert_eq!(
        message,
        "signal `nope` delivered to `order-1`\nwarning: workflow `Order` has no handler for signal `nope`; it \
         stays in its history, listed by `describe` as unhandled"
    );
    let page = request(addr, "GET", "/runs/order-1", &[], "").body;
    assert!(page.contains("Signals with no handler: nope"), "{page}");

    let add = serde_json::json!({"name": "add_note", "args": "\"fragile\""});
    assert_eq!(act(addr, &csrf, "order-1", "update", add), (200, "1".to_owned()));
    let (status, message) = act(addr, &csrf, "order-1", "update", serde_json::json!({"name": "zzz"}));
    assert_eq!(status, 422);
    assert_eq!(
        message,
        "error: workflow `Order` has no update `zzz` (known updates: add_note)"
    );
    let (status, message) = act(
        addr,
        &csrf,
        "order-1",
        "query",
        serde_json::json!({"name": "notes", "args": "[1,"}),
    );
    assert_eq!(status, 400);
    assert!(message.starts_with("error: argument 1 is not JSON"), "{message}");
    let (status, message) = act(addr, &csrf, "order-1", "query", serde_json::json!({"args": "1"}));
    assert_eq!((status, message.as_str()), (400, "error: give the handler's name"));
    let (status, message) = act(addr, &csrf, "order-1", "explode", serde_json::json!({}));
    assert_eq!((status, message.as_str()), (404, "error: no action `explode` here"));
    let (status, message) = act(addr, &csrf, "ghost", "signal", serde_json::json!({"name": "note"}));
    assert_eq!((status, message.as_str()), (404, "error: workflow `ghost` not found"));

    let (status, message) = act(addr, &csrf, "order-2", "cancel", serde_json::json!({}));
    assert_eq!(
        (status, message.as_str()),
        (200, "cancellation request delivered to `order-2`")
    );
    let canceled = client.get_workflow_handle_for(Order::run, "order-2");
    let ended = shop
        .runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), canceled.result()).await })
        .expect("the canceled order ends");
    assert!(ended.is_err(), "a canceled order has no result");

    let reason = serde_json::json!({"reason": "the stock is gone"});
    let (status, message) = act(addr, &csrf, "order-3", "terminate", reason);
    assert_eq!((status, message.as_str()), (200, "termination delivered to `order-3`"));
    let terminated = client.get_workflow_handle("order-3");
    let history = shop.runtime.block_on(terminated.fetch_history()).unwrap();
    assert!(
        matches!(
            &history.events.last().unwrap().kind,
            workflow::EventKind::WorkflowExecutionTerminated { reason } if reason == "the stock is gone"
        ),
        "{:?}",
        history.events.last()
    );
    let (status, message) = act(addr, &csrf, "order-3", "signal", serde_json::json!({"name": "note"}));
    assert_eq!(status, 422);
    assert!(
        message.starts_with("error: workflow `order-3` is closed (Terminated)"),
        "{message}"
    );
}

/// The hrefs of the links with class `class` in `page`, unescaped.
fn links(page: &str, class: &str) -> Vec<String> {
    let marker = format!("<a class=\"{class}\" href=\"");
    page.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &page[at + marker.len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn the_runs_page_counts_all_that_match_and_pages_through_them() {
    let shop = Shop::open();
    let _worker = shop.worker();
    let client = shop.engine.client();
    shop.runtime.block_on(async {
        for i in 0..120 {
            let options = StartOptions::new(format!("order-{i:03}")).task_queue("orders");
            client
                .start_workflow(Order::run, "c-1".to_owned(), options)
                .await
                .unwrap();
        }
    });
    let (_, addr) = shop.serve("127.0.0.1:0", None);
    let get = |path: &str| {
        let response = request(addr, "GET", path, &[], "");
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        response.body
    };
    let rows = |page: &str| page.matches("<tr><td><a href=").count();

    let mut page = get("/?status=Running&type=Order");
    let mut seen = Vec::new();
    loop {
        assert!(page.contains("120 runs match"), "{page}");
        seen.push(rows(&page));
        match links(&page, "next").first() {
            Some(next) => page = get(next),
            None => break,
        }
    }
    assert_eq!(seen, vec![50, 50, 20]);
    assert!(page.contains("First page"), "{page}");
    assert!(get("/?status=Completed").contains("0 runs match"));
    let bad = request(addr, "GET", "/?page=zz", &[], "");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("the page token is not one this UI gave"),
        "{}",
        bad.body
    );
}

#[test]
fn an_encrypted_files_payloads_show_by_size_without_its_key_and_in_clear_with_it() {
    let codec = || AesGcmCodec::new("orders-2026", [7; 32]);
    let shop = Shop::with(|engine| engine.with_codec(codec()));
    let _worker = shop.worker();
    shop.start("order-1", "c-secret");
    let (_, sealed) = shop.serve("127.0.0.1:0", None);
    let page = request(sealed, "GET", "/runs/order-1", &[], "").body;
    assert!(!page.contains("c-secret"), "{page}");
    assert!(
        page.contains("&lt;binary/encrypted payload, key `orders-2026`,"),
        "{page}"
    );

    let file = StoreFile::open(&shop.path).unwrap().with_codec(codec());
    let opened = shop.serve_app(router(
        file,
        Access::token(Token::new("a-token-given-by-hand").unwrap()),
    ));
    let shown = request(opened, "GET", "/runs/order-1?token=a-token-given-by-hand", &[], "");
    let cookie = shown
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = request(opened, "GET", "/runs/order-1", &[("Cookie", &cookie)], "").body;
    assert!(page.contains("c-secret"), "{page}");
}

#[test]
fn a_schedule_is_paused_triggered_unpaused_and_deleted_from_its_page() {
    let shop = Shop::open();
    let _worker = shop.worker();
    let client = shop.engine.client();
    shop.schedule_restock();
    let (_, addr) = shop.serve("127.0.0.1:0", None);
    let page = request(addr, "GET", "/schedules/restock", &[], "").body;
    assert!(
        page.contains("data-action=\"/schedules/restock/actions/pause\""),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let schedule =
        |action: &str, body: Value| post_action(addr, &csrf, &format!("/schedules/restock/actions/{action}"), body);
    let describe = || {
        shop.runtime
            .block_on(client.get_schedule_handle("restock").describe())
            .unwrap()
    };

    let note = serde_json::json!({"note": "stocktaking"});
    assert_eq!(schedule("pause", note), (200, "schedule `restock` paused".to_owned()));
    assert!(describe().paused);
    let page = request(addr, "GET", "/schedules/restock", &[], "").body;
    assert!(
        page.contains("stocktaking") && page.contains("/actions/unpause"),
        "{page}"
    );

    let triggered = schedule("trigger", serde_json::json!({}));
    assert_eq!(triggered, (200, "schedule `restock` triggered".to_owned()));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while describe().info.num_actions < 1 {
        assert!(std::time::Instant::now() < deadline, "the trigger started nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        describe().info.recent_actions.last().unwrap().manual,
        "the start was the trigger's"
    );
    assert_eq!(schedule("unpause", serde_json::json!({})).0, 200);
    assert!(!describe().paused);

    assert_eq!(
        schedule("delete", serde_json::json!({})),
        (200, "schedule `restock` deleted".to_owned())
    );
    let gone = request(addr, "GET", "/schedules/restock", &[], "");
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains("schedule `restock` not found"), "{}", gone.body);
    let (status, message) = schedule("trigger", serde_json::json!({}));
    assert_eq!((status, message.as_str()), (404, "error: schedule `restock` not found"));
    let (status, message) = schedule("explode", serde_json::json!({}));
    assert_eq!((status, message.as_str()), (404, "error: no action `explode` here"));
}
