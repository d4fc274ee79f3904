//! Procedural macros of the `workflow` DSL. Use them through the facade:
//! `#[workflow::defn]`, `#[workflow::activity]` and the method attributes
//! inside a `#[workflow::defn]` impl.
//!
//! Each entry point is a shim into a module working on `proc_macro2` types:
//! parse (`attr`, `ast`) -> validate (`check`) -> expand (`expand`).
//! Set `WORKFLOW_MACROS_DEBUG=1` while building to print every expansion.

mod ast;
mod attr;
mod check;
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
/// `name = "..."`, `dynamic`.
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
/// `name = "..."`, `dynamic`.
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

/// Turns an `async fn` into an activity. Options: `name = "..."`,
/// `dynamic`, `crate = "path"`.
///
/// ```ignore
/// #[workflow::activity]
/// async fn greet(name: String) -> Result<String, ApplicationError> { .. }
/// ```
#[proc_macro_attribute]
pub fn activity(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::activity::activity(args.into(), item.into()).into()
}
