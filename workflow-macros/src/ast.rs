//! The trees the checks and the expansion work on. Each node borrows the
//! user's syntax so every error can point at it.

use darling::util::SpannedValue;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, ItemFn, ItemImpl, PatType, Path, PathArguments,
    PathSegment, ReturnType, Type,
};

use crate::attr::{self, ItemArgs, Kind, Naming, UnfinishedPolicy};
use crate::errors::Errors;

/// The type a workflow handler's context parameter has (behind a reference).
pub const WORKFLOW_CONTEXT: &str = "WorkflowContext";
/// The type an activity's optional first parameter has.
pub const ACTIVITY_CONTEXT: &str = "ActivityContext";

/// A `#[workflow::defn] impl T { ... }` block.
pub struct Workflow<'a> {
    pub item: &'a ItemImpl,
    /// The last segment of the implemented type: the default workflow name.
    pub ident: &'a Ident,
    pub args: ItemArgs,
    pub krate: Path,
    /// Every method carrying one of our attributes, in source order.
    pub handlers: Vec<Handler<'a>>,
}

impl<'a> Workflow<'a> {
    /// `None` (with the problem reported) when the impl cannot hold a
    /// workflow at all: a trait impl, or a type without a name.
    pub fn parse(item: &'a ItemImpl, args: ItemArgs, errors: &mut Errors) -> Option<Self> {
        if let Some((_, path, _)) = &item.trait_ {
            errors.spanned(
                path,
                "`#[workflow::defn]` goes on an inherent impl block: `#[workflow::defn] impl MyWorkflow { ... }`",
            );
            return None;
        }
        let Some(ident) = last_segment(&item.self_ty).map(|s| &s.ident) else {
            errors.spanned(
                &item.self_ty,
                "`#[workflow::defn]` goes on the impl block of a named struct or enum holding the workflow's state",
            );
            return None;
        };
        let krate = args.krate();
        let handlers = item
            .items
            .iter()
            .filter_map(|item| match item {
                ImplItem::Fn(method) => Handler::parse(method, &krate, &args, errors),
                _ => None,
            })
            .collect();
        Some(Workflow {
            item,
            ident,
            args,
            krate,
            handlers,
        })
    }

    /// The workflow type's wire name.
    pub fn name(&self) -> String {
        match &self.args.naming.name {
            Some(name) => name.value(),
            None => self.ident.to_string(),
        }
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Handler<'a>> {
        self.handlers.iter().filter(move |h| h.kind == kind)
    }

    pub fn run(&self) -> Option<&Handler<'a>> {
        self.of_kind(Kind::Run).next()
    }

    pub fn init(&self) -> Option<&Handler<'a>> {
        self.of_kind(Kind::Init).next()
    }

    /// Handlers of `kind` dispatched by their own name.
    pub fn statics(&self, kind: Kind) -> impl Iterator<Item = &Handler<'a>> {
        self.of_kind(kind).filter(|h| !h.is_dynamic())
    }

    /// The handler of `kind` receiving names no static handler takes.
    pub fn dynamic(&self, kind: Kind) -> Option<&Handler<'a>> {
        self.of_kind(kind).find(|h| h.is_dynamic())
    }

    /// The validator of update `update`, if any.
    pub fn validator_of(&self, update: &Handler) -> Option<&Handler<'a>> {
        self.of_kind(Kind::Validator)
            .find(|v| v.validates.as_ref() == Some(update.ident()))
    }

    /// The method most likely meant as the run method when none is marked:
    /// one named `run`, else the only `async fn` taking the workflow context
    /// first. The error points at it, and the fallback expansion treats it
    /// as the run method so that uses of the workflow still compile.
    pub fn unmarked_run(&self) -> Option<&'a ImplItemFn> {
        if self.run().is_some() {
            return None;
        }
        let unmarked = || {
            self.item.items.iter().filter_map(|item| match item {
                ImplItem::Fn(method) if self.handler_of(method).is_none() => Some(method),
                _ => None,
            })
        };
        unmarked().find(|method| method.sig.ident == "run").or_else(|| {
            let mut taking_context = unmarked().filter(|method| {
                method.sig.asyncness.is_some()
                    && matches!(
                        Signature::parse(&method.sig, WORKFLOW_CONTEXT).context,
                        Context::Param(_)
                    )
            });
            let first = taking_context.next()?;
            taking_context.next().is_none().then_some(first)
        })
    }

    /// The handler parsed from `method`, if it is one.
    pub fn handler_of(&self, method: &ImplItemFn) -> Option<&Handler<'a>> {
        self.handlers.iter().find(|h| std::ptr::eq(h.method, method))
    }
}

/// A method with one of our attributes.
pub struct Handler<'a> {
    pub kind: Kind,
    pub attr: &'a Attribute,
    /// Further marker attributes on the same method: each is an error.
    pub extra: Vec<(Kind, &'a Attribute)>,
    pub method: &'a ImplItemFn,
    /// `name` / `dynamic`; for the run method, the workflow's `dynamic`.
    pub naming: Naming,
    /// `unfinished_policy = "..."`, where given.
    pub unfinished_policy: Option<SpannedValue<UnfinishedPolicy>>,
    /// For a validator: the update method it checks.
    pub validates: Option<Ident>,
    pub sig: Signature<'a>,
}

impl<'a> Handler<'a> {
    fn parse(method: &'a ImplItemFn, krate: &Path, workflow: &ItemArgs, errors: &mut Errors) -> Option<Self> {
        let mut markers = method
            .attrs
            .iter()
            .filter_map(|attr| Kind::of(attr, krate).map(|kind| (kind, attr)));
        let (kind, attr) = markers.next()?;
        let extra = markers.collect();
        let mut naming = Naming::default();
        let mut unfinished_policy = None;
        let mut validates = None;
        match kind {
            Kind::Run => {
                attr::no_options(attr, kind, errors);
                naming.dynamic = workflow.naming.dynamic;
            }
            Kind::Init => attr::no_options(attr, kind, errors),
            Kind::Signal | Kind::Query | Kind::Update => {
                let args = attr::handler_options(attr, kind, errors);
                naming = args.naming;
                unfinished_policy = args.unfinished_policy;
            }
            Kind::Validator => validates = Some(attr::validator_target(attr, errors)?),
        }
        Some(Handler {
            kind,
            attr,
            extra,
            method,
            naming,
            unfinished_policy,
            validates,
            sig: Signature::parse(&method.sig, WORKFLOW_CONTEXT),
        })
    }

    pub fn ident(&self) -> &'a Ident {
        &self.method.sig.ident
    }

    pub fn is_dynamic(&self) -> bool {
        self.naming.is_dynamic()
    }

    pub fn is_async(&self) -> bool {
        self.method.sig.asyncness.is_some()
    }

    /// Whether a marker const takes the method's name (so the method is renamed).
    pub fn has_marker(&self) -> bool {
        self.kind.marker_type().is_some() && !self.is_dynamic()
    }

    /// What generated code calls: the renamed method when a marker took its name.
    pub fn callee(&self) -> Ident {
        let ident = self.ident();
        if self.has_marker() {
            format_ident!("__workflow_{}", ident, span = ident.span())
        } else {
            ident.clone()
        }
    }

    /// The method's doc comment as text, one line per `///` line with the
    /// space after the slashes dropped: what Temporal's workflow metadata
    /// shows as the handler's description.
    pub fn description(&self) -> String {
        let lines = self.method.attrs.iter().filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        });
        let lines: Vec<String> = lines
            .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
            .collect();
        lines.join("\n").trim().to_owned()
    }

    /// The handler's wire name: `name = "..."` or the method's name.
    pub fn wire_name(&self) -> String {
        match &self.naming.name {
            Some(name) => name.value(),
            None => self.ident().to_string(),
        }
    }

    /// Whether the run may finish while this handler runs without a warning.
    pub fn abandons_quietly(&self) -> bool {
        self.unfinished_policy
            .as_ref()
            .is_some_and(|policy| **policy == UnfinishedPolicy::Abandon)
    }

    /// Where the wire name is written.
    pub fn wire_name_span(&self) -> Span {
        match &self.naming.name {
            Some(name) => name.span(),
            None => self.ident().span(),
        }
    }
}

/// An activity: an `#[workflow::activity] async fn`, or a method of an
/// `#[workflow::activities]` impl block.
pub struct Activity<'a> {
    /// Its attributes; the docs go on the marker.
    pub attrs: &'a [Attribute],
    /// `name = "..."` / `dynamic`.
    pub naming: Naming,
    /// The signature after the receiver (see [`Signature::after_receiver`]).
    pub sig: Signature<'a>,
    /// For a method, the type of its impl block; `None` for a function.
    pub owner: Option<&'a Ident>,
}

impl<'a> Activity<'a> {
    pub fn ident(&self) -> &'a Ident {
        &self.sig.sig.ident
    }

    /// The activity's wire name: `name = "..."` or the function's name.
    pub fn name(&self) -> String {
        match &self.naming.name {
            Some(name) => name.value(),
            None => self.ident().to_string(),
        }
    }

    /// Where the wire name is written.
    pub fn name_span(&self) -> Span {
        match &self.naming.name {
            Some(name) => name.span(),
            None => self.ident().span(),
        }
    }

    pub fn is_dynamic(&self) -> bool {
        self.naming.is_dynamic()
    }
}

/// An `#[workflow::activity] async fn`.
pub struct ActivityFn<'a> {
    pub item: &'a ItemFn,
    pub krate: Path,
    pub activity: Activity<'a>,
}

impl<'a> ActivityFn<'a> {
    pub fn parse(item: &'a ItemFn, args: ItemArgs) -> Self {
        ActivityFn {
            item,
            krate: args.krate(),
            activity: Activity {
                attrs: &item.attrs,
                naming: args.naming,
                sig: Signature::after_receiver(&item.sig, ACTIVITY_CONTEXT),
                owner: None,
            },
        }
    }
}

/// An `#[workflow::activities] impl T { ... }` block: each method is an
/// activity run on a shared instance of `T`.
pub struct ActivityImpl<'a> {
    pub item: &'a ItemImpl,
    /// The last segment of the implemented type: what messages call it.
    pub ident: &'a Ident,
    pub args: ItemArgs,
    pub krate: Path,
    /// Every method, in source order.
    pub methods: Vec<ActivityMethod<'a>>,
}

impl<'a> ActivityImpl<'a> {
    /// `None` (with the problem reported) when the impl cannot hold
    /// activities at all: a trait impl, a generic impl, or a type without
    /// a name.
    pub fn parse(item: &'a ItemImpl, args: ItemArgs, errors: &mut Errors) -> Option<Self> {
        if let Some((_, path, _)) = &item.trait_ {
            errors.spanned(
                path,
                "`#[workflow::activities]` goes on an inherent impl block, not a trait impl: \
                 `#[workflow::activities] impl Payments { async fn charge(&self, ..) }`",
            );
            return None;
        }
        if !item.generics.params.is_empty() {
            errors.spanned(
                &item.generics,
                "`#[workflow::activities]` does not support generic impl blocks: a worker registers \
                 each activity name once, for one type; implement the activities on a concrete type",
            );
            return None;
        }
        let Some(ident) = last_segment(&item.self_ty).map(|s| &s.ident) else {
            errors.spanned(
                &item.self_ty,
                "`#[workflow::activities]` goes on the impl block of a named struct or enum holding \
                 what the activities share (clients, pools, settings)",
            );
            return None;
        };
        let krate = args.krate();
        let methods = item
            .items
            .iter()
            .filter_map(|member| match member {
                ImplItem::Fn(method) => Some(ActivityMethod::parse(method, ident, &krate, errors)),
                _ => None,
            })
            .collect();
        Some(ActivityImpl {
            item,
            ident,
            args,
            krate,
            methods,
        })
    }
}

/// A method of an `#[workflow::activities]` impl block.
pub struct ActivityMethod<'a> {
    pub method: &'a ImplItemFn,
    /// The `#[workflow::activity(..)]` attributes on it: the first gives
    /// the options, any other is an error.
    pub markers: Vec<&'a Attribute>,
    pub activity: Activity<'a>,
}

impl<'a> ActivityMethod<'a> {
    fn parse(method: &'a ImplItemFn, owner: &'a Ident, krate: &Path, errors: &mut Errors) -> Self {
        let markers: Vec<&Attribute> = method
            .attrs
            .iter()
            .filter(|attr| attr::is_activity(attr, krate))
            .collect();
        let naming = markers
            .first()
            .map(|attr| attr::activity_options(attr, errors))
            .unwrap_or_default();
        ActivityMethod {
            method,
            markers,
            activity: Activity {
                attrs: &method.attrs,
                naming,
                sig: Signature::after_receiver(&method.sig, ACTIVITY_CONTEXT),
                owner: Some(owner),
            },
        }
    }
}

/// A handler's or activity's signature, split into what the macros care about.
pub struct Signature<'a> {
    pub sig: &'a syn::Signature,
    /// Which context type a context parameter has.
    pub context_type: &'static str,
    pub context: Context<'a>,
    /// The parameters after `self` or the context: the wire arguments.
    pub params: Vec<&'a PatType>,
    pub output: Output<'a>,
}

/// What comes before the wire arguments.
pub enum Context<'a> {
    None,
    Receiver(&'a syn::Receiver),
    /// A first parameter of the context type.
    Param(&'a PatType),
}

impl<'a> Signature<'a> {
    pub fn parse(sig: &'a syn::Signature, context_type: &'static str) -> Self {
        Signature::parse_from(sig, context_type, 0)
    }

    /// The signature of an activity, whose context parameter comes after
    /// the receiver when there is one (`&self, ctx: ActivityContext, ..`);
    /// the receiver is `sig.receiver()`.
    pub fn after_receiver(sig: &'a syn::Signature, context_type: &'static str) -> Self {
        Signature::parse_from(sig, context_type, usize::from(sig.receiver().is_some()))
    }

    /// The signature with the context looked for at parameter `first`.
    fn parse_from(sig: &'a syn::Signature, context_type: &'static str, first: usize) -> Self {
        let context = match sig.inputs.iter().nth(first) {
            Some(FnArg::Receiver(receiver)) => Context::Receiver(receiver),
            Some(FnArg::Typed(param)) if is_context(&param.ty, context_type) => Context::Param(param),
            _ => Context::None,
        };
        let skip = first + usize::from(!matches!(context, Context::None));
        let params = sig
            .inputs
            .iter()
            .skip(skip)
            .filter_map(|arg| match arg {
                FnArg::Typed(param) => Some(param),
                FnArg::Receiver(_) => None,
            })
            .collect();
        Signature {
            sig,
            context_type,
            context,
            params,
            output: Output::parse(&sig.output),
        }
    }

    pub fn param_types(&self) -> impl Iterator<Item = &'a Type> + '_ {
        self.params.iter().map(|p| &*p.ty)
    }

    /// Whether the context parameter is taken as `&mut` (so callers need a mutable binding).
    pub fn context_is_mut(&self) -> bool {
        match self.context {
            Context::Param(param) => matches!(&*param.ty, Type::Reference(r) if r.mutability.is_some()),
            _ => false,
        }
    }
}

/// What a handler returns.
pub enum Output<'a> {
    /// Nothing, or `()`.
    Unit,
    /// A value that is the result.
    Plain(&'a Type),
    /// `Result<T, E>` / `WorkflowResult<T>` (by the last path segment).
    Fallible { ty: &'a Type, ok: Option<&'a Type> },
}

impl<'a> Output<'a> {
    fn parse(output: &'a ReturnType) -> Self {
        let ty = match output {
            ReturnType::Default => return Output::Unit,
            ReturnType::Type(_, ty) => &**ty,
        };
        if is_unit(ty) {
            return Output::Unit;
        }
        match last_segment(ty) {
            Some(segment) if segment.ident == "Result" || segment.ident == "WorkflowResult" => Output::Fallible {
                ty,
                ok: first_type_argument(segment),
            },
            _ => Output::Plain(ty),
        }
    }

    /// The success value's type: `()` for none.
    pub fn value(&self) -> TokenStream {
        match self {
            Output::Unit | Output::Fallible { ok: None, .. } => quote!(()),
            Output::Plain(ty) | Output::Fallible { ok: Some(ty), .. } => ty.to_token_stream(),
        }
    }

    /// The success value's type as written, when there is one besides `()`.
    pub fn value_type(&self) -> Option<&'a Type> {
        match self {
            Output::Unit | Output::Fallible { ok: None, .. } => None,
            Output::Fallible { ok: Some(ty), .. } if is_unit(ty) => None,
            Output::Plain(ty) | Output::Fallible { ok: Some(ty), .. } => Some(ty),
        }
    }

    pub fn is_fallible(&self) -> bool {
        matches!(self, Output::Fallible { .. })
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ungroup(ty), Type::Tuple(t) if t.elems.is_empty())
}

/// Looks through invisible groups and parentheses macro_rules may add.
pub fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungroup(&group.elem),
        Type::Paren(paren) => ungroup(&paren.elem),
        _ => ty,
    }
}

pub fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match ungroup(ty) {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    }
}

pub fn first_type_argument(segment: &PathSegment) -> Option<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    }
}

/// `ty`, or what it refers to.
pub fn unref(ty: &Type) -> &Type {
    match ungroup(ty) {
        Type::Reference(r) => &r.elem,
        other => other,
    }
}

/// Whether `ty` names the type `name` (by its last path segment).
pub fn is_named(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name)
}

/// `WorkflowContext<..>` / `&mut WorkflowContext<..>` and the like.
pub fn is_context(ty: &Type, context_type: &str) -> bool {
    is_named(unref(ty), context_type)
}

/// `Vec<RawValue>`.
pub fn is_raw_values(ty: &Type) -> bool {
    last_segment(ty)
        .filter(|s| s.ident == "Vec")
        .and_then(first_type_argument)
        .is_some_and(|item| is_named(item, "RawValue"))
}

/// Syntactic equality: what the macro can tell before type checking.
pub fn same_type(a: &Type, b: &Type) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}
