//! How generated code turns values into payloads and back, so that a type
//! without serde derives gives one error at the user's type, not one at
//! every place the expansion encodes or decodes it.
//!
//! Each expansion declares [`support`] once, in the `const _: () = { .. };`
//! block that holds its code:
//!
//! * a check per payload type, `<T as __Payload<_, Owner>>::check()`, whose
//!   failure is reported with the trait's own message and fix;
//! * `(&__Serde::<T>(..)).__encode(&value)` / `.__decode(..)`, which method
//!   resolution sends to serde when `T` has the derives and otherwise to a
//!   fallback that is never run (the check has already failed the build).
//!   Calling serde directly would repeat the check's error at each call.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Type;

use crate::ast;

/// The items [`encode`], [`decode`] and [`checks`] use.
pub fn support(p: &TokenStream) -> TokenStream {
    quote! {
        #[diagnostic::on_unimplemented(
            message = "`{Self}` cannot travel as a payload: it must implement `serde::Serialize` and `serde::Deserialize`",
            label = "arguments and results of handlers and activities travel as payloads",
            note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Owner}`"
        )]
        trait __Payload<Impl, Owner: ?::core::marker::Sized> {
            fn check() {}
        }
        // The second impl never applies (nothing implements `__Never`); it
        // is there so that rustc weighs both and, when the first does not
        // apply either, reports this trait's message once. With one impl it
        // would select it and report each serde trait the type lacks, with
        // serde's messages.
        impl<T, Owner: ?::core::marker::Sized> __Payload<u8, Owner> for T
        where
            T: #p::Serialize + #p::DeserializeOwned,
        {}
        trait __Never {}
        impl<T: __Never, Owner: ?::core::marker::Sized> __Payload<u16, Owner> for T {}

        struct __Serde<T>(::core::marker::PhantomData<fn() -> T>);

        trait __Checked<T> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>;
            fn __decode(
                &self,
                args: &[#p::Payload],
                index: usize,
                count: usize,
            ) -> ::core::result::Result<T, #p::PayloadError>;
        }

        impl<T: #p::Serialize + #p::DeserializeOwned> __Checked<T> for __Serde<T> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError> {
                #p::Payload::encode(value)
            }

            fn __decode(
                &self,
                args: &[#p::Payload],
                index: usize,
                count: usize,
            ) -> ::core::result::Result<T, #p::PayloadError> {
                #p::decode_arg::<T>(args, index, count)
            }
        }

        // Reached through one more `&` than `__Checked`, so method
        // resolution only picks it when `__Checked` does not apply.
        trait __Unchecked<T> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>;
            fn __decode(
                &self,
                args: &[#p::Payload],
                index: usize,
                count: usize,
            ) -> ::core::result::Result<T, #p::PayloadError>;
        }

        impl<T> __Unchecked<T> for &__Serde<T> {
            fn __encode(&self, _: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError> {
                ::core::unreachable!("a payload type without serde derives fails the payload check")
            }

            fn __decode(
                &self,
                _: &[#p::Payload],
                _: usize,
                _: usize,
            ) -> ::core::result::Result<T, #p::PayloadError> {
                ::core::unreachable!("a payload type without serde derives fails the payload check")
            }
        }
    }
}

/// The items [`encode_run_output`] uses, in a workflow's expansion.
///
/// The run method's result is also the workflow's `WorkflowType::Output`,
/// which must be `DeserializeOwned`, with an error of rustc's at the type
/// when it is not. So it gets no check of its own; encoding it reports a
/// missing `Serialize` only when that error is not reported, through three
/// choices tried in order: encode (`Serialize`), report (`DeserializeOwned`
/// but not `Serialize`), say nothing (neither).
pub fn run_output_support(p: &TokenStream) -> TokenStream {
    quote! {
        struct __RunOutput<T, Owner: ?::core::marker::Sized>(
            ::core::marker::PhantomData<(fn() -> T, fn() -> *const Owner)>,
        );

        trait __RunOutputSerialize<T> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>;
        }

        impl<T: #p::Serialize, Owner: ?::core::marker::Sized> __RunOutputSerialize<T> for &&__RunOutput<T, Owner> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError> {
                #p::Payload::encode(value)
            }
        }

        trait __RunOutputDeserializeOnly<T, Owner: ?::core::marker::Sized> {
            fn __encode<Impl>(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>
            where
                T: __Payload<Impl, Owner>;
        }

        impl<T: #p::DeserializeOwned, Owner: ?::core::marker::Sized> __RunOutputDeserializeOnly<T, Owner>
            for &__RunOutput<T, Owner>
        {
            fn __encode<Impl>(&self, _: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>
            where
                T: __Payload<Impl, Owner>,
            {
                ::core::unreachable!("a run result without `Serialize` fails the payload check")
            }
        }

        trait __RunOutputNeither<T> {
            fn __encode(&self, value: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError>;
        }

        impl<T, Owner: ?::core::marker::Sized> __RunOutputNeither<T> for __RunOutput<T, Owner> {
            fn __encode(&self, _: &T) -> ::core::result::Result<#p::Payload, #p::PayloadError> {
                ::core::unreachable!("a run result without `DeserializeOwned` fails `WorkflowType::Output`")
            }
        }
    }
}

/// The local `value` (the run method's result, a `ty`) encoded as a
/// payload: a `Result`. Spanned at the type, all of it, so that a missing
/// `Serialize` is reported there.
pub fn encode_run_output(ty: Option<&Type>, value: &Ident) -> TokenStream {
    let Some(ty) = ty else {
        return encode(&quote!(()), quote!(&#value));
    };
    let owner = owner(ty);
    let value = Ident::new(&value.to_string(), ty.span());
    quote_spanned! {ty.span()=>
        (&&&__RunOutput::<#ty, #owner>(::core::marker::PhantomData)).__encode(&#value)
    }
}

/// `value` (a reference to a `ty`) encoded as a payload: a `Result`.
pub fn encode(ty: &TokenStream, value: TokenStream) -> TokenStream {
    quote!((&__Serde::<#ty>(::core::marker::PhantomData)).__encode(#value))
}

/// Argument `index` of `count` in `args` (a `&[Payload]`) decoded as a `ty`:
/// a `Result`.
pub fn decode(ty: &Type, args: &TokenStream, index: usize, count: usize) -> TokenStream {
    quote!((&__Serde::<#ty>(::core::marker::PhantomData)).__decode(#args, #index, #count))
}

/// A function decoding one payload (a handler's or activity's result) as a
/// `ty`, for a marker: through the same fallback as [`decode`], so a `ty`
/// without serde derives adds no error to its check's.
pub fn decode_result(ty: &TokenStream) -> TokenStream {
    quote! {
        |payload| (&__Serde::<#ty>(::core::marker::PhantomData)).__decode(::core::slice::from_ref(payload), 0, 1)
    }
}

/// A never-called function checking that each of `types` can travel as a
/// payload, each check spanned at its type so that the error is reported
/// there. A type written twice is checked once: one mistake, one error.
pub fn checks<'a>(types: impl IntoIterator<Item = &'a Type>) -> TokenStream {
    let mut seen = Vec::new();
    let checks = types.into_iter().filter_map(|ty| {
        let written = ty.to_token_stream().to_string();
        if seen.contains(&written) {
            return None;
        }
        seen.push(written);
        let owner = owner(ty);
        Some(quote_spanned!(ty.span()=> <#ty as __Payload<_, #owner>>::check();))
    });
    quote! {
        #[allow(dead_code)]
        fn __workflow_check_payloads() {
            #(#checks)*
        }
    }
}

/// The type inside `ty` that most likely needs the derives, for the fix in
/// the message: the item of a collection, the value of a map, what a
/// reference or pointer points to; `ty` itself otherwise.
fn owner(ty: &Type) -> &Type {
    match ast::ungroup(ty) {
        Type::Reference(r) => owner(&r.elem),
        Type::Slice(s) => owner(&s.elem),
        Type::Array(a) => owner(&a.elem),
        Type::Path(_) => {
            let Some(segment) = ast::last_segment(ty) else {
                return ty;
            };
            let name = segment.ident.to_string();
            let args: Vec<&Type> = match &segment.arguments {
                syn::PathArguments::AngleBracketed(args) => args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let inner = match (name.as_str(), args.as_slice()) {
                (
                    "Vec" | "VecDeque" | "Option" | "Box" | "Rc" | "Arc" | "BTreeSet" | "HashSet" | "BinaryHeap"
                    | "LinkedList",
                    [item],
                ) => Some(*item),
                ("BTreeMap" | "HashMap", [_, value]) => Some(*value),
                _ => None,
            };
            inner.map_or(ty, owner)
        }
        _ => ty,
    }
}
