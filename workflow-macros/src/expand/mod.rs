//! Code generation. Generated code names everything by absolute path through
//! the facade's `__private` module (or the `crate = "..."` path), so users
//! need no dependencies of their own and no imports.

pub mod activity;
pub mod workflow;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Type};

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

/// `WORKFLOW_MACROS_DEBUG=1` prints every expansion to stderr.
pub fn debug(what: &str, tokens: &TokenStream) {
    if std::env::var_os("WORKFLOW_MACROS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("{what} expands to:\n{tokens}\n");
    }
}

pub fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
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
/// it, one payload per argument: the body of an `EncodeFn`.
pub fn encode(p: &TokenStream, count: usize) -> (TokenStream, TokenStream) {
    let idents = arg_idents(count);
    let pattern = match idents.as_slice() {
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    let body = quote! {
        ::core::result::Result::Ok(::std::vec![#(#p::Payload::encode(&#idents)?),*])
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
    let failed = wrap(quote!(::core::result::Result::Err(::core::convert::From::from(__error))));
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
        // Spanned at the type so a type that cannot be decoded is reported there.
        let decode = quote_spanned!(ty.span()=> #p::decode_arg::<#ty>);
        quote! {
            let #ident = match #decode(#payloads, #index, #count) {
                ::core::result::Result::Ok(__value) => __value,
                ::core::result::Result::Err(__error) => return #failed,
            };
        }
    });
    (quote!(#(#stmts)*), idents)
}

/// Statements binding a dynamic handler's `(name, args)`: `name` is a
/// `String` expression, `payloads` an iterator of owned payloads.
pub fn dynamic_args(p: &TokenStream, name: TokenStream, payloads: TokenStream) -> (TokenStream, Vec<Ident>) {
    let idents = arg_idents(2);
    let (n, a) = (&idents[0], &idents[1]);
    let stmts = quote! {
        let #n: ::std::string::String = #name;
        let #a: ::std::vec::Vec<#p::RawValue> =
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

/// `result` with its success value encoded as a payload.
pub fn encode_output(p: &TokenStream, result: TokenStream) -> TokenStream {
    quote! {
        ::core::result::Result::and_then(#result, |__value| {
            ::core::result::Result::map_err(#p::Payload::encode(&__value), ::core::convert::From::from)
        })
    }
}

/// `where` predicates that fail at the user's type when it cannot travel as a payload.
pub fn serde_bounds<'a>(p: &TokenStream, types: impl IntoIterator<Item = &'a Type>) -> Vec<TokenStream> {
    types
        .into_iter()
        .map(|ty| quote_spanned!(ty.span()=> #ty: #p::DeserializeOwned + #p::Serialize))
        .collect()
}

/// The function carrying [`serde_bounds`]; never called, it only has to type-check.
pub fn serde_check(bounds: &[TokenStream]) -> Option<TokenStream> {
    (!bounds.is_empty()).then(|| {
        quote! {
            #[allow(dead_code)]
            fn __workflow_check_serde() where #(#bounds),* {}
        }
    })
}

/// An error at the attribute, with the item unchanged.
pub fn with_error(message: &str, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #item)
}
