//! Trace propagation: the OpenTelemetry context of a client call reaches the
//! workflow's handler spans and the activity's, over headers.

use std::time::Duration;

use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanId, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use workflow::interceptor::TracingInterceptor;
use workflow::{ActivityOptions, ApplicationError, StartOptions, WorkflowContext, WorkflowResult};

use crate::support::{matrix, Env};

/// The trace and span the activity's code runs in, as `trace/span`.
#[workflow::activity]
pub async fn current_span() -> Result<String, ApplicationError> {
    let cx = Context::current();
    let span = cx.span();
    let span = span.span_context();
    Ok(format!("{}/{}", span.trace_id(), span.span_id()))
}

/// Waits for `go`, then calls the activity.
#[derive(Default)]
pub struct Traced {
    go: bool,
}

#[workflow::defn]
impl Traced {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        ctx.wait_condition(|s| s.go).await?;
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        ctx.execute_activity(current_span, (), options).await
    }

    #[workflow::signal]
    fn go(&mut self) {
        self.go = true;
    }
}

/// The one finished span called `name`.
fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let named: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    let names: Vec<_> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(named.len(), 1, "one `{name}` span among {names:?}");
    named[0]
}

fn id(span: &SpanData) -> SpanId {
    span.span_context.span_id()
}

matrix! {
    async fn trace_context_flows_from_the_client_through_the_workflow_to_the_activity(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        let tracing = TracingInterceptor::with_tracer_provider(&provider);
        let client = env.client.clone().with_interceptor(tracing.clone());
        let _worker = env
            .engine
            .worker(env.tq("traced"))
            .workflow::<Traced>()
            .activity(current_span)
            .interceptor(tracing)
            .start()
            .unwrap();

        let root = provider.tracer("test").start("checkout");
        let root = Context::current_with_span(root);
        let trace_id = root.span().span_context().trace_id();
        let root_id = root.span().span_context().span_id();
        let options = StartOptions::new(env.id("traced")).task_queue(env.tq("traced"));
        let inside = async {
            let handle = client.start_workflow(Traced::run, (), options).await.unwrap();
            handle.signal(Traced::go, ()).await.unwrap();
            handle.result().await.unwrap()
        };
        let seen_by_activity = inside.with_context(root.clone()).await;
        root.span().end();
        provider.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();

        for span in &spans {
            assert_eq!(span.span_context.trace_id(), trace_id, "`{}` is in the caller's trace", span.name);
        }
        let start = span(&spans, "StartWorkflow:Traced");
        assert_eq!(start.parent_span_id, root_id);
        let run = span(&spans, "RunWorkflow:Traced");
        assert_eq!(run.parent_span_id, id(start));
        let signal = span(&spans, "SignalWorkflow:go");
        assert_eq!(signal.parent_span_id, root_id);
        assert_eq!(span(&spans, "HandleSignal:go").parent_span_id, id(signal));
        let scheduled = span(&spans, "StartActivity:current_span");
        // A run replayed into memory (every task, on this flavor) has no
        // `RunWorkflow` span of its own: history does not keep it, so what
        // it sends out hangs from the call that started it.
        let sender = match flavor {
            crate::support::Flavor::Replay => start,
            _ => run,
        };
        assert_eq!(scheduled.parent_span_id, id(sender));
        let attempt = span(&spans, "RunActivity:current_span");
        assert_eq!(attempt.parent_span_id, id(scheduled));
        // The activity's code runs with its span as the current context.
        assert_eq!(seen_by_activity, format!("{trace_id}/{}", id(attempt)));
    }
}
