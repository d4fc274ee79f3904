//! The branches of `select!`-style macros (`tokio::select!`,
//! `futures::select!`, `futures::select_biased!`), so the lint can look
//! into the futures and handlers they hold.

use syn::parse::{ParseStream, Parser};
use syn::{Expr, Macro, Pat, Token};

/// A `select!`-style body: whether it starts with `biased;`, and every
/// expression in its branches (futures, conditions, handlers).
pub struct Branches {
    pub biased: bool,
    pub exprs: Vec<Expr>,
}

/// `mac`'s body read as `select!` branches, `None` when it is not shaped so.
pub fn parse(mac: &Macro) -> Option<Branches> {
    (|input: ParseStream| branches(input)).parse2(mac.tokens.clone()).ok()
}

fn branches(input: ParseStream) -> syn::Result<Branches> {
    let biased = input.peek(syn::Ident) && input.peek2(Token![;]) && input.fork().parse::<syn::Ident>()? == "biased";
    if biased {
        input.parse::<syn::Ident>()?;
        input.parse::<Token![;]>()?;
    }
    let mut exprs = Vec::new();
    while !input.is_empty() {
        // `else => ..`, `complete => ..`, `default => ..` have no future.
        let fallback = input.peek(Token![else])
            || (input.peek(syn::Ident) && input.peek2(Token![=>]) && {
                let word = input.fork().parse::<syn::Ident>()?;
                word == "complete" || word == "default"
            });
        if fallback {
            input.parse::<proc_macro2::TokenTree>()?;
        } else {
            Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![=]>()?;
            exprs.push(input.parse()?);
            if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                exprs.push(input.parse()?);
            }
        }
        input.parse::<Token![=>]>()?;
        let handler: Expr = input.parse()?;
        let block = matches!(handler, Expr::Block(_));
        exprs.push(handler);
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        } else if !block && !input.is_empty() {
            return Err(input.error("expected `,` after a branch"));
        }
    }
    Ok(Branches { biased, exprs })
}
