//! The attributes and their options, parsed declaratively with darling.

use std::collections::HashSet;
use std::fmt;

use darling::ast::NestedMeta;
use darling::util::{Flag, SpannedValue};
use darling::FromMeta;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{parse_quote, Attribute, Ident, LitStr, Meta, Path};

use crate::errors::Errors;

/// The attributes that mark methods inside a `#[workflow::defn]` impl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Init,
    Signal,
    Query,
    Update,
    Validator,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Run,
        Kind::Init,
        Kind::Signal,
        Kind::Query,
        Kind::Update,
        Kind::Validator,
    ];

    /// The attribute's name, as in `#[workflow::<name>]`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Init => "init",
            Kind::Signal => "signal",
            Kind::Query => "query",
            Kind::Update => "update",
            Kind::Validator => "validator",
        }
    }

    /// The marker type of a handler of this kind in `__private`.
    pub fn marker_type(self) -> Option<&'static str> {
        match self {
            Kind::Run => Some("Run"),
            Kind::Signal => Some("Signal"),
            Kind::Query => Some("Query"),
            Kind::Update => Some("Update"),
            Kind::Init | Kind::Validator => None,
        }
    }

    /// The marker `attr` is, recognised as `is_ours` says.
    pub fn of(attr: &Attribute, krate: &Path) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| is_ours(attr, k.name(), krate))
    }
}

/// The opt-out of the determinism lint, as in `#[workflow::nondeterministic]`.
pub const NONDETERMINISTIC: &str = "nondeterministic";

/// Whether `attr` is `#[workflow::nondeterministic]`, recognised like the
/// handler attributes.
pub fn is_nondeterministic(attr: &Attribute, krate: &Path) -> bool {
    is_ours(attr, NONDETERMINISTIC, krate)
}

/// `#[workflow::activity]`, which names a method of an
/// `#[workflow::activities]` impl block.
const ACTIVITY: &str = "activity";

/// Whether `attr` is `#[workflow::activity]`, recognised like the handler
/// attributes.
pub fn is_activity(attr: &Attribute, krate: &Path) -> bool {
    is_ours(attr, ACTIVITY, krate)
}

/// Options of `#[workflow::activity]` on a method of an
/// `#[workflow::activities]` impl block: `name = "..."`, `dynamic`.
pub fn activity_options(attr: &Attribute, errors: &mut Errors) -> Naming {
    let items = list_items(attr, errors).unwrap_or_default();
    errors.darling(Naming::from_list(&items)).unwrap_or_default()
}

/// Whether `attr` is our attribute `name`: written with the facade's name
/// (`#[workflow::signal]`), the name `crate = "..."` gives it (any path
/// ending in it, as `use` makes it reachable by several), or imported
/// (`#[signal]`).
fn is_ours(attr: &Attribute, name: &str, krate: &Path) -> bool {
    let path = attr.path();
    let mut segments = path.segments.iter().rev().map(|s| &s.ident);
    if segments.next().is_none_or(|last| last != name) {
        return false;
    }
    match segments.next() {
        None => path.leading_colon.is_none(),
        Some(facade) => facade == "workflow" || krate.segments.last().is_some_and(|s| s.ident == *facade),
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`#[workflow::{}]`", self.name())
    }
}

/// `name = "..."` and `dynamic`, shared by handlers, workflows and activities.
#[derive(Debug, Default, FromMeta)]
pub struct Naming {
    pub name: Option<LitStr>,
    pub dynamic: Flag,
}

impl Naming {
    pub fn is_dynamic(&self) -> bool {
        self.dynamic.is_present()
    }
}

/// Options of `#[workflow::defn]`, `#[workflow::activity]` and
/// `#[workflow::activities]` (which takes `crate` only).
#[derive(Debug, Default, FromMeta)]
pub struct ItemArgs {
    #[darling(flatten)]
    pub naming: Naming,
    #[darling(rename = "crate")]
    pub krate: Option<Path>,
}

impl ItemArgs {
    /// Parses the attribute's arguments; problems are reported and leave defaults.
    pub fn parse(args: TokenStream, errors: &mut Errors) -> Self {
        let Some(items) = errors.syn(NestedMeta::parse_meta_list(args)) else {
            return ItemArgs::default();
        };
        let items = dedup(items, errors);
        errors.darling(ItemArgs::from_list(&items)).unwrap_or_default()
    }

    /// The path generated code reaches the facade by.
    pub fn krate(&self) -> Path {
        self.krate.clone().unwrap_or_else(|| parse_quote!(::workflow))
    }
}

/// What happens to a signal or update handler still running when the run
/// method returns: `unfinished_policy = "..."`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnfinishedPolicy {
    /// The run finishes and a warning names the handler (the default).
    WarnAndAbandon,
    /// The run finishes without a warning: the handler may be cut short.
    Abandon,
}

impl UnfinishedPolicy {
    const ALL: [UnfinishedPolicy; 2] = [UnfinishedPolicy::WarnAndAbandon, UnfinishedPolicy::Abandon];

    /// The option's value as written.
    fn value(self) -> &'static str {
        match self {
            UnfinishedPolicy::WarnAndAbandon => "warn_and_abandon",
            UnfinishedPolicy::Abandon => "abandon",
        }
    }
}

impl FromMeta for UnfinishedPolicy {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        let found = match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => {
                let value = text.value();
                if let Some(policy) = UnfinishedPolicy::ALL.into_iter().find(|p| p.value() == value) {
                    return Ok(policy);
                }
                format!("\"{value}\"")
            }
            other => format!("`{}`", other.to_token_stream()),
        };
        Err(darling::Error::custom(format!(
            "unknown `{UNFINISHED_POLICY}` {found}: write \"{}\" (the default: the run finishes with a \
             warning naming the handler) or \"{}\" (the run finishes quietly)",
            UnfinishedPolicy::WarnAndAbandon.value(),
            UnfinishedPolicy::Abandon.value(),
        ))
        .with_span(expr))
    }
}

/// The option `UnfinishedPolicy` is written as.
pub const UNFINISHED_POLICY: &str = "unfinished_policy";

/// Options of `#[workflow::signal]`, `#[workflow::query]`, `#[workflow::update]`.
#[derive(Debug, Default, FromMeta)]
pub struct HandlerArgs {
    #[darling(flatten)]
    pub naming: Naming,
    /// Signal and update handlers only.
    pub unfinished_policy: Option<SpannedValue<UnfinishedPolicy>>,
}

/// Options of `#[workflow::signal]`, `#[workflow::query]`, `#[workflow::update]`.
pub fn handler_options(attr: &Attribute, kind: Kind, errors: &mut Errors) -> HandlerArgs {
    let Some(items) = list_items(attr, errors) else {
        return HandlerArgs::default();
    };
    if matches!(kind, Kind::Signal | Kind::Update) {
        return errors.darling(HandlerArgs::from_list(&items)).unwrap_or_default();
    }
    let items: Vec<NestedMeta> = reject_unfinished_policy(&items, kind, errors)
        .into_iter()
        .cloned()
        .collect();
    HandlerArgs {
        naming: errors.darling(Naming::from_list(&items)).unwrap_or_default(),
        unfinished_policy: None,
    }
}

/// `#[workflow::run]` and `#[workflow::init]` take no options.
pub fn no_options(attr: &Attribute, kind: Kind, errors: &mut Errors) {
    let Meta::List(list) = &attr.meta else {
        return;
    };
    let items = NestedMeta::parse_meta_list(list.tokens.clone()).unwrap_or_default();
    let others = reject_unfinished_policy(&items, kind, errors);
    if others.len() == items.len() {
        errors.spanned(list, format!("{kind} takes no options: write it as {kind}"));
    }
}

/// Reports `unfinished_policy` given to `kind`, which only signal and update
/// handlers take, and returns the other items.
fn reject_unfinished_policy<'a>(items: &'a [NestedMeta], kind: Kind, errors: &mut Errors) -> Vec<&'a NestedMeta> {
    items
        .iter()
        .filter(|item| match item {
            NestedMeta::Meta(meta) if meta.path().is_ident(UNFINISHED_POLICY) => {
                errors.spanned(meta.path(), unfinished_policy_misplaced(kind));
                false
            }
            _ => true,
        })
        .collect()
}

/// Why `unfinished_policy` does not go on a handler of `kind`.
fn unfinished_policy_misplaced(kind: Kind) -> String {
    format!(
        "`{UNFINISHED_POLICY}` applies to signal and update handlers only, not to {kind}: it says whether \
         a handler still running when the run method returns is abandoned with a warning or quietly"
    )
}

/// The update method named by `#[workflow::validator(update_method)]`.
pub fn validator_target(attr: &Attribute, errors: &mut Errors) -> Option<Ident> {
    let fix = "name the update method this validator checks: \
               `#[workflow::validator(update_method)]`";
    let items = list_items(attr, errors).unwrap_or_default();
    let items = reject_unfinished_policy(&items, Kind::Validator, errors);
    match items.as_slice() {
        [NestedMeta::Meta(Meta::Path(path))] if path.get_ident().is_some() => path.get_ident().cloned(),
        [] => {
            errors.spanned(attr, fix);
            None
        }
        [first, ..] => {
            errors.spanned(first, fix);
            None
        }
    }
}

/// The items of `#[attr(...)]`, `None` for a bare `#[attr]`.
fn list_items(attr: &Attribute, errors: &mut Errors) -> Option<Vec<NestedMeta>> {
    match &attr.meta {
        Meta::Path(_) => None,
        Meta::List(list) => {
            let items = errors.syn(NestedMeta::parse_meta_list(list.tokens.clone()))?;
            Some(dedup(items, errors))
        }
        Meta::NameValue(nv) => {
            errors.spanned(
                nv,
                "options go in parentheses, e.g. `#[workflow::signal(name = \"...\")]`",
            );
            None
        }
    }
}

/// Reports a repeated option at its second occurrence and drops it, so the
/// message says what to do rather than darling's generic one.
fn dedup(items: Vec<NestedMeta>, errors: &mut Errors) -> Vec<NestedMeta> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|item| {
            let NestedMeta::Meta(meta) = item else {
                return true;
            };
            let key = meta.path().to_token_stream().to_string();
            let first = seen.insert(key.clone());
            if !first {
                errors.spanned(meta.path(), format!("`{key}` is given more than once: keep one"));
            }
            first
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(attr: Attribute, krate: Path) -> Option<Kind> {
        Kind::of(&attr, &krate)
    }

    #[test]
    fn markers_are_recognised_by_the_facade_or_crate_path_only() {
        let facade: Path = parse_quote!(::workflow);
        let reexport: Path = parse_quote!(crate::reexport::wf);
        assert_eq!(
            kind(parse_quote!(#[workflow::signal]), facade.clone()),
            Some(Kind::Signal)
        );
        assert_eq!(
            kind(parse_quote!(#[query(name = "q")]), facade.clone()),
            Some(Kind::Query)
        );
        assert_eq!(
            kind(parse_quote!(#[reexport::wf::update]), reexport),
            Some(Kind::Update)
        );
        assert_eq!(kind(parse_quote!(#[tokio::test]), facade.clone()), None);
        assert_eq!(kind(parse_quote!(#[other::run]), facade), None);
    }
}
