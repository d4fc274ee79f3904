//! The rules a workflow impl and activities must follow, one function each.
//! Every problem is reported at the user's tokens with the fix in the message.

use std::collections::HashMap;

use quote::ToTokens;
use syn::{Type, TypeSlice};

use crate::ast::{self, Activity, ActivityFn, ActivityImpl, Context, Handler, Output, Signature, Workflow};
use crate::attr::{Kind, Naming};
use crate::determinism;
use crate::errors::Errors;

pub fn workflow(w: &Workflow, errors: &mut Errors) {
    check_workflow_not_generic(w, errors);
    check_name_xor_dynamic(&w.args.naming, errors);
    check_one_run(w, errors);
    check_at_most_one_init(w, errors);
    check_init_takes_run_arguments(w, errors);
    for h in &w.handlers {
        check_one_marker_per_method(h, errors);
        check_name_xor_dynamic(&h.naming, errors);
        check_not_generic(&h.sig, errors);
        check_asyncness(h, errors);
        check_self_or_context(h, errors);
        check_context_comes_first(&h.sig, errors);
        check_return_type(h, errors);
        check_success_type(&h.sig.output, errors);
        check_dynamic_signature(h, errors);
    }
    check_unique_wire_names(w, errors);
    check_one_dynamic_per_kind(w, errors);
    check_validator_targets_an_update(w, errors);
    check_one_validator_per_update(w, errors);
    check_validator_takes_update_arguments(w, errors);
    determinism::check(w, errors);
}

pub fn activity(f: &ActivityFn, errors: &mut Errors) {
    check_activity(&f.activity, errors);
}

pub fn activities(b: &ActivityImpl, errors: &mut Errors) {
    check_block_takes_crate_only(b, errors);
    check_block_holds_methods_only(b, errors);
    for m in &b.methods {
        for repeated in m.markers.iter().skip(1) {
            errors.spanned(repeated, "`#[workflow::activity]` is repeated: remove it");
        }
        check_activity(&m.activity, errors);
    }
    check_unique_activity_names(b, errors);
    check_one_dynamic_activity(b, errors);
}

/// The rules of every activity, a function or a method.
fn check_activity(a: &Activity, errors: &mut Errors) {
    check_name_xor_dynamic(&a.naming, errors);
    check_not_generic(&a.sig, errors);
    check_activity_is_async(a, errors);
    check_activity_receiver(a, errors);
    check_activity_context(a, errors);
    check_context_comes_first(&a.sig, errors);
    check_success_type(&a.sig.output, errors);
    check_activity_dynamic_signature(a, errors);
}

const CTX: &str = "ctx: &mut WorkflowContext<Self>";

/// Rule: the workflow type is concrete; it has one wire name and one
/// handler table.
fn check_workflow_not_generic(w: &Workflow, errors: &mut Errors) {
    if !w.item.generics.params.is_empty() {
        errors.spanned(
            &w.item.generics,
            "`#[workflow::defn]` does not support generic workflow types: a workflow type has one \
             wire name and one handler table; implement it on a concrete type",
        );
    }
}

/// Rule: `name` and `dynamic` exclude each other: a dynamic handler takes
/// every name nothing else takes.
fn check_name_xor_dynamic(naming: &Naming, errors: &mut Errors) {
    if naming.name.is_some() && naming.is_dynamic() {
        errors.at(
            naming.dynamic.span(),
            "`name` and `dynamic` cannot be used together: a dynamic handler has no name of its \
             own, it receives every name no other handler takes; remove one of them",
        );
    }
}

/// Rule: exactly one `#[workflow::run]` method.
fn check_one_run(w: &Workflow, errors: &mut Errors) {
    let mut runs = w.of_kind(Kind::Run);
    let Some(first) = runs.next() else {
        match w.unmarked_run() {
            Some(method) => errors.spanned(
                &method.sig.ident,
                format!(
                    "a workflow needs one `#[workflow::run]` method: mark `{}` with `#[workflow::run]`",
                    method.sig.ident
                ),
            ),
            None => errors.spanned(
                &w.item.self_ty,
                format!(
                    "a workflow needs one `#[workflow::run]` method: `async fn run({CTX}, ..) -> \
                     WorkflowResult<T>`"
                ),
            ),
        }
        return;
    };
    for other in runs {
        errors.spanned(
            other.attr,
            format!(
                "a workflow has one `#[workflow::run]` method and `{}` is already it: remove this \
                 attribute, or merge the two methods",
                first.ident()
            ),
        );
    }
}

/// Rule: at most one `#[workflow::init]` method.
fn check_at_most_one_init(w: &Workflow, errors: &mut Errors) {
    let mut inits = w.of_kind(Kind::Init);
    let Some(first) = inits.next() else { return };
    for other in inits {
        errors.spanned(
            other.attr,
            format!(
                "`{}` already builds the state: a workflow has at most one `#[workflow::init]` method",
                first.ident()
            ),
        );
    }
}

/// Rule: `#[workflow::init]` takes the run method's arguments (without ctx):
/// both receive the same start payloads.
fn check_init_takes_run_arguments(w: &Workflow, errors: &mut Errors) {
    let (Some(run), Some(init)) = (w.run(), w.init()) else {
        return;
    };
    let expected: Vec<&Type> = run.sig.param_types().collect();
    let found: Vec<&Type> = init.sig.param_types().collect();
    if expected.len() != found.len() {
        errors.at(
            parens(&init.sig),
            format!(
                "`#[workflow::init]` takes the same arguments as the run method `{}`, without ctx: ({})",
                run.ident(),
                list(&expected)
            ),
        );
        return;
    }
    for (expected, found) in expected.into_iter().zip(found) {
        if !ast::same_type(expected, found) {
            errors.spanned(
                found,
                format!(
                    "expected `{}`, as in the run method `{}`: `#[workflow::init]` takes the run \
                     method's arguments",
                    expected.to_token_stream(),
                    run.ident()
                ),
            );
        }
    }
}

/// Rule: a method carries at most one of our attributes: it has one role.
fn check_one_marker_per_method(h: &Handler, errors: &mut Errors) {
    for (kind, attr) in &h.extra {
        let message = if *kind == h.kind {
            format!("{kind} is repeated: remove it")
        } else {
            format!(
                "`{}` is already marked {}: a method has one role; split it into two methods",
                h.ident(),
                h.kind
            )
        };
        errors.spanned(attr, message);
    }
}

/// Rule: handlers and activities are not generic: each argument and result
/// has one concrete type to travel as a payload.
fn check_not_generic(sig: &Signature, errors: &mut Errors) {
    if !sig.sig.generics.params.is_empty() {
        errors.spanned(
            &sig.sig.generics,
            "handlers and activities cannot be generic: each argument and result needs one \
             concrete type to travel as a payload",
        );
    }
}

/// Rule: the run method is `async`; init, queries and validators are not
/// (they answer at once); signals and updates may be either.
fn check_asyncness(h: &Handler, errors: &mut Errors) {
    let sig = h.sig.sig;
    let message = match h.kind {
        Kind::Run => {
            if sig.asyncness.is_none() {
                errors.spanned(
                    sig.fn_token,
                    format!(
                        "the `#[workflow::run]` method must be an `async fn`: it awaits timers, \
                         activities and conditions; write `async fn {}({CTX}, ...)`",
                        h.ident()
                    ),
                );
            }
            return;
        }
        Kind::Init => {
            "`#[workflow::init]` cannot be `async`: it builds the state before the run method starts; \
             remove `async`"
        }
        Kind::Query => {
            "query handlers cannot be `async`: a query answers at once from the current state; remove \
             `async`, or use a `#[workflow::update]` for work that waits"
        }
        Kind::Validator => {
            "validators cannot be `async`: a validator decides at once whether to accept the update; \
             remove `async`"
        }
        Kind::Signal | Kind::Update => return,
    };
    if let Some(asyncness) = sig.asyncness {
        errors.spanned(asyncness, message);
    }
}

/// Rule: sync handlers reach the state through `self` (`&self` for queries
/// and validators, which must not change it); the run method and async
/// handlers through `ctx: &mut WorkflowContext<Self>`, because other handlers
/// run while they wait; init takes neither.
fn check_self_or_context(h: &Handler, errors: &mut Errors) {
    match h.kind {
        Kind::Init => expect_no_self(h, errors),
        Kind::Query | Kind::Validator => expect_shared_self(h, errors),
        Kind::Run => expect_context(h, "the `#[workflow::run]` method", errors),
        Kind::Signal | Kind::Update if h.is_async() => expect_context(h, &format!("async {}", subject(h.kind)), errors),
        Kind::Signal | Kind::Update => expect_self(h, errors),
    }
}

fn expect_no_self(h: &Handler, errors: &mut Errors) {
    match h.sig.context {
        Context::None => {}
        Context::Receiver(r) => errors.spanned(
            r,
            "`#[workflow::init]` builds the state, so it takes no `self`: `fn new(args...) -> Self`",
        ),
        Context::Param(p) => errors.spanned(
            p,
            "`#[workflow::init]` builds the state before the run method starts, so it takes no context",
        ),
    }
}

fn expect_shared_self(h: &Handler, errors: &mut Errors) {
    let who = subject(h.kind);
    let why = if h.kind == Kind::Query {
        "queries are read-only; move the mutation into a `#[workflow::update]`"
    } else {
        "they only inspect the state, and a rejected update must leave no trace; change `&mut self` to `&self`"
    };
    match h.sig.context {
        Context::Receiver(r) if r.reference.is_some() && r.mutability.is_none() => {}
        Context::Receiver(r) => errors.spanned(r, format!("{who} take `&self`: {why}")),
        Context::Param(p) => errors.spanned(
            p,
            format!("{who} take `&self`, not a context: they answer at once and issue no commands"),
        ),
        Context::None => errors.at(parens(&h.sig), format!("{who} take `&self` as the first parameter")),
    }
}

fn expect_self(h: &Handler, errors: &mut Errors) {
    let who = subject(h.kind);
    match h.sig.context {
        Context::Receiver(r) if r.reference.is_some() => {}
        Context::Receiver(r) => errors.spanned(r, format!("{who} take `&mut self`, not `self`")),
        Context::Param(p) => errors.spanned(
            p,
            format!("sync {who} take `&mut self`; to take `{CTX}` instead, make the handler an `async fn`"),
        ),
        Context::None => errors.at(
            parens(&h.sig),
            format!("{who} take `&mut self` as the first parameter (or, as an `async fn`, `{CTX}`)"),
        ),
    }
}

fn expect_context(h: &Handler, who: &str, errors: &mut Errors) {
    match h.sig.context {
        Context::Param(p) if matches!(ast::ungroup(&p.ty), Type::Reference(_)) => {}
        Context::Param(p) => errors.spanned(&p.ty, format!("take the context by reference: `{CTX}`")),
        Context::Receiver(r) => errors.spanned(
            r,
            format!(
                "{who} take `{CTX}` instead of `self`: the state is reached with `ctx.state(|s| ..)` \
                 and `ctx.state_mut(|s| ..)`, because other handlers run while this one waits"
            ),
        ),
        Context::None => errors.at(parens(&h.sig), format!("{who} take `{CTX}` as the first parameter")),
    }
}

/// What handlers of `kind` are called in messages.
fn subject(kind: Kind) -> &'static str {
    match kind {
        Kind::Run => "the run method",
        Kind::Init => "the init method",
        Kind::Signal => "signal handlers",
        Kind::Query => "query handlers",
        Kind::Update => "update handlers",
        Kind::Validator => "validators",
    }
}

/// The parameter list's parentheses: where a missing parameter is reported.
fn parens(sig: &Signature) -> proc_macro2::Span {
    sig.sig.paren_token.span.join()
}

/// Rule: a context parameter comes first.
fn check_context_comes_first(sig: &Signature, errors: &mut Errors) {
    for param in &sig.params {
        if ast::is_context(&param.ty, sig.context_type) {
            errors.spanned(param, format!("`{}` must be the first parameter", sig.context_type));
        }
    }
}

/// Rule: signals return nothing (or only an error), queries return their
/// answer, validators return `Result<(), E>`.
fn check_return_type(h: &Handler, errors: &mut Errors) {
    let output = &h.sig.output;
    let sig = h.sig.sig;
    match h.kind {
        Kind::Signal => {
            if let Some(value) = output.value_type() {
                errors.spanned(
                    value,
                    "signal handlers return nothing: a signal's sender gets no answer; remove the \
                     return type, or make it a `#[workflow::update]` to answer the caller",
                );
            }
        }
        Kind::Query => {
            if matches!(output, Output::Unit) {
                errors.spanned(
                    sig,
                    "query handlers must return the answer: add a return type, e.g. `-> String`",
                );
            }
        }
        Kind::Validator => {
            if !output.is_fallible() || output.value_type().is_some() {
                let at = match &sig.output {
                    syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
                    syn::ReturnType::Default => sig.to_token_stream(),
                };
                errors.spanned(
                    at,
                    "validators return `Result<(), E>`: `Ok(())` accepts the update, `Err` rejects it",
                );
            }
        }
        Kind::Run | Kind::Init | Kind::Update => {}
    }
}

/// Rule: a fallible return names its success type (`Result<T, E>`,
/// `WorkflowResult<T>`), since that is what the caller decodes.
fn check_success_type(output: &Output, errors: &mut Errors) {
    if let Output::Fallible { ty, ok: None } = output {
        errors.spanned(
            ty,
            format!(
                "cannot tell the success type of `{}`: write the return type as `Result<T, E>` or \
                 `WorkflowResult<T>`",
                ty.to_token_stream()
            ),
        );
    }
}

/// Rule: dynamic handlers take the name and the undecoded arguments.
fn check_dynamic_signature(h: &Handler, errors: &mut Errors) {
    if !h.is_dynamic() {
        return;
    }
    let params: Vec<&Type> = h.sig.param_types().collect();
    let (ok, expected) = match h.kind {
        Kind::Run => (
            matches!(params.as_slice(), [args] if ast::is_raw_values(args)),
            format!("the run method of a `dynamic` workflow takes `({CTX}, args: Vec<RawValue>)`"),
        ),
        Kind::Query => (
            is_name_and_raw_values(&params),
            "dynamic query handlers take `(&self, name: String, args: Vec<RawValue>)`".to_owned(),
        ),
        kind => (
            is_name_and_raw_values(&params),
            format!(
                "dynamic {} take `(&mut self, name: String, args: Vec<RawValue>)`, or \
                 `({CTX}, name: String, args: Vec<RawValue>)` when async",
                subject(kind)
            ),
        ),
    };
    if !ok {
        errors.at(parens(&h.sig), expected);
    }
}

fn is_name_and_raw_values(params: &[&Type]) -> bool {
    matches!(params, [name, args] if ast::is_named(name, "String") && ast::is_raw_values(args))
}

/// Rule: wire names are unique among handlers of one kind, or a call could
/// not tell them apart.
fn check_unique_wire_names(w: &Workflow, errors: &mut Errors) {
    for kind in [Kind::Signal, Kind::Query, Kind::Update] {
        let mut seen: HashMap<String, &Handler> = HashMap::new();
        for h in w.statics(kind) {
            let name = h.wire_name();
            if let Some(first) = seen.get(&name) {
                errors.at(
                    h.wire_name_span(),
                    format!(
                        "{0} name \"{name}\" is already used by `{1}`: give one of them another \
                         name with `#[workflow::{0}(name = \"...\")]`",
                        kind.name(),
                        first.ident(),
                    ),
                );
            } else {
                seen.insert(name, h);
            }
        }
    }
}

/// Rule: at most one dynamic handler per kind, the fallback for unknown names.
fn check_one_dynamic_per_kind(w: &Workflow, errors: &mut Errors) {
    for kind in [Kind::Signal, Kind::Query, Kind::Update] {
        let mut dynamics = w.of_kind(kind).filter(|h| h.is_dynamic());
        let Some(first) = dynamics.next() else { continue };
        for other in dynamics {
            errors.at(
                other.naming.dynamic.span(),
                format!(
                    "only one dynamic {} handler is allowed: `{}` already receives every name \
                     without a static handler",
                    kind.name(),
                    first.ident()
                ),
            );
        }
    }
}

/// Rule: a validator names an update method of the same impl.
fn check_validator_targets_an_update(w: &Workflow, errors: &mut Errors) {
    for v in w.of_kind(Kind::Validator) {
        let Some(target) = &v.validates else { continue };
        if w.of_kind(Kind::Update).any(|u| u.ident() == target) {
            continue;
        }
        let named = w.item.items.iter().any(|item| match item {
            syn::ImplItem::Fn(f) => f.sig.ident == *target,
            _ => false,
        });
        let message = if named {
            format!(
                "`{target}` is not a `#[workflow::update]` method: validators check updates; mark \
                 `{target}` with `#[workflow::update]` or name an update"
            )
        } else {
            format!(
                "no `#[workflow::update]` method named `{target}` in this impl: \
                 `#[workflow::validator(...)]` names the update method it checks"
            )
        };
        errors.spanned(target, message);
    }
}

/// Rule: an update has at most one validator.
fn check_one_validator_per_update(w: &Workflow, errors: &mut Errors) {
    let mut seen: HashMap<&syn::Ident, &Handler> = HashMap::new();
    for v in w.of_kind(Kind::Validator) {
        let Some(target) = &v.validates else { continue };
        if let Some(first) = seen.get(target) {
            errors.spanned(
                target,
                format!(
                    "update `{target}` already has the validator `{}`: merge the checks into one validator",
                    first.ident()
                ),
            );
        } else {
            seen.insert(target, v);
        }
    }
}

/// Whether `&found` is what `&expected` derefs to: `str` for `String`,
/// `[T]` for `Vec<T>`, as clippy asks validators to write them.
fn borrows(found: &Type, expected: &Type) -> bool {
    match ast::ungroup(found) {
        Type::Path(_) => ast::is_named(found, "str") && ast::is_named(expected, "String"),
        Type::Slice(slice) => ast::last_segment(expected)
            .filter(|s| s.ident == "Vec")
            .and_then(ast::first_type_argument)
            .is_some_and(|item| ast::same_type(item, &slice.elem)),
        _ => false,
    }
}

/// Rule: a validator takes its update's arguments by reference, or their
/// borrowed forms (a dynamic update's validator: `name: &str, args: &[RawValue]`).
fn check_validator_takes_update_arguments(w: &Workflow, errors: &mut Errors) {
    for update in w.of_kind(Kind::Update) {
        let Some(v) = w.validator_of(update) else { continue };
        let found: Vec<&Type> = v.sig.param_types().collect();
        if update.is_dynamic() {
            let ok = matches!(found.as_slice(), [name, args]
                if matches!(ast::ungroup(name), Type::Reference(r) if ast::is_named(&r.elem, "str"))
                    && matches!(ast::ungroup(args), Type::Reference(r) if is_raw_value_slice(&r.elem)));
            if !ok {
                errors.at(
                    parens(&v.sig),
                    "validators of a dynamic update take `(&self, name: &str, args: &[RawValue])`",
                );
            }
            continue;
        }
        let expected: Vec<&Type> = update.sig.param_types().collect();
        if expected.len() != found.len() {
            let params: String = expected.iter().map(|t| format!(", &{}", t.to_token_stream())).collect();
            errors.at(
                parens(&v.sig),
                format!(
                    "a validator takes the arguments of update `{}` by reference: `(&self{params})`",
                    update.ident(),
                ),
            );
            continue;
        }
        for (expected, found) in expected.into_iter().zip(found) {
            let by_ref = matches!(ast::ungroup(found), Type::Reference(_));
            if !by_ref || !(ast::same_type(ast::unref(found), expected) || borrows(ast::unref(found), expected)) {
                errors.spanned(
                    found,
                    format!(
                        "expected `&{}`: a validator takes the arguments of update `{}` by reference",
                        expected.to_token_stream(),
                        update.ident()
                    ),
                );
            }
        }
    }
}

fn is_raw_value_slice(ty: &Type) -> bool {
    matches!(ast::ungroup(ty), Type::Slice(TypeSlice { elem, .. }) if ast::is_named(elem, "RawValue"))
}

/// Rule: activities are `async fn`s run on the worker's async runtime.
fn check_activity_is_async(a: &Activity, errors: &mut Errors) {
    let sig = a.sig.sig;
    if sig.asyncness.is_some() {
        return;
    }
    let message = match a.owner {
        None => format!(
            "`#[workflow::activity]` must be an `async fn`: write `async fn {}(...)`",
            a.ident()
        ),
        Some(owner) => format!(
            "every method of an `#[workflow::activities]` block is an activity, and activities are \
             `async fn`s: write `async fn {}(&self, ...)`, or move a helper to another `impl {owner}` block",
            a.ident()
        ),
    };
    errors.spanned(sig.fn_token, message);
}

/// Rule: an `#[workflow::activity]` is a free function; a method of an
/// `#[workflow::activities]` block takes `&self`, as a worker shares one
/// instance between the attempts running at once.
fn check_activity_receiver(a: &Activity, errors: &mut Errors) {
    match (a.owner, a.sig.sig.receiver()) {
        (None, None) => {}
        (None, Some(r)) => errors.spanned(
            r,
            "`#[workflow::activity]` goes on a free `async fn`, not a method: remove `self`, or put \
             `#[workflow::activities]` on the impl block to make its methods activities",
        ),
        (Some(_), Some(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        (Some(_), Some(r)) => errors.spanned(
            r,
            "activities take `&self`: a worker runs them on one instance, shared between the attempts \
             running at once; keep state that changes behind a `Mutex` or an atomic",
        ),
        (Some(_), None) => errors.at(
            parens(&a.sig),
            "activities take `&self` as the first parameter, the instance a worker shares between \
             them; for a function that needs no instance, use a free `#[workflow::activity] async fn`",
        ),
    }
}

/// Rule: the context an activity may take is `ctx: ActivityContext`, by
/// value.
fn check_activity_context(a: &Activity, errors: &mut Errors) {
    if let Context::Param(p) = a.sig.context {
        if matches!(ast::ungroup(&p.ty), Type::Reference(_)) {
            errors.spanned(
                &p.ty,
                "take the activity context by value, `ctx: ActivityContext`: it is cheap to clone",
            );
        }
    }
}

/// Rule: a dynamic activity takes the name it was called by and the
/// undecoded arguments.
fn check_activity_dynamic_signature(a: &Activity, errors: &mut Errors) {
    if !a.is_dynamic() {
        return;
    }
    let params: Vec<&Type> = a.sig.param_types().collect();
    if !is_name_and_raw_values(&params) {
        let message = match a.owner {
            None => {
                "dynamic activities take `(name: String, args: Vec<RawValue>)`, optionally after \
                     `ctx: ActivityContext`"
            }
            Some(_) => {
                "dynamic activities take `(&self, name: String, args: Vec<RawValue>)`, optionally \
                        with `ctx: ActivityContext` after `&self`"
            }
        };
        errors.at(parens(&a.sig), message);
    }
}

/// Rule: `#[workflow::activities]` takes `crate = "..."` only; each method
/// has its own name.
fn check_block_takes_crate_only(b: &ActivityImpl, errors: &mut Errors) {
    if let Some(name) = &b.args.naming.name {
        errors.spanned(
            name,
            "`#[workflow::activities]` takes only `crate = \"...\"`: name an activity on its method, \
             `#[workflow::activity(name = \"...\")] async fn charge(&self, ..)`",
        );
    }
    if b.args.naming.is_dynamic() {
        errors.at(
            b.args.naming.dynamic.span(),
            "`#[workflow::activities]` takes only `crate = \"...\"`: mark the dynamic activity on its \
             method, `#[workflow::activity(dynamic)] async fn other(&self, name: String, args: Vec<RawValue>)`",
        );
    }
}

/// Rule: the block holds methods only, each an activity the worker
/// registers; other items go in another impl block of the type.
fn check_block_holds_methods_only(b: &ActivityImpl, errors: &mut Errors) {
    for member in &b.item.items {
        if !matches!(member, syn::ImplItem::Fn(_)) {
            errors.spanned(
                member,
                format!(
                    "an `#[workflow::activities]` block holds only activities: move this item to \
                     another `impl {} {{ .. }}` block",
                    b.ident
                ),
            );
        }
    }
}

/// Rule: activity names are unique in a block, or a worker could not tell
/// them apart.
fn check_unique_activity_names(b: &ActivityImpl, errors: &mut Errors) {
    let mut seen: HashMap<String, &Activity> = HashMap::new();
    for a in b.methods.iter().map(|m| &m.activity).filter(|a| !a.is_dynamic()) {
        let name = a.name();
        if let Some(first) = seen.get(&name) {
            errors.at(
                a.name_span(),
                format!(
                    "activity name \"{name}\" is already used by `{}`: give one of them another name \
                     with `#[workflow::activity(name = \"...\")]`",
                    first.ident()
                ),
            );
        } else {
            seen.insert(name, a);
        }
    }
}

/// Rule: at most one dynamic activity, the fallback for unknown names.
fn check_one_dynamic_activity(b: &ActivityImpl, errors: &mut Errors) {
    let mut dynamics = b.methods.iter().map(|m| &m.activity).filter(|a| a.is_dynamic());
    let Some(first) = dynamics.next() else { return };
    for other in dynamics {
        errors.at(
            other.naming.dynamic.span(),
            format!(
                "only one dynamic activity is allowed: `{}` already receives every name without an activity",
                first.ident()
            ),
        );
    }
}

fn list(types: &[&Type]) -> String {
    types
        .iter()
        .map(|t| t.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::expand::activities::activities;
    use crate::expand::workflow::defn;

    #[test]
    fn every_problem_is_reported_and_the_workflow_api_is_kept() {
        let out = defn(
            quote!(),
            quote! {
                impl Counter {
                    #[workflow::query]
                    fn next(&mut self) -> u32 { 0 }
                    #[workflow::signal(name = "a", name = "b")]
                    fn add(&mut self, n: u32) -> u32 { n }
                }
            },
        )
        .to_string();
        for message in [
            "a workflow needs one `#[workflow::run]` method",
            "query handlers take `&self`",
            "signal handlers return nothing",
            "`name` is given more than once",
        ] {
            assert!(out.contains(message), "no {message:?} in {out}");
        }
        for kept in [
            "fn __workflow_next",
            "pub const next",
            "pub const run : :: workflow :: __private :: Run < Self , () >",
            "impl :: workflow :: __private :: WorkflowDefinition for Counter",
        ] {
            assert!(out.contains(kept), "no {kept:?} in {out}");
        }
        assert!(!out.contains("workflow :: query"), "markers are stripped: {out}");
    }

    #[test]
    fn every_problem_of_an_activities_block_is_reported_and_its_activities_are_kept() {
        let out = activities(
            quote!(),
            quote! {
                impl Payments {
                    const FEE: u64 = 30;
                    fn charge(&mut self, cents: u64) -> u64 { cents }
                    #[workflow::activity(name = "charge")]
                    async fn refund(&self, cents: u64) {}
                }
            },
        )
        .to_string();
        for message in [
            "an `#[workflow::activities]` block holds only activities",
            "activities are `async fn`s",
            "activities take `&self`",
            "activity name \\\"charge\\\" is already used by `charge`",
        ] {
            assert!(out.contains(message), "no {message:?} in {out}");
        }
        for kept in [
            "fn __workflow_activity_charge",
            "pub const charge : :: workflow :: __private :: Activity < u64 , u64 >",
            "pub const refund : :: workflow :: __private :: Activity < u64 , () >",
            "impl :: workflow :: __private :: Activities for Payments",
            "const FEE : u64 = 30",
        ] {
            assert!(out.contains(kept), "no {kept:?} in {out}");
        }
        assert!(!out.contains("workflow :: activity"), "markers are stripped: {out}");
    }
}
