//! `#[workflow::activity]`: the function renamed out of the way and an
//! `Activity` marker const taking its name. When the function has problems
//! the const is still generated, with functions that are never called, so
//! `worker.activity(..)` and `ctx.execute_activity(..)` keep compiling and
//! the user sees the problems in the function only.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{parse_quote, ItemFn, Type};

use super::{args_type, decode, dynamic_args, encode, encode_output, encode_raw, is_doc, payload, private, with_error};
use crate::ast::{Activity, Context, Output};
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
    let activity = Activity::parse(&item, ItemArgs::parse(args, &mut errors));
    check::activity(&activity, &mut errors);
    let tokens = match errors.finish() {
        Ok(()) => expand(&activity, true),
        Err(errors) => {
            let fallback = expand(&activity, false);
            quote!(#fallback #errors)
        }
    };
    super::debug("#[workflow::activity]", &tokens);
    tokens
}

/// The renamed function and the marker; with `callable` false (the
/// function has problems), a marker whose functions are never called.
fn expand(a: &Activity, callable: bool) -> TokenStream {
    let p = private(&a.krate);
    let ident = a.ident();
    let vis = &a.item.vis;
    let callee = format_ident!("__workflow_activity_{}", ident, span = ident.span());

    let mut function = a.item.clone();
    function.sig.ident = callee.clone();
    function.attrs.retain(|attr| !is_doc(attr));
    function.attrs.push(parse_quote!(#[doc(hidden)]));
    let docs = a.item.attrs.iter().filter(|attr| is_doc(attr));

    let name = a.name();
    let dynamic = a.args.naming.is_dynamic();
    let types: Vec<&Type> = a.sig.param_types().collect();
    let input = if dynamic {
        quote!(::std::vec::Vec<#p::RawValue>)
    } else {
        args_type(&types)
    };
    let output = a.sig.output.value();
    let (encode, decode, execute) = if callable {
        let (encode, execute) = functions(a, &p, &callee);
        (encode, payload::decode_result(&output), execute)
    } else {
        (
            quote!(|_| ::core::unreachable!()),
            quote!(|_| ::core::unreachable!()),
            quote!(|_, _| ::core::unreachable!()),
        )
    };
    let doc = format!(
        "Activity \"{name}\": register it with `Worker::activity` and call it with \
         `WorkflowContext::execute_activity`."
    );
    let arguments = if dynamic { Vec::new() } else { types };
    let support = payload::support(&p);
    let checks = payload::checks(arguments.into_iter().chain(a.sig.output.value_type()));
    quote! {
        #function

        #(#docs)*
        #[doc = #doc]
        #[allow(non_upper_case_globals)]
        #vis const #ident: #p::Activity<#input, #output> = {
            #support
            #checks
            #p::Activity::__new(#name, #dynamic, #encode, #decode, #execute)
        };
    }
}

/// The marker's encode and execute functions.
fn functions(a: &Activity, p: &TokenStream, callee: &syn::Ident) -> (TokenStream, TokenStream) {
    let dynamic = a.args.naming.is_dynamic();
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
    let call = quote!(#callee(#context #(#args),*).await);
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
    (
        quote!(|#pattern| #encode),
        quote! {
            |#context_param, args| ::std::boxed::Box::pin(async move {
                #stmts
                #result
            })
        },
    )
}

/// `tokens` with every token spanned at `span`, so that an error about the
/// expression they form is reported there.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
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
