//! `#[workflow::activities]`: the user's impl with each method renamed out
//! of the way, a marker const per method taking its name, and the
//! `Activities` impl through which a worker registers them all on one
//! shared instance. As for `#[workflow::activity]`, an impl with problems
//! still gets its markers (with functions that are never called) and its
//! `Activities` impl, so that registering and calling its activities keep
//! compiling and the user sees the problems in the impl only.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{ImplItem, Item, ItemEnum, ItemImpl, ItemStruct, Path};

use super::activity::{callee, constructor, marker, payload_types};
use super::{hide, payload, private};
use crate::ast::{ActivityImpl, ActivityMethod};
use crate::attr::{self, ItemArgs};
use crate::check;
use crate::errors::Errors;

pub fn activities(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<ItemImpl>(input.clone()) else {
        return not_an_impl(input);
    };
    let mut errors = Errors::default();
    let args = ItemArgs::parse(args, &mut errors);
    let krate = args.krate();
    let block = ActivityImpl::parse(&item, args, &mut errors);
    if let Some(b) = &block {
        check::activities(b, &mut errors);
    }
    let result = errors.finish();
    let expanded = match &block {
        Some(b) => expand(b, result.is_ok()),
        // Not an activities block at all (a trait impl, a generic or
        // unnamed type): the impl as written, minus our attributes.
        None => strip_markers(&item, &krate).into_token_stream(),
    };
    let errors = result.err();
    let tokens = quote!(#expanded #errors);
    super::debug("#[workflow::activities]", &tokens);
    tokens
}

/// `#[workflow::activities]` on something else: an error at the item's
/// name where it has one, and the item unchanged.
fn not_an_impl(input: TokenStream) -> TokenStream {
    let fix = |name: &dyn std::fmt::Display| {
        format!(
            "`#[workflow::activities]` goes on an impl block whose methods are the activities: \
             `#[workflow::activities] impl {name} {{ async fn charge(&self, ..) }}`"
        )
    };
    let error = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Struct(ItemStruct { ident, .. }) | Item::Enum(ItemEnum { ident, .. })) => {
            syn::Error::new(ident.span(), fix(&ident))
        }
        Ok(Item::Fn(f)) => syn::Error::new(
            f.sig.ident.span(),
            "`#[workflow::activities]` goes on an impl block whose methods are the activities; make a \
             free function an activity with `#[workflow::activity]`",
        ),
        _ => syn::Error::new(Span::call_site(), fix(&"Payments")),
    };
    let error = error.to_compile_error();
    quote!(#error #input)
}

/// The impl with its methods renamed, the markers and the `Activities`
/// impl; with `callable` false (the impl has problems), markers whose
/// functions are never called.
fn expand(b: &ActivityImpl, callable: bool) -> TokenStream {
    let p = private(&b.krate);
    let self_ty = &b.item.self_ty;
    let marked: Vec<&ActivityMethod> = b.methods.iter().filter(|m| has_marker(&m.method.sig)).collect();

    let mut item = strip_markers(b.item, &b.krate);
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member {
            if has_marker(&method.sig) {
                let callee = callee(&method.sig.ident);
                hide(&mut method.attrs, &mut method.sig, callee);
            }
        }
    }

    let markers = marked.iter().map(|m| {
        let a = &m.activity;
        let callee = callee(a.ident());
        let doc = format!(
            "Activity \"{}\", a method of `{}`: register an instance with `WorkerBuilder::activities` \
             and call it with `WorkflowContext::execute_activity`.",
            a.name(),
            b.ident
        );
        let value = constructor(a, &p, &quote!(Self::#callee), callable);
        marker(a, &p, &quote!(pub), &doc, value)
    });
    let visits = marked.iter().map(|m| {
        let ident = m.activity.ident();
        quote!(#p::VisitActivity::activity(visit, Self::#ident);)
    });
    let support = payload::support(&p);
    let checks = payload::checks(marked.iter().flat_map(|m| payload_types(&m.activity)));
    quote! {
        #item

        const _: () = {
            #support

            #[allow(private_interfaces)]
            impl #self_ty {
                #(#markers)*
            }

            #[automatically_derived]
            impl #p::Activities for #self_ty {
                #[allow(unused_variables)]
                fn __visit(visit: &mut impl #p::VisitActivity) {
                    #(#visits)*
                }
            }

            #checks
        };
    }
}

/// Whether a method gets a marker: not when it is generic, as its marker
/// would name types that only exist inside it (an error already says
/// activities are not generic).
fn has_marker(sig: &syn::Signature) -> bool {
    sig.generics.params.is_empty()
}

/// The impl without our `#[workflow::activity]` attributes.
fn strip_markers(item: &ItemImpl, krate: &Path) -> ItemImpl {
    let mut item = item.clone();
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member {
            method.attrs.retain(|attr| !attr::is_activity(attr, krate));
        }
    }
    item
}
