//! Client and worker interceptors, and the headers they carry through
//! history: from a client call into the run's handlers, and from the run to
//! its activities, its children and the workflows it signals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow::interceptor::{
    ActivityAttempt, BoxFuture, ClientInterceptor, InboundCall, OutboundCall, OutboundCommand, WorkerInterceptor,
    WorkflowInterceptor,
};
use workflow::{
    ActivityContext, ActivityInfo, ActivityOptions, ApplicationError, ChildWorkflowOptions, ClientError, EventKind,
    Headers, Payload, StartOptions, WorkflowContext, WorkflowInfo, WorkflowResult,
};

use crate::run_options::{quick_retries, Flaky};
use crate::support::{matrix, Env};

const TENANT: &str = "tenant";

/// What the interceptors saw, one line per call.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    /// The lines so far, sorted: runs on different workers interleave.
    fn sorted(&self) -> Vec<String> {
        let mut lines = self.0.lock().unwrap().clone();
        lines.sort();
        lines
    }
}

/// The tenant a set of headers names.
fn tenant(headers: &Headers) -> String {
    headers
        .get(TENANT)
        .map_or_else(|| "none".to_owned(), |p| p.decode::<String>().unwrap())
}

/// Puts the tenant on every call that carries headers.
struct ClientTenant(Seen);

impl ClientInterceptor for ClientTenant {
    fn intercept<T: Send + 'static>(&self, mut call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
        if let Some(headers) = call.headers_mut() {
            headers.insert(TENANT, Payload::encode("acme").unwrap());
            self.0.push(format!("client {}", call.kind().name()));
        }
        call.send()
    }
}

/// Notes each handler and activity with its tenant, and passes the run's
/// tenant on to whatever the run sends out.
struct WorkerTenant(Seen);

struct RunTenant {
    seen: Seen,
    /// The tenant the run was started for.
    tenant: Option<Payload>,
}

impl WorkflowInterceptor for RunTenant {
    fn inbound(&mut self, call: &InboundCall<'_>) {
        if call.kind == workflow::interceptor::InboundKind::Run {
            self.tenant = call.headers.get(TENANT).cloned();
        }
        if !call.replaying {
            self.seen
                .push(format!("{:?} {} for {}", call.kind, call.name, tenant(call.headers)));
        }
    }

    fn outbound(&mut self, call: &mut OutboundCommand<'_>) {
        if let Some(tenant) = &self.tenant {
            call.headers.insert(TENANT, tenant.clone());
        }
    }
}

impl WorkerInterceptor for WorkerTenant {
    fn workflow(&self, _info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
        Some(Box::new(RunTenant {
            seen: self.0.clone(),
            tenant: None,
        }))
    }

    fn activity(&self, info: &ActivityInfo, attempt: ActivityAttempt) -> ActivityAttempt {
        self.0
            .push(format!("Activity {} for {}", info.activity_type, tenant(&info.headers)));
        attempt
    }
}

#[workflow::activity]
pub async fn tenant_of_call(ctx: ActivityContext) -> Result<String, ApplicationError> {
    Ok(tenant(&ctx.info().headers))
}

/// Waits for `go`, calls an activity, starts a child and signals it.
#[derive(Default)]
pub struct Relay {
    go: bool,
    bumps: u32,
}

#[workflow::defn]
impl Relay {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.go).await?;
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let activity_tenant = ctx.execute_activity(tenant_of_call, (), options).await?;
        let id = format!("{}-child", ctx.info().workflow_id);
        let child = ctx
            .start_child_workflow(RelayChild::run, (), ChildWorkflowOptions::new(id))
            .await?;
        child.signal(RelayChild::release, ()).await?;
        let child_tenant = child.result().await?;
        Ok(format!("{activity_tenant} {child_tenant}"))
    }

    #[workflow::signal]
    fn go(&mut self) {
        self.go = true;
    }

    #[workflow::query]
    fn bumps(&self) -> u32 {
        self.bumps
    }

    #[workflow::update]
    fn bump(&mut self) -> u32 {
        self.bumps += 1;
        self.bumps
    }

    #[workflow::validator(bump)]
    fn check_bump(&self) -> Result<(), ApplicationError> {
        Ok(())
    }
}

/// Waits to be released.
#[derive(Default)]
pub struct RelayChild {
    released: bool,
}

#[workflow::defn]
impl RelayChild {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.released).await?;
        Ok("released".to_owned())
    }

    #[workflow::signal]
    fn release(&mut self) {
        self.released = true;
    }
}

/// The tenant header of the first event of `kind`'s name in a history.
fn recorded_tenant(history: &workflow::History, name: &str) -> String {
    let event = history.events.iter().find(|e| e.kind.name() == name);
    let header = event
        .and_then(|e| e.kind.header())
        .unwrap_or_else(|| panic!("no {name} with headers"));
    tenant(header)
}

matrix! {
    async fn headers_travel_from_the_client_through_the_run_to_what_it_calls(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let seen = Seen::default();
        let client = env.client.clone().with_interceptor(ClientTenant(seen.clone()));
        let _worker = env
            .engine
            .worker(env.tq("relay"))
            .workflow::<Relay>()
            .workflow::<RelayChild>()
            .activity(tenant_of_call)
            .interceptor(WorkerTenant(seen.clone()))
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("relay")).task_queue(env.tq("relay"));
        let handle = client.start_workflow(Relay::run, (), options).await.unwrap();
        assert_eq!(handle.execute_update(Relay::bump, ()).await.unwrap(), 1);
        assert_eq!(handle.query(Relay::bumps, ()).await.unwrap(), 1);
        handle.signal(Relay::go, ()).await.unwrap();
        // The activity saw the tenant the run was started for.
        assert_eq!(handle.result().await.unwrap(), "acme released");

        assert_eq!(
            seen.sorted(),
            [
                "Activity tenant_of_call for acme",
                "Query bumps for acme",
                "Run Relay for acme",
                "Run RelayChild for acme",
                "Signal go for acme",
                "Signal release for acme",
                "Update bump for acme",
                "UpdateValidator bump for acme",
                "client QueryWorkflow",
                "client SignalWorkflow",
                "client StartWorkflow",
                "client StartWorkflowUpdate",
            ]
        );

        // History keeps the headers, so a replay elsewhere sees the same.
        let history = handle.fetch_history().await.unwrap();
        for event in ["WorkflowExecutionStarted", "WorkflowExecutionSignaled", "WorkflowExecutionUpdateAccepted",
            "ActivityTaskScheduled", "StartChildWorkflowExecutionInitiated", "SignalExternalWorkflowExecutionInitiated"]
        {
            assert_eq!(recorded_tenant(&history, event), "acme", "{event}");
        }
        let child = env.client.get_workflow_handle(format!("{}-child", env.id("relay")));
        let history = child.fetch_history().await.unwrap();
        assert_eq!(recorded_tenant(&history, "WorkflowExecutionStarted"), "acme");
        assert_eq!(recorded_tenant(&history, "WorkflowExecutionSignaled"), "acme");
        assert!(matches!(history.events[0].kind, EventKind::WorkflowExecutionStarted { .. }));
    }
}

matrix! {
    async fn a_client_interceptor_may_refuse_a_call_before_it_leaves(flavor: Flavor) {
        /// Refuses every signal.
        struct NoSignals;

        impl ClientInterceptor for NoSignals {
            fn intercept<T: Send + 'static>(&self, call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
                match call.kind() {
                    workflow::interceptor::CallKind::SignalWorkflow => Box::pin(async {
                        Err(ClientError::InvalidOptions { message: "signals are off".to_owned() })
                    }),
                    _ => call.send(),
                }
            }
        }

        let env = Env::new(flavor).await;
        let client = env.client.clone().with_interceptor(NoSignals);
        let _worker = env.engine.worker(env.tq("relay")).workflow::<RelayChild>().start().unwrap();
        let options = StartOptions::new(env.id("refused")).task_queue(env.tq("relay"));
        let handle = client.start_workflow(RelayChild::run, (), options).await.unwrap();
        let refused = handle.signal(RelayChild::release, ()).await.unwrap_err();
        assert_eq!(refused, ClientError::InvalidOptions { message: "signals are off".to_owned() });
        // Nothing reached the run.
        let history = handle.fetch_history().await.unwrap();
        assert!(history.events.iter().all(|e| e.kind.name() != "WorkflowExecutionSignaled"));
        env.client.get_workflow_handle(env.id("refused")).signal_by_name("release", ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "released");
    }
}

matrix! {
    async fn a_retried_run_starts_with_the_first_runs_headers(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let client = env.client.clone().with_interceptor(ClientTenant(Seen::default()));
        let _worker = env.engine.worker(env.tq("retried")).workflow::<Flaky>().start().unwrap();
        let options = StartOptions::new(env.id("retried")).task_queue(env.tq("retried")).retry_policy(quick_retries());
        let handle = client.start_workflow(Flaky::run, 2, options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), 2);
        let history = env.client.get_workflow_handle(env.id("retried")).fetch_history().await.unwrap();
        match &history.events[0].kind {
            EventKind::WorkflowExecutionStarted { attempt, .. } => assert_eq!(*attempt, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(recorded_tenant(&history, "WorkflowExecutionStarted"), "acme");
    }
}

/// Panics when a run takes the signal `release`.
struct Explosive;

struct ExplosiveRun;

impl WorkflowInterceptor for ExplosiveRun {
    fn inbound(&mut self, call: &InboundCall<'_>) {
        if call.name == "release" {
            panic!("no releases today");
        }
    }
}

impl WorkerInterceptor for Explosive {
    fn workflow(&self, _info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
        Some(Box::new(ExplosiveRun))
    }
}

matrix! {
    async fn a_panicking_interceptor_fails_the_task_and_the_worker_carries_on(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("boom")).workflow::<RelayChild>().interceptor(Explosive).start().unwrap();
        let start = |id: &str| {
            let options = StartOptions::new(env.id(id)).task_queue(env.tq("boom"));
            env.client.start_workflow(RelayChild::run, (), options)
        };
        let exploded = start("exploded").await.unwrap();
        exploded.signal(RelayChild::release, ()).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let failure = loop {
            if let Some(failure) = exploded.describe().await.unwrap().task_failure {
                break failure;
            }
            assert!(std::time::Instant::now() < deadline, "the task never failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(failure.contains("worker interceptor panicked: no releases today"), "{failure}");
        // The worker still serves other runs.
        let other = start("other").await.unwrap();
        other.terminate("done").await.unwrap();
        exploded.terminate("done").await.unwrap();
    }
}

/// Adds a header of 2 KiB to every call that carries headers.
struct Bulky;

impl ClientInterceptor for Bulky {
    fn intercept<T: Send + 'static>(&self, mut call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
        if let Some(headers) = call.headers_mut() {
            headers.insert("bulk", Payload::encode(&"x".repeat(2048)).unwrap());
        }
        call.send()
    }
}

matrix! {
    embedded: async fn headers_count_against_the_payload_limit(flavor: Flavor) {
        let limits = workflow::Limits { max_payload_bytes: 1024, ..workflow::Limits::default() };
        let env = Env::with(flavor, workflow::Engine::builder().limits(limits)).await;
        let client = env.client.clone().with_interceptor(Bulky);
        let options = || StartOptions::new(env.id("bulky")).task_queue(env.tq("bulky"));
        let refused = client.start_workflow(RelayChild::run, (), options()).await.unwrap_err();
        assert!(matches!(refused, ClientError::LimitExceeded { limit: workflow::Limit::PayloadSize, .. }), "{refused}");
        let handle = env.client.start_workflow(RelayChild::run, (), options()).await.unwrap();
        let bulky = client.get_workflow_handle_for(RelayChild::run, env.id("bulky"));
        let refused = bulky.signal(RelayChild::release, ()).await.unwrap_err();
        assert!(matches!(refused, ClientError::LimitExceeded { limit: workflow::Limit::PayloadSize, .. }), "{refused}");
        handle.terminate("done").await.unwrap();
    }
}

matrix! {
    async fn a_run_continued_as_new_starts_with_the_headers_its_interceptor_gives(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let seen = Seen::default();
        let client = env.client.clone().with_interceptor(ClientTenant(seen.clone()));
        let _worker = env
            .engine
            .worker(env.tq("looped"))
            .workflow::<crate::workflows::Looper>()
            .interceptor(WorkerTenant(seen.clone()))
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("looped")).task_queue(env.tq("looped"));
        let handle = client.start_workflow(crate::workflows::Looper::run, (0, 2), options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), 3);
        let history = env.client.get_workflow_handle(env.id("looped")).fetch_history().await.unwrap();
        match &history.events[0].kind {
            EventKind::WorkflowExecutionStarted { continued_from_run_id, .. } => assert!(continued_from_run_id.is_some()),
            other => panic!("{other:?}"),
        }
        assert_eq!(recorded_tenant(&history, "WorkflowExecutionStarted"), "acme");
        let runs = seen.sorted().iter().filter(|line| *line == "Run Looper for acme").count();
        assert_eq!(runs, 3, "each run of the chain started for the tenant");
    }
}
