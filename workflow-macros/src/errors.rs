//! Collects every problem of one macro invocation so they are reported
//! together, each at the user's tokens.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Errors of one invocation, in the order found.
///
/// Built on `syn::Error` rather than darling's accumulator because
/// `new_spanned` keeps the first and last token of a node: on stable Rust
/// that is the only way to underline all of `&mut self` rather than `&`.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// An error underlining `tokens`.
    pub fn spanned<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at one span (a flag, a name).
    pub fn at<M: Display>(&mut self, span: Span, message: M) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Keeps darling's errors (unknown option, wrong value type, ...).
    pub fn darling<T>(&mut self, result: darling::Result<T>) -> Option<T> {
        result.map_err(|e| self.errors.push(e.into())).ok()
    }

    /// Keeps a parse error.
    pub fn syn<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// `Ok` when nothing was reported, else one `compile_error!` per problem.
    pub fn finish(self) -> Result<(), TokenStream> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors.iter().map(syn::Error::to_compile_error).collect())
        }
    }
}
