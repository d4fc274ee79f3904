//! Code generation. Generated code names everything by absolute path through
//! the facade's `__private` module (or the `crate = "..."` path), so users
//! need no dependencies of their own and no imports.

pub mod activities;
pub mod activity;
pub mod payload;
pub mod workflow;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{parse_quote, Attribute, Ident, Path, Type};

use crate::ast::Output;
use crate::attr::Kind;

/// Where generated code finds everything it touches.
pub fn private(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// An inner attribute used outside `#[workflow::defn]`: an error at the
/// attribute, and the item unchanged so later code still resolves.
pub fn misplaced(kind: Kind, item: TokenStream) -> TokenStream {
    let message = format!("{kind} must be used on a method inside a `#[workflow::defn]` impl block");
    quote!(::core::compile_error!(#message); #item)
}

/// `#[workflow::nondeterministic]` used outside `#[workflow::defn]`.
pub fn misplaced_opt_out(item: TokenStream) -> TokenStream {
    let message = format!(
        "`#[workflow::{}]` must be used on a method, or a `let` statement in one, inside a \
         `#[workflow::defn]` impl block: activities and other code are not checked for determinism",
        crate::attr::NONDETERMINISTIC
    );
    quote!(::core::compile_error!(#message); #item)
}

/// `WORKFLOW_MACROS_DEBUG=1` prints every expansion to stderr.
pub fn debug(what: &str, tokens: &TokenStream) {
    if std::env::var_os("WORKFLOW_MACROS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("{what} expands to:\n{tokens}\n");
    }
}

pub fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// Renames a function out of the way of the marker taking its name; its
/// docs move to the marker, which is what users see.
pub fn hide(attrs: &mut Vec<Attribute>, sig: &mut syn::Signature, callee: Ident) {
    sig.ident = callee;
    attrs.retain(|attr| !is_doc(attr));
    attrs.push(parse_quote!(#[doc(hidden)]));
}

/// The names generated code binds arguments to, in order.
fn arg_idents(count: usize) -> Vec<Ident> {
    (0..count).map(|i| format_ident!("__arg{}", i)).collect()
}

/// A marker's argument type: `()` for none, the type for one, a tuple for several.
pub fn args_type(types: &[&Type]) -> TokenStream {
    match types {
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    }
}

/// A pattern over the marker's argument type and the expression encoding
/// it, one payload per argument: the body of an `EncodeFn`. Needs the
/// items of [`payload::support`] in scope.
pub fn encode(types: &[&Type]) -> (TokenStream, TokenStream) {
    let idents = arg_idents(types.len());
    let pattern = match idents.as_slice() {
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    let encoded = idents.iter().zip(types).map(|(ident, ty)| {
        let encode = payload::encode(&quote!(#ty), quote!(&#ident));
        quote!(#encode?)
    });
    let body = quote! {
        ::core::result::Result::Ok(::std::vec![#(#encoded),*])
    };
    (pattern, body)
}

/// [`encode`] for dynamic handlers: the arguments are already payloads.
pub fn encode_raw(p: &TokenStream) -> (TokenStream, TokenStream) {
    let body = quote! {
        ::core::result::Result::Ok(::core::iter::Iterator::collect(::core::iter::Iterator::map(
            ::core::iter::IntoIterator::into_iter(__args),
            #p::RawValue::into_payload,
        )))
    };
    (quote!(__args), body)
}

/// Statements binding `__arg0..` to the arguments decoded from `payloads`
/// (a `&[Payload]`). On failure they `return wrap(Err(error))`.
///
/// Surplus payloads are an error, never dropped, also for handlers taking none.
pub fn decode(
    p: &TokenStream,
    types: &[&Type],
    payloads: &TokenStream,
    wrap: &dyn Fn(TokenStream) -> TokenStream,
) -> (TokenStream, Vec<Ident>) {
    let failed = wrap(quote!(::core::result::Result::Err(::core::convert::From::from(
        __error
    ))));
    let count = types.len();
    if count == 0 {
        let stmts = quote! {
            if let ::core::result::Result::Err(__error) = #p::decode_arg::<()>(#payloads, 0, 0) {
                return #failed;
            }
        };
        return (stmts, Vec::new());
    }
    let idents = arg_idents(count);
    let stmts = idents.iter().zip(types).enumerate().map(|(index, (ident, ty))| {
        let decode = payload::decode(ty, payloads, index, count);
        quote! {
            let #ident = match #decode {
                ::core::result::Result::Ok(__value) => __value,
                ::core::result::Result::Err(__error) => return #failed,
            };
        }
    });
    (quote!(#(#stmts)*), idents)
}

/// Statements binding a dynamic handler's `(name, args)`, or just `args`
/// for a dynamic workflow's run and init: `name` is a `String` expression,
/// `payloads` an iterator of owned payloads.
pub fn dynamic_args(p: &TokenStream, name: Option<TokenStream>, payloads: TokenStream) -> (TokenStream, Vec<Ident>) {
    let idents = arg_idents(usize::from(name.is_some()) + 1);
    let name = name.map(|name| {
        let ident = &idents[0];
        quote!(let #ident: ::std::string::String = #name;)
    });
    let args = &idents[idents.len() - 1];
    let stmts = quote! {
        #name
        let #args: ::std::vec::Vec<#p::RawValue> =
            ::core::iter::Iterator::collect(::core::iter::Iterator::map(#payloads, #p::RawValue::from));
    };
    (stmts, idents)
}

/// `call` (a handler's return value) as `Result<T, error>`: plain values are
/// `Ok`, errors are converted with `Into`.
pub fn into_result(output: &Output, call: TokenStream, error: &TokenStream) -> TokenStream {
    if output.is_fallible() {
        quote!(::core::result::Result::map_err(#call, ::core::convert::Into::<#error>::into))
    } else {
        quote!(::core::result::Result::<_, #error>::Ok(#call))
    }
}

/// `result` with its success value encoded as a payload. Needs the items
/// of [`payload::support`] in scope.
pub fn encode_output(output: &Output, result: TokenStream) -> TokenStream {
    let encode = payload::encode(&output.value(), quote!(&__value));
    encoded(encode, result)
}

/// [`encode_output`] for the run method's result, with
/// [`payload::run_output_support`] in scope too.
pub fn encode_run_output(output: &Output, result: TokenStream) -> TokenStream {
    let encode = payload::encode_run_output(output.value_type(), &format_ident!("__value"));
    encoded(encode, result)
}

/// `result` with its success value encoded by `encode`, which takes `__value`.
fn encoded(encode: TokenStream, result: TokenStream) -> TokenStream {
    quote! {
        ::core::result::Result::and_then(#result, |__value| {
            ::core::result::Result::map_err(#encode, ::core::convert::From::from)
        })
    }
}

/// An error at the attribute, with the item unchanged.
pub fn with_error(message: &str, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #item)
}
