//! `#[workflow::defn]`: the user's impl with handlers renamed, the marker
//! consts taking their names, and the `WorkflowType` and
//! `WorkflowDefinition` impls the client and the executor consume.
//!
//! When the impl has problems, the same items are generated with bodies
//! that are never run (thiserror's fallback): `worker.workflow::<W>()`,
//! `W::run` and every other use still compile, so the user sees the
//! problems in the impl and nothing else.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_quote, Attribute, Ident, ImplItem, ImplItemFn, ItemImpl, Path, Type};

use super::{
    args_type, decode, dynamic_args, encode, encode_output, encode_raw, encode_run_output, hide, into_result, is_doc,
    payload, private, with_error,
};
use crate::ast::{Handler, Signature, Workflow, WORKFLOW_CONTEXT};
use crate::attr::{ItemArgs, Kind};
use crate::check;
use crate::determinism;
use crate::errors::Errors;

pub fn defn(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<ItemImpl>(input.clone()) else {
        return with_error(
            "`#[workflow::defn]` goes on the impl block of the workflow's state type: \
             `#[workflow::defn] impl MyWorkflow { ... }`",
            input,
        );
    };
    let mut errors = Errors::default();
    let args = ItemArgs::parse(args, &mut errors);
    let krate = args.krate();
    let workflow = Workflow::parse(&item, args, &mut errors);
    if let Some(w) = &workflow {
        check::workflow(w, &mut errors);
    }
    let tokens = match (&workflow, errors.finish()) {
        (Some(w), Ok(())) => match w.run() {
            Some(run) => expand(w, run),
            None => fallback(w),
        },
        (Some(w), Err(errors)) => {
            let fallback = fallback(w);
            quote!(#fallback #errors)
        }
        (None, result) => {
            // Not a workflow at all (a trait impl, an unnamed type): the impl
            // as written, minus our attributes, keeps the user's other code
            // compiling.
            let item = strip_markers(&item, &krate);
            let errors = result.err();
            quote!(#item #errors)
        }
    };
    super::debug("#[workflow::defn]", &tokens);
    tokens
}

fn expand(w: &Workflow, run: &Handler) -> TokenStream {
    let p = private(&w.krate);
    let markers = w
        .handlers
        .iter()
        .filter(|h| h.has_marker())
        .map(|h| Marker::of(w, h).expand(&p, Encoding::Real))
        .collect();
    let definition = definition(w, run, &p);
    generate(w, handler_impl(w), markers, run.sig.output.value(), definition, &p)
}

/// The workflow's API for an impl with problems: the markers, `run` among
/// them even when the run method is missing, and the trait impls, all with
/// bodies that are never run. A method that looks like the run method but
/// is not marked (a common slip) is taken for it, so that `W::run` keeps
/// its arguments.
fn fallback(w: &Workflow) -> TokenStream {
    let p = private(&w.krate);
    let mut item = handler_impl(w);
    let mut markers: Vec<TokenStream> = w
        .handlers
        .iter()
        .filter(|h| h.has_marker())
        .map(|h| Marker::of(w, h).expand(&p, Encoding::Never))
        .collect();
    let unmarked = w.unmarked_run();
    let unmarked_sig = unmarked.map(|method| Signature::parse(&method.sig, WORKFLOW_CONTEXT));
    let no_run: syn::Signature = parse_quote!(fn run(ctx: &mut WorkflowContext<Self>));
    let no_run = Signature::parse(&no_run, WORKFLOW_CONTEXT);
    // A dynamic workflow's run method has no marker.
    let run_marker = match (unmarked, &unmarked_sig) {
        _ if w.args.naming.is_dynamic() => None,
        (Some(method), Some(sig)) => {
            rename_out_of_the_way(&mut item, method);
            let docs = method.attrs.iter().filter(|attr| is_doc(attr));
            Some(Marker::run(w, &method.sig.ident, sig, docs).expand(&p, Encoding::Never))
        }
        _ if w.run().is_none() && !has_item_named(w.item, "run") => {
            let ident = Ident::new("run", w.item.self_ty.span());
            Some(Marker::run(w, &ident, &no_run, [].into_iter()).expand(&p, Encoding::Never))
        }
        _ => None,
    };
    markers.extend(run_marker);
    let run_sig = w.run().map(|run| &run.sig).or(unmarked_sig.as_ref());
    let output = run_sig.map_or_else(|| quote!(()), |sig| sig.output.value());
    let input = if w.args.naming.is_dynamic() {
        quote!(::std::vec::Vec<#p::RawValue>)
    } else {
        let types: Vec<&Type> = run_sig.map(|sig| sig.param_types().collect()).unwrap_or_default();
        args_type(&types)
    };
    let definition = definition_never_run(w, &input, &p);
    generate(w, item, markers, output, definition, &p)
}

/// Everything `#[workflow::defn]` emits: the user's impl (as prepared) and,
/// in one `const _` block, the payload support, the markers, the trait
/// impls and the payload checks.
fn generate(
    w: &Workflow,
    item: ItemImpl,
    markers: Vec<TokenStream>,
    output: TokenStream,
    definition: TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let self_ty = &w.item.self_ty;
    let name = w.name();
    let support = payload::support(p);
    let run_output_support = payload::run_output_support(p);
    let checks = payload::checks(serde_types(w));
    quote! {
        #item

        const _: () = {
            #support
            #run_output_support

            #[allow(non_upper_case_globals, private_interfaces)]
            impl #self_ty {
                #(#markers)*
            }

            #[automatically_derived]
            impl #p::WorkflowType for #self_ty {
                const NAME: &'static str = #name;
                type Output = #output;
            }

            #definition

            impl #self_ty {
                #checks
            }
        };
    }
}

/// The impl without our attributes (including the determinism opt-outs
/// in method bodies).
fn strip_markers(item: &ItemImpl, krate: &Path) -> ItemImpl {
    let mut item = item.clone();
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member {
            method.attrs.retain(|attr| Kind::of(attr, krate).is_none());
            determinism::strip(method, krate);
        }
    }
    item
}

/// The impl with every handler that gets a marker renamed out of its way;
/// the handler's docs move to the marker, which is what users see.
fn handler_impl(w: &Workflow) -> ItemImpl {
    let mut item = strip_markers(w.item, &w.krate);
    for (original, member) in w.item.items.iter().zip(&mut item.items) {
        let (ImplItem::Fn(original), ImplItem::Fn(method)) = (original, member) else {
            continue;
        };
        if let Some(handler) = w.handler_of(original).filter(|h| h.has_marker()) {
            hide(&mut method.attrs, &mut method.sig, handler.callee());
        }
    }
    item
}

/// Renames `original`'s copy in `item` as a marked handler would be.
fn rename_out_of_the_way(item: &mut ItemImpl, original: &ImplItemFn) {
    let ident = &original.sig.ident;
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member {
            if method.sig.ident == *ident {
                hide(
                    &mut method.attrs,
                    &mut method.sig,
                    format_ident!("__workflow_{}", ident, span = ident.span()),
                );
            }
        }
    }
}

fn has_item_named(item: &ItemImpl, name: &str) -> bool {
    item.items.iter().any(|member| match member {
        ImplItem::Fn(f) => f.sig.ident == name,
        ImplItem::Const(c) => c.ident == name,
        ImplItem::Type(t) => t.ident == name,
        _ => false,
    })
}

/// What a marker's encode function does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Encodes the arguments.
    Real,
    /// Nothing: the fallback's markers are never used at run time, as the
    /// crate does not build.
    Never,
}

/// A marker const: `pub const submit_greeting: Signal<Self, String> = ...;`.
struct Marker<'a> {
    kind: Kind,
    ident: &'a Ident,
    /// The name it sends: the handler's, or the workflow's for the run method.
    wire: String,
    sig: &'a Signature<'a>,
    docs: Vec<&'a Attribute>,
    doc: String,
}

impl<'a> Marker<'a> {
    fn of(w: &Workflow, h: &'a Handler<'a>) -> Self {
        let docs = h.method.attrs.iter().filter(|attr| is_doc(attr));
        match h.kind {
            Kind::Run => Marker::run(w, h.ident(), &h.sig, docs),
            kind => {
                let wire = h.wire_name();
                let doc = match kind {
                    Kind::Signal => format!("Marker of signal \"{wire}\": pass it to `WorkflowHandle::signal`."),
                    Kind::Query => format!("Marker of query \"{wire}\": pass it to `WorkflowHandle::query`."),
                    _ => format!(
                        "Marker of update \"{wire}\": pass it to `WorkflowHandle::execute_update` or `start_update`."
                    ),
                };
                Marker {
                    kind,
                    ident: h.ident(),
                    wire,
                    sig: &h.sig,
                    docs: docs.collect(),
                    doc,
                }
            }
        }
    }

    /// The run method's marker, sending the workflow's name.
    fn run(w: &Workflow, ident: &'a Ident, sig: &'a Signature<'a>, docs: impl Iterator<Item = &'a Attribute>) -> Self {
        Marker {
            kind: Kind::Run,
            ident,
            wire: w.name(),
            sig,
            docs: docs.collect(),
            doc: format!(
                "Marker of workflow \"{}\": pass it to `Client::start_workflow`.",
                w.name()
            ),
        }
    }

    fn expand(&self, p: &TokenStream, encoding: Encoding) -> TokenStream {
        let Marker {
            ident, wire, docs, doc, ..
        } = self;
        let types: Vec<&Type> = self.sig.param_types().collect();
        let args = args_type(&types);
        let output = self.sig.output.value();
        let (marker, generics) = match self.kind {
            Kind::Signal => (quote!(Signal), quote!(<Self, #args>)),
            Kind::Query => (quote!(Query), quote!(<Self, #args, #output>)),
            Kind::Update => (quote!(Update), quote!(<Self, #args, #output>)),
            Kind::Run | Kind::Init | Kind::Validator => (quote!(Run), quote!(<Self, #args>)),
        };
        let encode = match encoding {
            Encoding::Real => {
                let (pattern, body) = encode(&types);
                quote!(|#pattern| #body)
            }
            Encoding::Never => quote!(|_| ::core::unreachable!()),
        };
        // Query and update markers decode their handler's result, so typed
        // calls need no serde bound of their own.
        let decode = matches!(self.kind, Kind::Query | Kind::Update).then(|| match encoding {
            Encoding::Real => {
                let decode = payload::decode_result(&output);
                quote!(, #decode)
            }
            Encoding::Never => quote!(, |_| ::core::unreachable!()),
        });
        quote! {
            #(#docs)*
            #[doc = #doc]
            pub const #ident: #p::#marker #generics = #p::#marker::__new(#wire, #encode #decode);
        }
    }
}

/// Types that travel as payloads: wire arguments and results. Not the run
/// method's result, which `WorkflowType::Output` checks (see
/// [`payload::run_output_support`]).
fn serde_types<'a>(w: &Workflow<'a>) -> Vec<&'a Type> {
    let mut types = Vec::new();
    for h in &w.handlers {
        if matches!(h.kind, Kind::Run | Kind::Signal | Kind::Query | Kind::Update) && !h.is_dynamic() {
            types.extend(h.sig.param_types());
        }
        if matches!(h.kind, Kind::Query | Kind::Update) {
            types.extend(h.sig.output.value_type());
        }
    }
    types
}

/// How a dispatch method holds its arguments.
#[derive(Clone, Copy)]
enum Payloads {
    /// `args: Vec<Payload>`
    Owned,
    /// `args: &[Payload]`
    Borrowed,
}

impl Payloads {
    fn slice(self) -> TokenStream {
        match self {
            Payloads::Owned => quote!(&args),
            Payloads::Borrowed => quote!(args),
        }
    }

    /// An iterator of owned payloads, for dynamic handlers.
    fn owned_iter(self, p: &TokenStream) -> TokenStream {
        match self {
            Payloads::Owned => quote!(::core::iter::IntoIterator::into_iter(args)),
            Payloads::Borrowed => quote!(::core::iter::Iterator::cloned(<[#p::Payload]>::iter(args))),
        }
    }
}

fn definition(w: &Workflow, run: &Handler, p: &TokenStream) -> TokenStream {
    let run_types: Vec<&Type> = run.sig.param_types().collect();
    let (input, (pattern, encode_input)) = if run.is_dynamic() {
        (quote!(::std::vec::Vec<#p::RawValue>), encode_raw(p))
    } else {
        (args_type(&run_types), encode(&run_types))
    };
    let query = |h: &Handler, args: &[Ident]| {
        let callee = h.callee();
        let result = into_result(
            &h.sig.output,
            quote!(Self::#callee(self, #(#args),*)),
            &quote!(#p::WorkflowError),
        );
        encode_output(&h.sig.output, result)
    };
    let methods = methods(
        p,
        Bodies {
            encode_input: quote! {
                let #pattern = input;
                #encode_input
            },
            create: create(w, p),
            run: run_body(run, p),
            signal: dispatch_fn(w, p, Method::Signal, &|h, args| dispatch(h, p, args, false)),
            query: dispatch_fn(w, p, Method::Query, &query),
            validate_update: dispatch_fn(w, p, Method::ValidateUpdate, &|h, args| validate(w, h, p, args)),
            update: dispatch_fn(w, p, Method::Update, &|h, args| dispatch(h, p, args, true)),
        },
    );
    definition_impl(w, &input, methods, p)
}

/// [`definition`] for the fallback: the same constants and types, and
/// methods that are never called, as the crate does not build.
fn definition_never_run(w: &Workflow, input: &TokenStream, p: &TokenStream) -> TokenStream {
    let never = quote!(::core::unreachable!("the workflow definition has compile errors"));
    let methods = methods(
        p,
        Bodies {
            encode_input: never.clone(),
            create: never.clone(),
            run: never.clone(),
            signal: never.clone(),
            query: never.clone(),
            validate_update: never.clone(),
            update: never,
        },
    );
    definition_impl(w, input, methods, p)
}

/// `impl WorkflowDefinition`: the wire names, the run arguments' type and
/// the dispatch `methods`.
fn definition_impl(w: &Workflow, input: &TokenStream, methods: TokenStream, p: &TokenStream) -> TokenStream {
    let self_ty = &w.item.self_ty;
    let dynamic = w.args.naming.is_dynamic();
    let names = |kind| w.statics(kind).map(Handler::wire_name).collect::<Vec<_>>();
    let (signals, queries, updates) = (names(Kind::Signal), names(Kind::Query), names(Kind::Update));
    let abandon = abandon_unfinished(w);
    let docs = handler_docs(w, p);
    quote! {
        #[automatically_derived]
        #[allow(unused_variables)]
        impl #p::WorkflowDefinition for #self_ty {
            const DYNAMIC: bool = #dynamic;
            const SIGNALS: &'static [&'static str] = &[#(#signals),*];
            const QUERIES: &'static [&'static str] = &[#(#queries),*];
            const UPDATES: &'static [&'static str] = &[#(#updates),*];
            const ABANDON_UNFINISHED: &'static [&'static str] = &[#(#abandon),*];
            const HANDLER_DOCS: &'static [#p::HandlerDoc] = &[#(#docs),*];
            type Input = #input;

            #methods
        }
    }
}

/// The signal, query and update handlers with their doc comments, in
/// source order; a dynamic handler has an empty name.
fn handler_docs(w: &Workflow, p: &TokenStream) -> Vec<TokenStream> {
    let kinds = [
        (Kind::Signal, quote!(Signal)),
        (Kind::Query, quote!(Query)),
        (Kind::Update, quote!(Update)),
    ];
    let mut docs = Vec::new();
    for (kind, variant) in kinds {
        for h in w.of_kind(kind) {
            let name = if h.is_dynamic() { String::new() } else { h.wire_name() };
            let description = h.description();
            docs.push(quote! {
                #p::HandlerDoc {
                    kind: #p::HandlerKind::#variant,
                    name: #name,
                    description: #description,
                }
            });
        }
    }
    docs
}

/// Wire names of the signal and update handlers marked
/// `unfinished_policy = "abandon"`, `"*"` standing for a dynamic one.
fn abandon_unfinished(w: &Workflow) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for h in w.handlers.iter().filter(|h| h.abandons_quietly()) {
        let name = if h.is_dynamic() { "*".to_owned() } else { h.wire_name() };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The bodies of `WorkflowDefinition`'s methods.
struct Bodies {
    encode_input: TokenStream,
    create: TokenStream,
    run: TokenStream,
    signal: TokenStream,
    query: TokenStream,
    validate_update: TokenStream,
    update: TokenStream,
}

/// `WorkflowDefinition`'s methods with `bodies`.
fn methods(p: &TokenStream, bodies: Bodies) -> TokenStream {
    let Bodies {
        encode_input,
        create,
        run,
        signal,
        query,
        validate_update,
        update,
    } = bodies;
    quote! {
        fn encode_input(
            input: Self::Input,
        ) -> ::core::result::Result<::std::vec::Vec<#p::Payload>, #p::PayloadError> {
            #encode_input
        }

        fn create(args: &[#p::Payload]) -> #p::WorkflowResult<Self> {
            #create
        }

        fn run(
            ctx: #p::WorkflowContext<Self>,
            args: ::std::vec::Vec<#p::Payload>,
        ) -> #p::LocalFuture<#p::WorkflowResult<#p::Payload>> {
            #run
        }

        fn signal(
            ctx: &#p::WorkflowContext<Self>,
            name: &str,
            args: ::std::vec::Vec<#p::Payload>,
        ) -> ::core::option::Option<#p::Dispatch<#p::WorkflowResult<()>>> {
            #signal
        }

        fn query(
            &self,
            name: &str,
            args: ::std::vec::Vec<#p::Payload>,
        ) -> ::core::option::Option<#p::WorkflowResult<#p::Payload>> {
            #query
        }

        fn validate_update(
            &self,
            name: &str,
            args: &[#p::Payload],
        ) -> ::core::option::Option<#p::WorkflowResult<()>> {
            #validate_update
        }

        fn update(
            ctx: &#p::WorkflowContext<Self>,
            name: &str,
            args: ::std::vec::Vec<#p::Payload>,
        ) -> ::core::option::Option<#p::Dispatch<#p::WorkflowResult<#p::Payload>>> {
            #update
        }
    }
}

/// The state from the start arguments: `#[workflow::init]`, or `Default`.
fn create(w: &Workflow, p: &TokenStream) -> TokenStream {
    let Some(init) = w.init() else {
        // Spanned at the type: without `#[workflow::init]` it must be `Default`.
        let self_ty = &w.item.self_ty;
        let default = quote_spanned!(self_ty.span()=> <Self as ::core::default::Default>::default());
        return quote!(::core::result::Result::Ok(#default));
    };
    let (stmts, args) = if w.args.naming.is_dynamic() {
        dynamic_args(p, None, Payloads::Borrowed.owned_iter(p))
    } else {
        let types: Vec<&Type> = init.sig.param_types().collect();
        decode(p, &types, &Payloads::Borrowed.slice(), &|failed| failed)
    };
    let callee = init.callee();
    quote! {
        #stmts
        ::core::result::Result::Ok(Self::#callee(#(#args),*))
    }
}

fn run_body(run: &Handler, p: &TokenStream) -> TokenStream {
    let (stmts, args) = if run.is_dynamic() {
        dynamic_args(p, None, Payloads::Owned.owned_iter(p))
    } else {
        let types: Vec<&Type> = run.sig.param_types().collect();
        decode(p, &types, &Payloads::Owned.slice(), &|failed| failed)
    };
    let (binding, context) = context(run);
    let callee = run.callee();
    let result = encode_run_output(
        &run.sig.output,
        into_result(
            &run.sig.output,
            quote!(Self::#callee(#context, #(#args),*).await),
            &quote!(#p::WorkflowError),
        ),
    );
    quote! {
        ::std::boxed::Box::pin(async move {
            #stmts
            let #binding = ctx;
            #result
        })
    }
}

/// How an async handler's owned context is bound and passed, matching the
/// `&mut` or `&` its signature asks for.
fn context(h: &Handler) -> (TokenStream, TokenStream) {
    if h.sig.context_is_mut() {
        (quote!(mut __ctx), quote!(&mut __ctx))
    } else {
        (quote!(__ctx), quote!(&__ctx))
    }
}

/// The dispatch methods of `WorkflowDefinition`.
#[derive(Clone, Copy)]
enum Method {
    Signal,
    Query,
    ValidateUpdate,
    Update,
}

impl Method {
    /// The handlers it dispatches to.
    fn kind(self) -> Kind {
        match self {
            Method::Signal => Kind::Signal,
            Method::Query => Kind::Query,
            Method::ValidateUpdate | Method::Update => Kind::Update,
        }
    }

    fn payloads(self) -> Payloads {
        match self {
            Method::ValidateUpdate => Payloads::Borrowed,
            Method::Signal | Method::Query | Method::Update => Payloads::Owned,
        }
    }

    /// Its parameters besides `name`, unused when no handler exists.
    fn params(self) -> TokenStream {
        match self {
            Method::Signal | Method::Update => quote!((ctx, args)),
            Method::Query | Method::ValidateUpdate => quote!(args),
        }
    }

    /// What it returns for a `result` produced without running a handler.
    fn answer(self, p: &TokenStream, result: TokenStream) -> TokenStream {
        match self {
            Method::Signal | Method::Update => quote!(::core::option::Option::Some(#p::Dispatch::Done(#result))),
            Method::Query | Method::ValidateUpdate => quote!(::core::option::Option::Some(#result)),
        }
    }
}

/// `match name { "wire" => { decode; Some(invoke) } ... _ => dynamic or None }`.
fn dispatch_fn(
    w: &Workflow,
    p: &TokenStream,
    method: Method,
    invoke: &dyn Fn(&Handler, &[Ident]) -> TokenStream,
) -> TokenStream {
    let payloads = method.payloads();
    let answer = |failed| method.answer(p, failed);
    let arms: Vec<TokenStream> = w
        .statics(method.kind())
        .map(|h| {
            let wire = h.wire_name();
            let types: Vec<&Type> = h.sig.param_types().collect();
            let (stmts, args) = decode(p, &types, &payloads.slice(), &answer);
            let invoked = invoke(h, &args);
            quote!(#wire => { #stmts ::core::option::Option::Some(#invoked) })
        })
        .collect();
    let fallback = match w.dynamic(method.kind()) {
        Some(h) => {
            let name = quote!(::std::borrow::ToOwned::to_owned(name));
            let (stmts, args) = dynamic_args(p, Some(name), payloads.owned_iter(p));
            let invoked = invoke(h, &args);
            quote!({ #stmts ::core::option::Option::Some(#invoked) })
        }
        None if arms.is_empty() => {
            let params = method.params();
            quote!({
                let _ = #params;
                ::core::option::Option::None
            })
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        match name {
            #(#arms)*
            _ => #fallback
        }
    }
}

/// A signal or update handler run on the state (sync) or as a routine (async).
fn dispatch(h: &Handler, p: &TokenStream, args: &[Ident], encode: bool) -> TokenStream {
    let callee = h.callee();
    let finish = |call| {
        let result = into_result(&h.sig.output, call, &quote!(#p::WorkflowError));
        if encode {
            encode_output(&h.sig.output, result)
        } else {
            result
        }
    };
    if h.is_async() {
        let (binding, context) = context(h);
        let result = finish(quote!(Self::#callee(#context, #(#args),*).await));
        quote! {
            #p::Dispatch::Spawn(::std::boxed::Box::pin({
                let #binding = ::core::clone::Clone::clone(ctx);
                async move { #result }
            }))
        }
    } else {
        let result = finish(quote!(ctx.state_mut(|__state| Self::#callee(__state, #(#args),*))));
        quote!(#p::Dispatch::Done(#result))
    }
}

/// An update's validator called on the decoded arguments; without one,
/// decoding alone decides.
fn validate(w: &Workflow, update: &Handler, p: &TokenStream, args: &[Ident]) -> TokenStream {
    let Some(validator) = w.validator_of(update) else {
        return quote!(::core::result::Result::Ok(()));
    };
    let callee = validator.callee();
    // Spanned at the validator's parameter types, so a type that only
    // looks the same (an alias, another path) is reported there.
    let refs = args
        .iter()
        .zip(validator.sig.param_types())
        .map(|(arg, ty)| quote_spanned!(ty.span()=> &#arg));
    into_result(
        &validator.sig.output,
        quote!(Self::#callee(self, #(#refs),*)),
        &quote!(#p::WorkflowError),
    )
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::defn;

    #[test]
    fn handlers_are_renamed_and_markers_take_their_names() {
        let out = defn(
            quote!(name = "counter"),
            quote! {
                impl Counter {
                    #[workflow::run]
                    async fn run(ctx: &mut WorkflowContext<Self>) -> u32 { 0 }
                    #[workflow::signal(dynamic)]
                    fn any(&mut self, name: String, args: Vec<RawValue>) {}
                    #[workflow::query]
                    fn value(&self) -> u32 { 0 }
                }
            },
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        for expected in [
            "async fn __workflow_run",
            "fn __workflow_value",
            "fn any",
            "pub const run : :: workflow :: __private :: Run < Self , () >",
            "pub const value : :: workflow :: __private :: Query < Self , () , u32 >",
            "const NAME : & 'static str = \"counter\"",
            "const QUERIES : & 'static [& 'static str] = & [\"value\"]",
        ] {
            assert!(out.contains(expected), "no {expected:?} in {out}");
        }
    }
}
