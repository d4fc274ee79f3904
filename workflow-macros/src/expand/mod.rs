//! Code generation. Generated code names everything by absolute path through
//! the facade's `__private` module (or the `crate = "..."` path), so users
//! need no dependencies of their own and no imports.

pub mod activity;
pub mod workflow;

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Type};

use crate::ast::Output;
use crate::attr::Kind;

/// Where generated code finds everything it touches.
pub fn private(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// `tokens` with every span set to `span`. A path spliced into code spanned
/// at a user's token must be re-spanned too: rustc reports an error on an
/// expression whose tokens come from two places at the macro's call site.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(&group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
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
pub fn encode(p: &TokenStream, types: &[&Type]) -> (TokenStream, TokenStream) {
    let idents = arg_idents(types.len());
    let pattern = match idents.as_slice() {
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    // Spanned at the types so one that cannot be encoded is reported there.
    let encoded = idents.iter().zip(types).map(|(ident, ty)| {
        let p = respan(p, ty.span());
        let ident = Ident::new(&ident.to_string(), ty.span());
        quote_spanned!(ty.span()=> #p::Payload::encode(&#ident)?)
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
        // Spanned at the type so a type that cannot be decoded is reported there.
        let p = respan(p, ty.span());
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

/// `result` with its success value encoded as a payload.
pub fn encode_output(p: &TokenStream, output: &Output, result: TokenStream) -> TokenStream {
    let span = output.value_type().map_or_else(Span::call_site, Spanned::span);
    let encode = {
        let p = respan(p, span);
        quote_spanned!(span=> #p::Payload::encode(&__value))
    };
    quote! {
        ::core::result::Result::and_then(#result, |__value| {
            ::core::result::Result::map_err(#encode, ::core::convert::From::from)
        })
    }
}

/// Functions that fail to compile, at the user's type, when it cannot
/// travel as a payload; never called. Each is spanned at its type as a
/// whole, since rustc reports an unsatisfiable `where` clause at its item.
pub fn serde_checks<'a>(p: &TokenStream, types: impl IntoIterator<Item = &'a Type>) -> TokenStream {
    types
        .into_iter()
        .enumerate()
        .map(|(index, ty)| {
            let check = format_ident!("__workflow_check_serde_{}", index, span = ty.span());
            let p = respan(p, ty.span());
            quote_spanned! {ty.span()=>
                #[allow(dead_code)]
                fn #check() where #ty: #p::DeserializeOwned + #p::Serialize {}
            }
        })
        .collect()
}

/// An error at the attribute, with the item unchanged.
pub fn with_error(message: &str, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #item)
}
