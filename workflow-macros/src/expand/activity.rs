//! `#[workflow::activity]`: the function renamed out of the way and an
//! `Activity` marker const taking its name. When the function has problems
//! the const is still generated, with functions that are never called, so
//! `worker.activity(..)` and `ctx.execute_activity(..)` keep compiling and
//! the user sees the problems in the function only.
//!
//! The marker's pieces serve the methods of `#[workflow::activities]` too.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Type};

use super::{
    args_type, decode, dynamic_args, encode, encode_output, encode_raw, hide, is_doc, payload, private, with_error,
};
use crate::ast::{Activity, ActivityFn, Context, Output};
use crate::attr::ItemArgs;
use crate::check;
use crate::errors::Errors;

pub fn activity(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<ItemFn>(input.clone()) else {
        return with_error(
            "`#[workflow::activity]` goes on an `async fn`: `#[workflow::activity] async fn greet(name: String) -> String`",
            input,
        );
    };
    let mut errors = Errors::default();
    let f = ActivityFn::parse(&item, ItemArgs::parse(args, &mut errors));
    check::activity(&f, &mut errors);
    let tokens = match errors.finish() {
        Ok(()) => expand(&f, true),
        Err(errors) => {
            let fallback = expand(&f, false);
            quote!(#fallback #errors)
        }
    };
    super::debug("#[workflow::activity]", &tokens);
    tokens
}

/// The renamed function and the marker; with `callable` false (the
/// function has problems), a marker whose functions are never called.
fn expand(f: &ActivityFn, callable: bool) -> TokenStream {
    let a = &f.activity;
    let p = private(&f.krate);
    let callee = callee(a.ident());
    let mut function = f.item.clone();
    hide(&mut function.attrs, &mut function.sig, callee.clone());
    let support = payload::support(&p);
    let checks = payload::checks(payload_types(a));
    let new = constructor(a, &p, &quote!(#callee), callable);
    let doc = format!(
        "Activity \"{}\": register it with `Worker::activity` and call it with \
         `WorkflowContext::execute_activity`.",
        a.name()
    );
    let marker = marker(
        a,
        &p,
        &f.item.vis.to_token_stream(),
        &doc,
        quote!({ #support #checks #new }),
    );
    quote! {
        #function

        #marker
    }
}

/// The name the function or method is renamed to, so that the marker can
/// take its name.
pub fn callee(ident: &Ident) -> Ident {
    format_ident!("__workflow_activity_{}", ident, span = ident.span())
}

/// The marker const `ident: Activity<A, O> = value`, with the activity's
/// docs and `doc` after them.
pub fn marker(a: &Activity, p: &TokenStream, vis: &TokenStream, doc: &str, value: TokenStream) -> TokenStream {
    let ident = a.ident();
    let docs = a.attrs.iter().filter(|attr| is_doc(attr));
    let input = if a.is_dynamic() {
        quote!(::std::vec::Vec<#p::RawValue>)
    } else {
        let types: Vec<&Type> = a.sig.param_types().collect();
        args_type(&types)
    };
    let output = a.sig.output.value();
    quote! {
        #(#docs)*
        #[doc = #doc]
        #[allow(non_upper_case_globals)]
        #vis const #ident: #p::Activity<#input, #output> = #value;
    }
}

/// The types that travel as payloads: the arguments (a dynamic activity
/// takes them raw) and the success value.
pub fn payload_types<'a>(a: &'a Activity<'a>) -> impl Iterator<Item = &'a Type> + 'a {
    let arguments = (!a.is_dynamic()).then(|| a.sig.param_types()).into_iter().flatten();
    arguments.chain(a.sig.output.value_type())
}

/// The marker's value, calling `callee` (a path): `Activity::__new(..)`
/// for a function, `Activity::__method(..)` for a method. With `callable`
/// false, its functions are never called. Needs the items of
/// [`payload::support`] in scope.
pub fn constructor(a: &Activity, p: &TokenStream, callee: &TokenStream, callable: bool) -> TokenStream {
    let name = a.name();
    let dynamic = a.is_dynamic();
    let (encode, decode, execute) = if callable {
        let (encode, execute) = functions(a, p, callee);
        (encode, payload::decode_result(&a.sig.output.value()), execute)
    } else {
        let execute = match a.owner {
            None => quote!(|_, _| ::core::unreachable!()),
            Some(_) => quote!(|_, _, _| ::core::unreachable!()),
        };
        (
            quote!(|_| ::core::unreachable!()),
            quote!(|_| ::core::unreachable!()),
            execute,
        )
    };
    match a.owner {
        None => quote!(#p::Activity::__new(#name, #dynamic, #encode, #decode, #execute)),
        Some(owner) => {
            let owner = owner.to_string();
            quote!(#p::Activity::__method(#owner, #name, #dynamic, #encode, #decode, #execute))
        }
    }
}

/// The marker's encode and execute functions. A method's execute function
/// takes the instance first, as `Self`: the marker is an associated const.
fn functions(a: &Activity, p: &TokenStream, callee: &TokenStream) -> (TokenStream, TokenStream) {
    let dynamic = a.is_dynamic();
    let types: Vec<&Type> = a.sig.param_types().collect();
    let ((pattern, encode), (stmts, args)) = if dynamic {
        (
            encode_raw(p),
            dynamic_args(
                p,
                Some(quote!(::core::clone::Clone::clone(&ctx.info().activity_type))),
                quote!(::core::iter::IntoIterator::into_iter(args)),
            ),
        )
    } else {
        (encode(&types), decode(p, &types, &quote!(&args), &|failed| failed))
    };
    let takes_context = matches!(a.sig.context, Context::Param(_));
    let context = takes_context.then(|| quote!(ctx,));
    let context_param = if takes_context || dynamic {
        quote!(ctx)
    } else {
        quote!(_)
    };
    let (instance_param, this, receiver) = match a.owner {
        None => (None, None, None),
        Some(_) => (
            Some(quote!(__instance,)),
            Some(quote!(let __this = #p::__activity_instance::<Self>(__instance)?;)),
            Some(quote!(__this,)),
        ),
    };
    let call = quote!(#callee(#receiver #context #(#args),*).await);
    let result = match a.sig.output {
        // Any error `?` can box becomes the failure, spanned at the return
        // type so that an error type that cannot is reported there.
        Output::Fallible { ty, .. } => {
            let failure = respan(quote!(#p::__activity_failure), ty.span());
            quote!(::core::result::Result::map_err(#call, #failure))
        }
        _ => quote!(::core::result::Result::<_, #p::ApplicationError>::Ok(#call)),
    };
    let result = encode_output(&a.sig.output, result);
    // Spanned at the name, so that a future that is not `Send` is
    // reported at the activity rather than at the attribute.
    let attempt = quote_spanned! {a.ident().span()=>
        ::std::boxed::Box::pin(async move {
            #this
            #stmts
            #result
        })
    };
    (
        quote!(|#pattern| #encode),
        quote!(|#instance_param #context_param, args| #attempt),
    )
}

/// `tokens` with every token spanned at `span`, so that an error about the
/// expression they form is reported there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner = proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
