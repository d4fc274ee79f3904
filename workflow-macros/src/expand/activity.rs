//! `#[workflow::activity]`: the function renamed out of the way and an
//! `Activity` marker const taking its name.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{parse_quote, ItemFn, Type};

use super::{
    args_type, decode, dynamic_args, encode, encode_output, encode_raw, into_result, is_doc, payload, private,
    with_error,
};
use crate::ast::{Activity, Context};
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
        Ok(()) => expand(&activity),
        Err(errors) => quote!(#item #errors),
    };
    super::debug("#[workflow::activity]", &tokens);
    tokens
}

fn expand(a: &Activity) -> TokenStream {
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
    let (encode, execute) = functions(a, &p, &callee);
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
            #p::Activity::__new(#name, #dynamic, #encode, #execute)
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
    let result = encode_output(
        &a.sig.output,
        into_result(
            &a.sig.output,
            quote!(#callee(#context #(#args),*).await),
            &quote!(#p::ApplicationError),
        ),
    );
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
