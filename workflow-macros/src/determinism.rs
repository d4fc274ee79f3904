//! The determinism lint: workflow code is replayed from history, so a call
//! whose result differs between a run and its replay (the clock, randomness,
//! threads history does not record, hash iteration order, `select!` picking
//! a branch at random) makes a replay take another path. Every method of a
//! `#[workflow::defn]` impl is checked, handlers and plain helpers alike
//! (they run inside workflow code); activities are not, as they may do
//! anything.
//!
//! Some calls cannot work in workflow code at all: it runs on the worker's
//! own executor thread, which has no Tokio runtime, so `tokio::time::sleep`,
//! `timeout`, `interval` and `tokio::spawn` panic there, and
//! `std::thread::sleep` blocks every workflow on the thread. Their messages
//! offer only replacements that work (`ctx.sleep(d).await`,
//! `ctx.wait_condition_timeout`, an activity or a child workflow), and
//! `#[workflow::nondeterministic]` does not cover them.
//!
//! The lint is syntactic: it goes by paths as written, matched on their last
//! segments (`SystemTime::now` and `std::time::SystemTime::now` alike), by
//! the `use` items in the method body (`use tokio::time::sleep; sleep(d)`),
//! and by the types of locals it sees declared in the same method. An
//! attribute on the impl cannot see the module's `use` items, so bare calls
//! of `sleep(..)` and `spawn(..)` are taken for Tokio's or std's unless the
//! method declares or imports its own. It cannot see into a field's type
//! (`self.map.iter()`), into other functions, or into macros other than
//! those whose arguments are expressions and the `select!` family.
//!
//! `#[workflow::nondeterministic]` on a method or on a `let` statement opts
//! that method or statement out of the rest, for deliberate cases (logging
//! the wall clock, say).

mod calls;
mod select;

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{
    Attribute, Block, Expr, ExprCall, ExprClosure, ExprForLoop, ExprLet, ExprMethodCall, ExprPath, FnArg,
    GenericArgument, ImplItem, ImplItemFn, Item, Local, Macro, Pat, Path, Stmt, Token, Type, UseTree,
};

use calls::{Finding, Written};

use crate::ast::{self, Workflow};
use crate::attr::{self, NONDETERMINISTIC};
use crate::errors::Errors;

/// How to allow a flagged call where it is deliberate, ending every message.
const OPT_OUT: &str = "or, where this is deliberate, mark the method or the `let` statement \
                       `#[workflow::nondeterministic]`";

/// Rule: workflow methods make no call whose result differs on replay, and
/// none that cannot work on the workflow's executor thread.
pub fn check(w: &Workflow, errors: &mut Errors) {
    for item in &w.item.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let mut lint = Lint {
            krate: &w.krate,
            errors: &mut *errors,
            opted_out: method.attrs.iter().any(|a| attr::is_nondeterministic(a, &w.krate)),
            scope: Scope::default(),
        };
        lint.bind_params(method);
        lint.visit_block(&method.block);
    }
}

/// The method with `#[workflow::nondeterministic]` removed from it and
/// from the statements in its body, for the expansion.
pub fn strip(method: &mut ImplItemFn, krate: &Path) {
    method.attrs.retain(|a| !attr::is_nondeterministic(a, krate));
    let block = strip_tokens(method.block.to_token_stream(), krate);
    if let Ok(block) = syn::parse2::<Block>(block) {
        method.block = block;
    }
}

/// Works on tokens so every position is covered without a mutable visitor;
/// misplaced opt-outs are reported by the lint before this runs.
fn strip_tokens(tokens: TokenStream, krate: &Path) -> TokenStream {
    let mut out = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(pound) if pound.as_char() == '#' => {
                if let Some(TokenTree::Group(group)) = tokens.peek() {
                    let attr = quote!(#pound #group);
                    let ours = Attribute::parse_outer
                        .parse2(attr)
                        .is_ok_and(|attrs| attrs.iter().all(|a| attr::is_nondeterministic(a, krate)));
                    if ours {
                        tokens.next();
                        continue;
                    }
                }
                out.push(TokenTree::Punct(pound));
            }
            TokenTree::Group(group) => {
                let mut stripped = proc_macro2::Group::new(group.delimiter(), strip_tokens(group.stream(), krate));
                stripped.set_span(group.span());
                out.push(TokenTree::Group(stripped));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The collection types whose iteration order is not deterministic, and
/// their ordered replacements.
#[derive(Clone, Copy)]
enum Hashed {
    Map,
    Set,
}

impl Hashed {
    fn of_name(name: &syn::Ident) -> Option<Hashed> {
        if name == "HashMap" {
            Some(Hashed::Map)
        } else if name == "HashSet" {
            Some(Hashed::Set)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hashed::Map => "HashMap",
            Hashed::Set => "HashSet",
        }
    }

    fn items(self) -> &'static str {
        match self {
            Hashed::Map => "keys",
            Hashed::Set => "items",
        }
    }

    fn ordered(self) -> &'static str {
        match self {
            Hashed::Map => "BTreeMap",
            Hashed::Set => "BTreeSet",
        }
    }
}

/// Methods that iterate a collection in its own order.
const ITERATING: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "keys",
    "values",
    "values_mut",
    "into_keys",
    "into_values",
    "drain",
];

struct Lint<'a> {
    krate: &'a Path,
    errors: &'a mut Errors,
    /// Inside `#[workflow::nondeterministic]`: only calls that cannot work
    /// at all are reported.
    opted_out: bool,
    scope: Scope,
}

/// What the lint knows about the names in scope.
#[derive(Clone, Default)]
struct Scope {
    /// Locals known to hold a `HashMap` or `HashSet`.
    hashed: HashMap<String, Hashed>,
    /// Every other local, and functions declared in the method: a bare
    /// call of one of them is the user's own.
    locals: HashSet<String>,
    /// Names `use` items in the method bring in, with the path each stands for.
    imports: HashMap<String, Vec<String>>,
    /// Paths `use path::*` items in the method bring in everything from.
    globs: Vec<Vec<String>>,
}

impl Lint<'_> {
    fn bind_params(&mut self, method: &ImplItemFn) {
        for input in &method.sig.inputs {
            if let FnArg::Typed(param) = input {
                self.bind(&param.pat, hashed_type(&param.ty));
            }
        }
    }

    /// Records what the names `pat` binds hold: a plain name can hold a
    /// hashed collection; every name it binds shadows an earlier one.
    fn bind(&mut self, pat: &Pat, hashed: Option<Hashed>) {
        let (pat, hashed) = match pat {
            Pat::Type(typed) => (&*typed.pat, hashed_type(&typed.ty).or(hashed)),
            _ => (pat, hashed),
        };
        let mut names = Vec::new();
        bound_names(pat, &mut names);
        for name in names {
            self.scope.hashed.remove(&name);
            self.scope.imports.remove(&name);
            self.scope.locals.insert(name);
        }
        if let (Pat::Ident(ident), Some(hashed)) = (pat, hashed) {
            if ident.subpat.is_none() {
                self.scope.hashed.insert(ident.ident.to_string(), hashed);
            }
        }
    }

    /// Runs `f` in a nested scope: bindings made inside do not outlive it.
    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        let outer = self.scope.clone();
        f(self);
        self.scope = outer;
    }

    /// Takes in the items a block declares, which are visible in all of it:
    /// `use` items and functions.
    fn declare_items(&mut self, block: &Block) {
        for stmt in &block.stmts {
            match stmt {
                Stmt::Item(Item::Use(item)) => self.import(&item.tree, Vec::new()),
                Stmt::Item(Item::Fn(item)) => {
                    let name = item.sig.ident.to_string();
                    self.scope.imports.remove(&name);
                    self.scope.locals.insert(name);
                }
                _ => {}
            }
        }
    }

    fn import(&mut self, tree: &UseTree, mut prefix: Vec<String>) {
        match tree {
            UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.import(&path.tree, prefix);
            }
            UseTree::Name(name) => {
                let name = name.ident.to_string();
                if name != "self" {
                    prefix.push(name.clone());
                }
                let local = prefix.last().cloned().unwrap_or(name);
                self.scope.locals.remove(&local);
                self.scope.imports.insert(local, prefix);
            }
            UseTree::Rename(rename) => {
                if rename.ident != "self" {
                    prefix.push(rename.ident.to_string());
                }
                let local = rename.rename.to_string();
                self.scope.locals.remove(&local);
                self.scope.imports.insert(local, prefix);
            }
            UseTree::Glob(_) => self.scope.globs.push(prefix),
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.import(tree, prefix.clone());
                }
            }
        }
    }

    /// `path` with its first segment replaced by what a `use` in the method
    /// imported under that name, if any.
    fn resolve(&self, path: &Path) -> Option<Vec<String>> {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        let first = segments.next()?;
        let mut resolved = self.scope.imports.get(&first)?.clone();
        resolved.extend(segments);
        Some(resolved)
    }

    /// What is wrong with the call or macro at `path`, imports resolved.
    fn finding(&self, path: &Path, known: impl Fn(&[String], &Written) -> Option<Finding>) -> Option<Finding> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let text = segments.join("::");
        let via = |resolved: Vec<String>| {
            let written = Written {
                text: text.clone(),
                resolved: Some(resolved.join("::")),
            };
            known(&resolved, &written)
        };
        if path.leading_colon.is_none() {
            if let Some(resolved) = self.resolve(path) {
                return via(resolved);
            }
            if let [name] = segments.as_slice() {
                if !self.scope.locals.contains(name) {
                    let globbed = self.scope.globs.iter().find_map(|glob| {
                        let mut resolved = glob.clone();
                        resolved.push(name.clone());
                        via(resolved)
                    });
                    if globbed.is_some() {
                        return globbed;
                    }
                }
            }
        }
        known(&segments, &Written { text, resolved: None })
    }

    fn report(&mut self, tokens: impl ToTokens, finding: Finding) {
        let message = match (&finding, self.opted_out) {
            (Finding::DiffersOnReplay(_), true) => return,
            (Finding::NeverWorks(_), true) => {
                format!(
                    "{finding}; `#[workflow::{NONDETERMINISTIC}]` does not cover it, as it cannot work in \
                     workflow code at all"
                )
            }
            (Finding::NeverWorks(_), false) => finding.to_string(),
            (Finding::DiffersOnReplay(_), false) => format!("{finding}, {OPT_OUT}"),
        };
        self.errors.spanned(tokens, message);
    }

    /// The hashed collection `expr` names, if it is a local holding one.
    fn hashed_local(&self, expr: &Expr) -> Option<Hashed> {
        match unwrap_expr(expr) {
            Expr::Path(path) if path.qself.is_none() => {
                let ident = path.path.get_ident()?;
                self.scope.hashed.get(&ident.to_string()).copied()
            }
            _ => None,
        }
    }

    /// What an initializer makes: `HashMap::new()`, `HashSet::from(..)`,
    /// `.collect::<HashMap<..>>()`, or a copy of a hashed local.
    fn hashed_init(&self, expr: &Expr) -> Option<Hashed> {
        match unwrap_expr(expr) {
            Expr::Call(call) => match unwrap_expr(&call.func) {
                Expr::Path(func) => func.path.segments.iter().find_map(|s| Hashed::of_name(&s.ident)),
                _ => None,
            },
            Expr::MethodCall(call) if call.method == "collect" => call
                .turbofish
                .as_ref()
                .and_then(|t| t.args.first())
                .and_then(|arg| match arg {
                    GenericArgument::Type(ty) => hashed_type(ty),
                    _ => None,
                }),
            Expr::MethodCall(call) if call.method == "clone" => self.hashed_local(&call.receiver),
            other => self.hashed_local(other),
        }
    }

    fn report_iteration(&mut self, tokens: impl ToTokens, local: &Expr, hashed: Hashed) {
        let local = unwrap_expr(local).to_token_stream();
        let finding = Finding::DiffersOnReplay(format!(
            "iterating `{local}` (a `{}`) is not deterministic in workflow code: its order differs between \
             runs, so a replay could take another path; use a `{}` (or sort the {} first)",
            hashed.name(),
            hashed.ordered(),
            hashed.items(),
        ));
        self.report(tokens, finding);
    }
}

impl<'ast> Visit<'ast> for Lint<'_> {
    fn visit_block(&mut self, block: &'ast Block) {
        self.scoped(|lint| {
            lint.declare_items(block);
            visit::visit_block(lint, block);
        });
    }

    fn visit_local(&mut self, local: &'ast Local) {
        let opted_out = local.attrs.iter().any(|a| attr::is_nondeterministic(a, self.krate));
        let init = local.init.as_ref();
        if !opted_out {
            for attr in &local.attrs {
                self.visit_attribute(attr);
            }
        }
        let outer = self.opted_out;
        self.opted_out |= opted_out;
        if let Some(init) = init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.opted_out = outer;
        // The statement's own bindings stay visible to the lint: the opt-out
        // covers this statement, not later iteration of what it binds.
        let hashed = init.and_then(|init| self.hashed_init(&init.expr));
        self.bind(&local.pat, hashed);
    }

    fn visit_attribute(&mut self, attr: &'ast Attribute) {
        if attr::is_nondeterministic(attr, self.krate) {
            self.errors.spanned(
                attr,
                format!(
                    "`#[workflow::{NONDETERMINISTIC}]` goes on a method of the impl or on a `let` statement \
                     (attributes elsewhere in expressions are unstable); bind the value: \
                     `#[workflow::{NONDETERMINISTIC}] let value = ...;`"
                ),
            );
        }
    }

    fn visit_expr_path(&mut self, expr: &'ast ExprPath) {
        if expr.qself.is_none() {
            if let Some(finding) = self.finding(&expr.path, calls::known) {
                self.report(&expr.path, finding);
            }
        }
        visit::visit_expr_path(self, expr);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if let Expr::Path(func) = unwrap_expr(&call.func) {
            let bare = func.qself.is_none() && func.path.leading_colon.is_none();
            if let Some(name) = func.path.get_ident().filter(|_| bare) {
                let name = name.to_string();
                let own = self.scope.locals.contains(&name) || self.scope.imports.contains_key(&name);
                if let Some(finding) = calls::bare(&name).filter(|_| !own) {
                    self.report(&func.path, finding);
                }
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        if ITERATING.iter().any(|m| call.method == m) {
            if let Some(hashed) = self.hashed_local(&call.receiver) {
                let (receiver, dot, method) = (&call.receiver, &call.dot_token, &call.method);
                self.report_iteration(quote!(#receiver #dot #method), &call.receiver, hashed);
            }
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_for_loop(&mut self, for_loop: &'ast ExprForLoop) {
        for attr in &for_loop.attrs {
            self.visit_attribute(attr);
        }
        if let Some(hashed) = self.hashed_local(&for_loop.expr) {
            self.report_iteration(&*for_loop.expr, &for_loop.expr, hashed);
        }
        self.visit_expr(&for_loop.expr);
        self.scoped(|lint| {
            lint.bind(&for_loop.pat, None);
            lint.visit_block(&for_loop.body);
        });
    }

    fn visit_expr_closure(&mut self, closure: &'ast ExprClosure) {
        for attr in &closure.attrs {
            self.visit_attribute(attr);
        }
        self.scoped(|lint| {
            for input in &closure.inputs {
                lint.bind(input, None);
            }
            lint.visit_expr(&closure.body);
        });
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scoped(|lint| {
            lint.bind(&arm.pat, None);
            visit::visit_arm(lint, arm);
        });
    }

    fn visit_expr_let(&mut self, expr: &'ast ExprLet) {
        visit::visit_expr_let(self, expr);
        // `if let` / `while let` bindings shadow until the enclosing block ends
        // here, a little longer than in Rust: at worst a missed report.
        self.bind(&expr.pat, None);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        // Macro arguments that are expressions (`println!`, `assert_eq!`,
        // `vec!`) are checked like any other, and so are the branches of
        // `select!`-style macros; other macros are opaque.
        if let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for arg in &args {
                self.visit_expr(arg);
            }
        } else if let Some(branches) = select::parse(mac) {
            let biased = branches.biased;
            if let Some(finding) = self.finding(&mac.path, |path, written| calls::known_macro(path, written, biased)) {
                self.report(&mac.path, finding);
            }
            for expr in &branches.exprs {
                self.scoped(|lint| lint.visit_expr(expr));
            }
        } else if let Some(finding) = self.finding(&mac.path, |path, written| calls::known_macro(path, written, false))
        {
            self.report(&mac.path, finding);
        }
    }
}

/// `HashMap<..>` / `HashSet<..>`, also behind a reference.
fn hashed_type(ty: &Type) -> Option<Hashed> {
    ast::last_segment(ast::unref(ty)).and_then(|s| Hashed::of_name(&s.ident))
}

/// `expr` without parentheses, invisible groups and `&` / `&mut`.
fn unwrap_expr(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(e) => unwrap_expr(&e.expr),
        Expr::Group(e) => unwrap_expr(&e.expr),
        Expr::Reference(e) => unwrap_expr(&e.expr),
        _ => expr,
    }
}

/// Every name `pat` binds.
fn bound_names(pat: &Pat, names: &mut Vec<String>) {
    match pat {
        Pat::Ident(p) => {
            names.push(p.ident.to_string());
            if let Some((_, sub)) = &p.subpat {
                bound_names(sub, names);
            }
        }
        Pat::Or(p) => p.cases.iter().for_each(|p| bound_names(p, names)),
        Pat::Paren(p) => bound_names(&p.pat, names),
        Pat::Reference(p) => bound_names(&p.pat, names),
        Pat::Slice(p) => p.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| bound_names(&f.pat, names)),
        Pat::Tuple(p) => p.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|p| bound_names(p, names)),
        Pat::Type(p) => bound_names(&p.pat, names),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use quote::{quote, ToTokens};
    use syn::{parse_quote, ImplItem, ItemImpl};

    use super::{check, strip};
    use crate::ast::Workflow;
    use crate::attr::ItemArgs;
    use crate::errors::Errors;

    /// The messages the lint gives for `item`, one per problem.
    fn lint(item: ItemImpl) -> Vec<String> {
        let mut errors = Errors::default();
        let workflow = Workflow::parse(&item, ItemArgs::default(), &mut errors).expect("a workflow impl");
        check(&workflow, &mut errors);
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(tokens) => tokens
                .to_string()
                .split("compile_error")
                .skip(1)
                .map(str::to_owned)
                .collect(),
        }
    }

    #[test]
    fn known_calls_are_caught_by_their_last_segments() {
        let messages = lint(parse_quote! {
            impl W {
                fn f(&self) {
                    std::time::SystemTime::now();
                    time::Instant::now();
                    std::thread::sleep(d);
                    tokio::time::sleep(d);
                    tokio::task::spawn(f);
                    rand::rng();
                    thread_rng();
                    uuid::Uuid::new_v4();
                    println!("{:?}", SystemTime::now());
                }
            }
        });
        let expected = [
            "`std::time::SystemTime::now()`",
            "`time::Instant::now()`",
            "`std::thread::sleep`",
            "`tokio::time::sleep`",
            "`tokio::task::spawn`",
            "`rand::rng`",
            "`thread_rng`",
            "`uuid::Uuid::new_v4`",
            "`SystemTime::now()`",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (message, call) in messages.iter().zip(expected) {
            assert!(message.contains(call), "{call} not in {message}");
        }
    }

    #[test]
    fn deterministic_code_passes() {
        let messages = lint(parse_quote! {
            impl W {
                async fn run(ctx: &mut WorkflowContext<Self>) {
                    ctx.sleep(d).await;
                    let now = ctx.now();
                    self::sleep(d);
                    random();
                    futures::select_biased! {
                        _ = ctx.sleep(d) => {},
                        n = ctx.wait_condition(|s| s.done) => n,
                    };
                    tokio::select! {
                        biased;
                        _ = ctx.sleep(d) => {}
                        else => {}
                    }
                    let ordered: BTreeMap<u8, u8> = BTreeMap::new();
                    for _ in &ordered {}
                    let index = HashMap::new();
                    index.get(&1);
                    let index = vec![1];
                    for _ in &index {}
                    let set: HashSet<u8> = HashSet::new();
                    ctx.state(|set| set.iter().count());
                }
            }
        });
        assert!(messages.is_empty(), "{messages:#?}");
    }

    #[test]
    fn use_items_in_the_method_are_followed() {
        let messages = lint(parse_quote! {
            impl W {
                async fn run(ctx: &mut WorkflowContext<Self>) {
                    use std::time::SystemTime as Clock;
                    use tokio::time::{sleep as nap, self};
                    use rand::*;
                    nap(d).await;
                    Clock::now();
                    time::timeout(d, f);
                    random();
                    {
                        use crate::clock::now;
                        now();
                    }
                }
            }
        });
        let expected = [
            "`nap` (`tokio::time::sleep`) cannot be used",
            "`Clock::now()` (`std::time::SystemTime::now()`) is not deterministic",
            "`time::timeout` (`tokio::time::timeout`) cannot be used",
            "`random` (`rand::random`) is not deterministic",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (message, start) in messages.iter().zip(expected) {
            assert!(message.contains(start), "{start} not in {message}");
        }
    }

    #[test]
    fn bare_sleep_and_spawn_are_taken_for_tokio_or_std_unless_declared_in_the_method() {
        let messages = lint(parse_quote! {
            impl W {
                async fn run(ctx: &mut WorkflowContext<Self>) {
                    sleep(d).await;
                    spawn(async {});
                    ctx.sleep(d).await;
                    self::sleep(d);
                    helpers::spawn(f);
                    {
                        fn spawn(f: F) {}
                        spawn(f);
                    }
                    {
                        use crate::pause::sleep;
                        sleep(d);
                    }
                    let sleep = |d| d;
                    sleep(d);
                }
            }
        });
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("`sleep(..)` is probably"), "{messages:#?}");
        assert!(messages[1].contains("`spawn(..)` is probably"), "{messages:#?}");
    }

    #[test]
    fn select_is_rejected_unless_biased_and_its_branches_are_checked() {
        let messages = lint(parse_quote! {
            impl W {
                async fn run(ctx: &mut WorkflowContext<Self>) {
                    tokio::select! {
                        _ = ctx.sleep(d) => {}
                        v = ctx.wait_condition(|s| s.done), if ready => v,
                    }
                    select! {
                        _ = ctx.sleep(d) => {},
                    }
                    futures::select_biased! {
                        _ = tokio::time::sleep(d) => {},
                        complete => {},
                    }
                }
            }
        });
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("`tokio::select!` cannot be used"), "{messages:#?}");
        assert!(messages[1].contains("`select!` cannot be used"), "{messages:#?}");
        assert!(
            messages[2].contains("`tokio::time::sleep` cannot be used"),
            "{messages:#?}"
        );
    }

    #[test]
    fn the_opt_out_does_not_cover_what_cannot_work() {
        let messages = lint(parse_quote! {
            impl W {
                #[workflow::nondeterministic]
                async fn log(ctx: &mut WorkflowContext<Self>) {
                    SystemTime::now();
                    tokio::time::sleep(d).await;
                }
                fn g(&self) {
                    #[workflow::nondeterministic]
                    let handle = tokio::spawn(f);
                }
            }
        });
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(
            messages.iter().all(|m| m.contains("does not cover it")),
            "{messages:#?}"
        );
        assert!(
            messages.iter().all(|m| !m.contains("where this is deliberate")),
            "{messages:#?}"
        );
    }

    #[test]
    fn hashed_locals_are_tracked_by_annotation_initializer_and_parameter() {
        let messages = lint(parse_quote! {
            impl W {
                fn f(&self, given: &HashMap<u8, u8>) {
                    let a: HashMap<u8, u8> = make();
                    let b = HashSet::<u8>::with_capacity(1);
                    let c = it.collect::<HashSet<u8>>();
                    let d = c.clone();
                    for _ in a.keys() {}
                    for _ in &b {}
                    c.into_iter();
                    for _ in d.drain() {}
                    given.values();
                    {
                        let a = Vec::new();
                        for _ in &a {}
                    }
                }
            }
        });
        assert_eq!(messages.len(), 5, "{messages:#?}");
        assert!(messages.iter().all(|m| m.contains("iterating")), "{messages:#?}");
    }

    #[test]
    fn opt_out_covers_a_method_or_a_let_statement() {
        let messages = lint(parse_quote! {
            impl W {
                #[workflow::nondeterministic]
                fn f(&self) { SystemTime::now(); }
                fn g(&self) {
                    #[workflow::nondeterministic]
                    let t = SystemTime::now();
                    #[workflow::nondeterministic]
                    std::thread::sleep(d);
                }
            }
        });
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("goes on a method"), "{messages:#?}");
        assert!(messages[1].contains("`std::thread::sleep`"), "{messages:#?}");
    }

    #[test]
    fn opt_outs_are_stripped_from_methods_and_bodies() {
        let item: ItemImpl = parse_quote! {
            impl W {
                #[workflow::nondeterministic]
                #[inline]
                fn f(&self) {
                    #[workflow::nondeterministic]
                    let t = SystemTime::now();
                    #[allow(unused)]
                    let u = 1;
                }
            }
        };
        let ImplItem::Fn(mut method) = item.items[0].clone() else {
            unreachable!()
        };
        strip(&mut method, &parse_quote!(::workflow));
        let out = method.to_token_stream().to_string();
        assert!(!out.contains("nondeterministic"), "{out}");
        let kept = quote!(#[inline]).to_string();
        assert!(out.contains(&kept) && out.contains("allow"), "{out}");
    }
}
