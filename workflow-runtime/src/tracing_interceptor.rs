//! OpenTelemetry trace propagation: a client call's span is the parent of
//! the workflow handler's, which is the parent of the activity's, with the
//! trace context carried in headers, as Temporal's Python SDK carries it.

use std::collections::HashMap;
use std::sync::Arc;

use opentelemetry::context::FutureExt as _;
use opentelemetry::global::BoxedTracer;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use workflow_client::{BoxFuture, ClientError, ClientInterceptor, Headers, OutboundCall, Payload};

use crate::activity_context::ActivityInfo;
use crate::interceptor::{
    ActivityAttempt, InboundCall, InboundKind, OutboundCommand, OutboundKind, WorkerInterceptor, WorkflowInterceptor,
};
use crate::protocol::WorkflowInfo;

/// The header that carries the trace context: the Python SDK's
/// `TracingInterceptor` reads and writes the same.
pub const TRACE_HEADER: &str = "_tracer-data";

/// The name spans' tracer goes by.
const TRACER_NAME: &str = "workflow";

/// Traces calls, handlers and activities with OpenTelemetry, and carries the
/// trace context between them in the [`TRACE_HEADER`] header. Install the
/// same interceptor on the client and on the workers:
///
/// * a client's start, signal, query and update get a client span
///   (`StartWorkflow:Order`, `SignalWorkflow:approve`...), a child of the
///   caller's current context;
/// * a run's handlers get a span each (`RunWorkflow:Order`,
///   `HandleSignal:approve`, `HandleQuery:status`, `ValidateUpdate:add`,
///   `HandleUpdate:add`), a child of the call that brought them. Workflow
///   spans end as they start (a run may last months, and replaying it must
///   not trace it again), and a replayed handler has none;
/// * what a run sends out gets a span (`StartActivity:charge`,
///   `StartChildWorkflow:Shipment`, `SignalExternalWorkflow:restock`,
///   `ContinueAsNew:Order`), a
///   child of `RunWorkflow`. History does not keep the `RunWorkflow` span,
///   so a run replayed into memory (after its worker evicted it, or in
///   another process) hangs these from the call that started it instead;
/// * an activity attempt runs inside its `RunActivity:charge` span, which is
///   the current context of the activity's code.
///
/// ```no_run
/// # async fn demo(engine: workflow_runtime::Engine) -> Result<(), workflow_runtime::WorkerError> {
/// use workflow_runtime::TracingInterceptor;
///
/// // After installing the global tracer provider.
/// let tracing = TracingInterceptor::new();
/// let client = engine.client().with_interceptor(tracing.clone());
/// let worker = engine.worker("orders").interceptor(tracing).start()?;
/// # let _ = (client, worker); Ok(()) }
/// ```
#[derive(Clone)]
pub struct TracingInterceptor {
    /// What makes its spans.
    tracer: Arc<BoxedTracer>,
    /// Writes and reads the trace context (W3C `traceparent`).
    propagator: Arc<TraceContextPropagator>,
}

impl Default for TracingInterceptor {
    fn default() -> Self {
        TracingInterceptor::new()
    }
}

impl std::fmt::Debug for TracingInterceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TracingInterceptor")
    }
}

impl TracingInterceptor {
    /// Spans from the global tracer provider, as installed when this is
    /// called.
    pub fn new() -> Self {
        TracingInterceptor::with_tracer(opentelemetry::global::tracer(TRACER_NAME))
    }

    /// Spans from `provider`.
    pub fn with_tracer_provider<P>(provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as opentelemetry::trace::Tracer>::Span: Send + Sync + 'static,
    {
        TracingInterceptor::with_tracer(BoxedTracer::new(Box::new(provider.tracer(TRACER_NAME))))
    }

    fn with_tracer(tracer: BoxedTracer) -> Self {
        TracingInterceptor {
            tracer: Arc::new(tracer),
            propagator: Arc::new(TraceContextPropagator::new()),
        }
    }

    /// Writes `cx` into `headers`.
    fn inject(&self, cx: &Context, headers: &mut Headers) {
        let mut carrier = HashMap::new();
        self.propagator.inject_context(cx, &mut carrier);
        if carrier.is_empty() {
            return;
        }
        if let Ok(payload) = Payload::encode(&carrier) {
            headers.insert(TRACE_HEADER, payload);
        }
    }

    /// The context `headers` carry; the empty context when they carry none.
    fn extract(&self, headers: &Headers) -> Context {
        let carrier = headers
            .get(TRACE_HEADER)
            .and_then(|p| p.decode::<HashMap<String, String>>().ok())
            .unwrap_or_default();
        self.propagator.extract_with_context(&Context::new(), &carrier)
    }

    /// A span named `name` under `parent`, as a context.
    fn start(&self, name: String, kind: SpanKind, parent: &Context, attributes: Vec<KeyValue>) -> Context {
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes)
            .start_with_context(&*self.tracer, parent);
        parent.with_span(span)
    }

    /// A span that ends as it starts, as a context its children can hang from.
    fn mark(&self, name: String, kind: SpanKind, parent: &Context, attributes: Vec<KeyValue>) -> Context {
        let cx = self.start(name, kind, parent, attributes);
        cx.span().end();
        cx
    }
}

/// The attributes naming a run, as the Python SDK's spans have them.
fn run_attributes(workflow_id: &str, run_id: &str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("temporalWorkflowID", workflow_id.to_owned()),
        KeyValue::new("temporalRunID", run_id.to_owned()),
    ]
}

impl ClientInterceptor for TracingInterceptor {
    fn intercept<T: Send + 'static>(&self, mut call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
        if call.headers().is_none() {
            return call.send();
        }
        let name = format!("{}:{}", call.kind().name(), call.name().unwrap_or_default());
        let attributes = call
            .workflow_id()
            .map(|id| vec![KeyValue::new("temporalWorkflowID", id.to_owned())])
            .unwrap_or_default();
        let cx = self.start(name, SpanKind::Client, &Context::current(), attributes);
        if let Some(headers) = call.headers_mut() {
            self.inject(&cx, headers);
        }
        let answer = call.send();
        Box::pin(async move {
            let answer = answer.await;
            if let Err(e) = &answer {
                cx.span().set_status(Status::error(e.to_string()));
            }
            cx.span().end();
            answer
        })
    }
}

impl WorkerInterceptor for TracingInterceptor {
    fn workflow(&self, info: &WorkflowInfo) -> Option<Box<dyn WorkflowInterceptor>> {
        Some(Box::new(RunTracing {
            tracing: self.clone(),
            attributes: run_attributes(&info.workflow_id, &info.run_id),
            run: Context::new(),
        }))
    }

    fn activity(&self, info: &ActivityInfo, attempt: ActivityAttempt) -> ActivityAttempt {
        let mut attributes = run_attributes(&info.workflow_id, &info.run_id);
        attributes.push(KeyValue::new("temporalActivityAttempt", i64::from(info.attempt)));
        let parent = self.extract(&info.headers);
        let cx = self.start(
            format!("RunActivity:{}", info.activity_type),
            SpanKind::Server,
            &parent,
            attributes,
        );
        Box::pin(async move {
            let outcome = attempt.with_context(cx.clone()).await;
            if let Err(e) = &outcome {
                cx.span().set_status(Status::error(e.message().to_owned()));
            }
            cx.span().end();
            outcome
        })
    }
}

/// The tracing of one run.
struct RunTracing {
    tracing: TracingInterceptor,
    /// Its ids, on every span.
    attributes: Vec<KeyValue>,
    /// The context of its `RunWorkflow` span; while replaying, that of the
    /// call that started it.
    run: Context,
}

impl WorkflowInterceptor for RunTracing {
    fn inbound(&mut self, call: &InboundCall<'_>) {
        let parent = self.tracing.extract(call.headers);
        let verb = match call.kind {
            InboundKind::Run => "RunWorkflow",
            InboundKind::Signal => "HandleSignal",
            InboundKind::Query => "HandleQuery",
            InboundKind::UpdateValidator => "ValidateUpdate",
            InboundKind::Update => "HandleUpdate",
        };
        let cx = match call.replaying {
            true => parent,
            false => self.tracing.mark(
                format!("{verb}:{}", call.name),
                SpanKind::Server,
                &parent,
                self.attributes.clone(),
            ),
        };
        if call.kind == InboundKind::Run {
            self.run = cx;
        }
    }

    fn outbound(&mut self, call: &mut OutboundCommand<'_>) {
        if call.replaying {
            return;
        }
        let verb = match call.kind {
            OutboundKind::Activity | OutboundKind::LocalActivity => "StartActivity",
            OutboundKind::ChildWorkflow => "StartChildWorkflow",
            OutboundKind::SignalExternal => "SignalExternalWorkflow",
            OutboundKind::ContinueAsNew => "ContinueAsNew",
        };
        let cx = self.tracing.mark(
            format!("{verb}:{}", call.name),
            SpanKind::Client,
            &self.run,
            self.attributes.clone(),
        );
        self.tracing.inject(&cx, call.headers);
    }
}
