//! Procedural macros of the `workflow` DSL. Use them through the facade:
//! `#[workflow::defn]`, `#[workflow::activity]`, `#[workflow::activities]`
//! and the method attributes inside a `#[workflow::defn]` impl.
//!
//! Each entry point is a shim into a module working on `proc_macro2` types:
//! parse (`attr`, `ast`) -> validate (`check`) -> expand (`expand`).
//! Set `WORKFLOW_MACROS_DEBUG=1` while building to print every expansion.

mod ast;
mod attr;
mod check;
mod determinism;
mod errors;
mod expand;

use proc_macro::TokenStream;

use attr::Kind;

/// Turns an impl block into a workflow definition.
///
/// Options: `name = "..."` (the workflow type's wire name, default the type's
/// name), `dynamic` (the workflow run for unregistered type names),
/// `crate = "path"` (where the `workflow` facade is, for crates re-exporting it).
///
/// ```ignore
/// #[workflow::defn]
/// impl GreetingWorkflow {
///     #[workflow::run]
///     async fn run(ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<String> { .. }
///     #[workflow::signal]
///     fn exit(&mut self) { .. }
/// }
/// ```
#[proc_macro_attribute]
pub fn defn(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::workflow::defn(args.into(), item.into()).into()
}

/// Marks a workflow's run method, inside a `#[workflow::defn]` impl:
/// `async fn run(ctx: &mut WorkflowContext<Self>, args...) -> T`.
#[proc_macro_attribute]
pub fn run(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Run, item.into()).into()
}

/// Marks the method building a workflow's state from the run arguments,
/// inside a `#[workflow::defn]` impl: `fn new(args...) -> Self`.
#[proc_macro_attribute]
pub fn init(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Init, item.into()).into()
}

/// Marks a signal handler, inside a `#[workflow::defn]` impl. Options:
/// `name = "..."`, `dynamic`, `unfinished_policy = "abandon"` (no warning
/// when the run finishes while the handler is still running; the default
/// is `"warn_and_abandon"`).
#[proc_macro_attribute]
pub fn signal(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Signal, item.into()).into()
}

/// Marks a query handler, inside a `#[workflow::defn]` impl. Options:
/// `name = "..."`, `dynamic`.
#[proc_macro_attribute]
pub fn query(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Query, item.into()).into()
}

/// Marks an update handler, inside a `#[workflow::defn]` impl. Options:
/// `name = "..."`, `dynamic`, `unfinished_policy = "abandon"` (as for
/// signals).
#[proc_macro_attribute]
pub fn update(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Update, item.into()).into()
}

/// Marks the validator of an update, inside a `#[workflow::defn]` impl:
/// `#[workflow::validator(update_method)]`.
#[proc_macro_attribute]
pub fn validator(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced(Kind::Validator, item.into()).into()
}

/// Opts a workflow method, or one `let` statement in it, out of the
/// determinism lint, inside a `#[workflow::defn]` impl.
///
/// `#[workflow::defn]` rejects calls whose result differs when a run is
/// replayed from history: `SystemTime::now()` / `Instant::now()` (use
/// `ctx.now()`), `thread::spawn` (use an activity or a child workflow),
/// `rand::random` / `thread_rng` (use `ctx.random()`, `ctx.random_u64()`,
/// `ctx.uuid4()`) and iteration of a local `HashMap` / `HashSet` (use
/// `BTreeMap` / `BTreeSet`). Mark the deliberate cases:
///
/// ```ignore
/// #[workflow::nondeterministic] // the whole method
/// fn log_progress(&self) { eprintln!("{:?}: {}", std::time::SystemTime::now(), self.done); }
///
/// #[workflow::run]
/// async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
///     #[workflow::nondeterministic] // this statement only
///     let started = std::time::Instant::now();
///     ..
/// }
/// ```
///
/// It does not cover what cannot work in workflow code at all, which runs
/// on the worker's own executor thread without a Tokio runtime:
/// `tokio::time::sleep` / `timeout` / `interval` and `std::thread::sleep`
/// (use `ctx.sleep(duration).await` or `ctx.wait_condition_timeout`),
/// `tokio::spawn` (use an activity or a child workflow), and `select!`,
/// which picks a branch at random (use `workflow::futures::select_biased!`).
/// Bare calls of `sleep(..)` and `spawn(..)` count as Tokio's or std's
/// unless the method declares or imports its own: the lint reads the `use`
/// items in the method, not those of the module.
///
/// It goes on a method or a `let` statement only: attributes on other
/// statements and on expressions are unstable in Rust, so bind the value
/// with `let` to opt one call out. `#[workflow::defn]` removes it; used
/// anywhere else it is an error.
#[proc_macro_attribute]
pub fn nondeterministic(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced_opt_out(item.into()).into()
}

/// Turns an `async fn` into an activity. Options: `name = "..."`,
/// `dynamic`, `crate = "path"`.
///
/// Its error may be any `std::error::Error + Send + Sync + 'static`, an
/// `anyhow::Error` or a `String`, so `?` works on what it calls: the
/// failure keeps the error's type name and its message with its sources',
/// and is retried per the retry policy. Return an `ApplicationError`
/// (also through `anyhow`) to choose the failure's type or to mark it
/// non-retryable.
///
/// ```ignore
/// #[workflow::activity]
/// async fn greet(name: String) -> Result<String, ApplicationError> { .. }
///
/// #[workflow::activity]
/// async fn load(path: String) -> std::io::Result<String> {
///     tokio::fs::read_to_string(path).await
/// }
/// ```
#[proc_macro_attribute]
pub fn activity(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::activity::activity(args.into(), item.into()).into()
}

/// Turns the methods of an impl block into activities that share the
/// instance they run on: clients, pools, settings. Option: `crate = "path"`.
///
/// Each `async fn` taking `&self` becomes an activity, as
/// `#[workflow::activity]` makes one of a free function: the same
/// arguments (an optional `ctx: ActivityContext` first, after `&self`),
/// results and errors, and a marker const named like the method,
/// `Payments::charge`, for `ctx.execute_activity`. A worker registers them
/// all with `.activities(instance)`, taking the instance (or an `Arc` of
/// it) and sharing it between the attempts running at once, so the type is
/// `Send + Sync + 'static` and state that changes sits behind a `Mutex` or
/// an atomic. `#[workflow::activity(name = "...")]` on a method renames its
/// activity, `#[workflow::activity(dynamic)]` makes it the dynamic one.
///
/// ```ignore
/// pub struct Payments { db: Pool, http: Client }
///
/// #[workflow::activities]
/// impl Payments {
///     /// Charges the order.
///     async fn charge(&self, ctx: ActivityContext, order: Order) -> anyhow::Result<Receipt> { .. }
///
///     #[workflow::activity(name = "Refund")]
///     async fn refund(&self, order: Order, cents: u64) -> Result<(), std::io::Error> { .. }
/// }
///
/// engine.worker("orders").workflow::<Order>().activities(Payments { db, http }).start()?;
/// ctx.execute_activity(Payments::charge, order, options).await?;
/// ```
#[proc_macro_attribute]
pub fn activities(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::activities::activities(args.into(), item.into()).into()
}
