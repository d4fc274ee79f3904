//! The canonical text of a query: keywords in capitals, single spaces,
//! single-quoted strings, backquotes only where a name needs them, and
//! parentheses only where the tree has a group. It parses back to the same
//! tree.

use std::fmt::{self, Display, Formatter};

use super::lex::Keyword;
use super::query::{AttributeName, Field, Filter, Literal, OrderBy, VisibilityQuery};

impl Display for VisibilityQuery {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(filter) = &self.filter {
            write!(f, "{filter}")?;
        }
        if !self.order_by.is_empty() {
            if self.filter.is_some() {
                f.write_str(" ")?;
            }
            f.write_str("ORDER BY ")?;
            separated(f, &self.order_by, ", ", |f, order| write!(f, "{order}"))?;
        }
        Ok(())
    }
}

impl Display for OrderBy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.field)?;
        if self.descending {
            f.write_str(" DESC")?;
        }
        Ok(())
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // `AND` binds tighter than `OR`, and a chain of either is one node:
        // a child needs parentheses if it would otherwise join its parent's
        // chain or split it.
        let (parts, joiner, grouped): (_, _, fn(&Filter) -> bool) = match self {
            Filter::And(parts) => (parts, " AND ", |part| matches!(part, Filter::And(_) | Filter::Or(_))),
            Filter::Or(parts) => (parts, " OR ", |part| matches!(part, Filter::Or(_))),
            Filter::Compare { field, op, value } => return write!(f, "{field} {} {value}", op.symbol()),
            Filter::In { field, values, negated } => {
                write!(f, "{field}{} IN (", not(*negated))?;
                separated(f, values, ", ", |f, value| write!(f, "{value}"))?;
                return f.write_str(")");
            }
            Filter::Between {
                field,
                low,
                high,
                negated,
            } => return write!(f, "{field}{} BETWEEN {low} AND {high}", not(*negated)),
            Filter::StartsWith { field, prefix } => {
                write!(f, "{field} STARTS_WITH ")?;
                return quoted(f, '\'', prefix);
            }
            Filter::IsNull { field, negated } => return write!(f, "{field} IS{} NULL", not(*negated)),
        };
        separated(f, parts, joiner, |f, part| {
            if grouped(part) {
                write!(f, "({part})")
            } else {
                write!(f, "{part}")
            }
        })
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Field::Custom(name) => write!(f, "{name}"),
            built_in => f.write_str(built_in.name()),
        }
    }
}

/// The name as a query writes it: bare if it reads as a plain name, else
/// in backquotes.
impl Display for AttributeName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = self.as_str();
        let mut bytes = name.bytes();
        let plain = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && Keyword::find(name).is_none();
        if plain {
            f.write_str(name)
        } else {
            quoted(f, '`', name)
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(text) => quoted(f, '\'', text),
            Literal::Int(int) => write!(f, "{int}"),
            // Rust prints the shortest digits that read back to the same
            // float, never in exponent form; the point tells it from an
            // integer.
            Literal::Float(float) if float.is_finite() && float.fract() == 0.0 => write!(f, "{float}.0"),
            Literal::Float(float) => write!(f, "{float}"),
            Literal::Bool(bool) => write!(f, "{bool}"),
        }
    }
}

/// `text` between `quote`s: a string escapes its quote and backslashes with
/// a backslash, a name doubles its backquotes.
fn quoted(f: &mut Formatter<'_>, quote: char, text: &str) -> fmt::Result {
    use fmt::Write;
    f.write_char(quote)?;
    for c in text.chars() {
        match c {
            '`' if quote == '`' => f.write_str("``")?,
            '\'' | '\\' if quote == '\'' => write!(f, "\\{c}")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

fn not(negated: bool) -> &'static str {
    if negated {
        " NOT"
    } else {
        ""
    }
}

fn separated<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    separator: &str,
    mut item: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, each) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        item(f, each)?;
    }
    Ok(())
}
