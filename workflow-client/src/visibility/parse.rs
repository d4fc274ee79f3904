//! The grammar: a recursive-descent parser over [`Lexer`]'s tokens, which
//! also checks the values of built-in fields, so that a mistyped status or
//! date is reported where it stands.
//!
//! ```text
//! query     = [or] [ORDER BY order {, order}]
//! or        = and {OR and}
//! and       = primary {AND primary}
//! primary   = "(" or ")" | field predicate
//! predicate = op value | [NOT] IN "(" value {"," value} ")" | [NOT] BETWEEN value AND value
//!           | STARTS_WITH string | IS [NOT] NULL
//! order     = field [ASC | DESC]
//! ```

use crate::SearchAttributeType;

use super::error::QueryError;
use super::lex::{Keyword, Lexeme, Lexer, Token};
use super::query::{Field, Filter, Literal, OrderBy, VisibilityQuery};
use crate::timestamp::parse_rfc3339;

/// How deep parentheses may nest: deep enough for any query a person
/// writes, shallow enough that recursion cannot exhaust the stack.
const MAX_DEPTH: usize = 100;

pub(super) fn query(text: &str) -> Result<VisibilityQuery, QueryError> {
    let mut lexer = Lexer::new(text);
    let current = lexer.next_lexeme()?;
    let mut parser = Parser {
        lexer,
        current,
        depth: 0,
    };
    let filter = match parser.current.token {
        Token::End | Token::Keyword(Keyword::Order) => None,
        _ => Some(parser.or()?),
    };
    let mut order_by = Vec::new();
    if parser.eat(Keyword::Order)? {
        parser.expect(Keyword::By, "`BY` after `ORDER`")?;
        loop {
            let field = parser.field("a field to order by")?;
            let descending = parser.eat(Keyword::Desc)?;
            if !descending {
                parser.eat(Keyword::Asc)?;
            }
            order_by.push(OrderBy { field, descending });
            if !parser.eat_token(&Token::Comma)? {
                break;
            }
        }
    }
    if parser.current.token != Token::End {
        return Err(parser.expected(if order_by.is_empty() {
            "`AND`, `OR`, `ORDER BY` or the end of the query"
        } else {
            "`,` or the end of the query"
        }));
    }
    Ok(VisibilityQuery { filter, order_by })
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The next token, looked at but not taken.
    current: Lexeme,
    /// Parentheses open around `current`.
    depth: usize,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<Filter, QueryError> {
        self.chain(Keyword::Or, Self::and, Filter::Or)
    }

    fn and(&mut self) -> Result<Filter, QueryError> {
        self.chain(Keyword::And, Self::primary, Filter::And)
    }

    /// `operand {joiner operand}`: the operand alone, or all of them joined.
    fn chain(
        &mut self,
        joiner: Keyword,
        operand: fn(&mut Self) -> Result<Filter, QueryError>,
        join: fn(Vec<Filter>) -> Filter,
    ) -> Result<Filter, QueryError> {
        let first = operand(self)?;
        if self.current.token != Token::Keyword(joiner) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat(joiner)? {
            operands.push(operand(self)?);
        }
        Ok(join(operands))
    }

    fn primary(&mut self) -> Result<Filter, QueryError> {
        if self.current.token != Token::Open {
            return self.predicate();
        }
        let open = self.current.at;
        if self.depth == MAX_DEPTH {
            return Err(QueryError::new(
                open,
                format!("parentheses nest more than {MAX_DEPTH} deep at position {open}"),
            ));
        }
        self.advance()?;
        self.depth += 1;
        let inner = self.or()?;
        self.depth -= 1;
        if self.eat_token(&Token::Close)? {
            return Ok(inner);
        }
        let Lexeme { token, at } = &self.current;
        Err(QueryError::new(
            *at,
            format!("expected `)` at position {at} to close the `(` at position {open}, found {token}"),
        ))
    }

    fn predicate(&mut self) -> Result<Filter, QueryError> {
        let field = self.field("a condition")?;
        let negated = self.eat(Keyword::Not)?;
        let filter = match (&self.current.token, negated) {
            (Token::Keyword(Keyword::In), _) => {
                self.advance()?;
                self.expect_token(&Token::Open, "`(` after `IN`")?;
                let mut values = vec![self.value(&field, "a value in the list")?];
                while self.eat_token(&Token::Comma)? {
                    values.push(self.value(&field, "a value after `,`")?);
                }
                self.expect_token(&Token::Close, "`,` or `)` in the list")?;
                Filter::In { field, values, negated }
            }
            (Token::Keyword(Keyword::Between), _) => {
                self.advance()?;
                let low = self.value(&field, "a value after `BETWEEN`")?;
                self.expect(Keyword::And, "`AND` between the bounds of `BETWEEN`")?;
                let high = self.value(&field, "a value after `AND`")?;
                Filter::Between {
                    field,
                    low,
                    high,
                    negated,
                }
            }
            (_, true) => return Err(self.expected("`IN` or `BETWEEN` after `NOT`")),
            (&Token::Op(op), false) => {
                self.advance()?;
                let value = self.value(&field, &format!("a value after `{}`", op.symbol()))?;
                Filter::Compare { field, op, value }
            }
            (Token::Keyword(Keyword::StartsWith), false) => {
                let at = self.current.at;
                if !takes_prefix(&field) {
                    return Err(QueryError::new(
                        at,
                        format!(
                            "`{}` has no STARTS_WITH (position {at}): only WorkflowId, WorkflowType, RunId, \
                             TaskQueue and string attributes do",
                            field.name()
                        ),
                    ));
                }
                self.advance()?;
                match &self.current.token {
                    Token::Value(Literal::String(prefix)) => {
                        let prefix = prefix.clone();
                        self.advance()?;
                        Filter::StartsWith { field, prefix }
                    }
                    _ => return Err(self.expected("a string after `STARTS_WITH`")),
                }
            }
            (Token::Keyword(Keyword::Is), false) => {
                self.advance()?;
                let negated = self.eat(Keyword::Not)?;
                self.expect(
                    Keyword::Null,
                    if negated {
                        "`NULL` after `IS NOT`"
                    } else {
                        "`NULL` or `NOT NULL` after `IS`"
                    },
                )?;
                Filter::IsNull { field, negated }
            }
            _ => {
                return Err(self.expected(&format!(
                    "an operator after `{}` (=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, STARTS_WITH or IS)",
                    field.name()
                )))
            }
        };
        Ok(filter)
    }

    /// A field name; `what` says what the grammar expected there.
    fn field(&mut self, what: &str) -> Result<Field, QueryError> {
        let at = self.current.at;
        let field = match &self.current.token {
            Token::Name(name) | Token::QuotedName(name) => Field::named(name).ok_or_else(|| {
                QueryError::new(
                    at,
                    format!("empty name at position {at}: backquotes must enclose at least one character"),
                )
            })?,
            Token::Keyword(keyword) => {
                let keyword = keyword.as_str();
                return Err(QueryError::new(
                    at,
                    format!(
                        "expected {what} at position {at}, found the keyword `{keyword}`; \
                         an attribute of that name goes in backquotes: `{keyword}`"
                    ),
                ));
            }
            _ => return Err(self.expected(what)),
        };
        self.advance()?;
        Ok(field)
    }

    /// A value for `field`, checked if the field is built in.
    fn value(&mut self, field: &Field, what: &str) -> Result<Literal, QueryError> {
        let at = self.current.at;
        let literal = match &self.current.token {
            Token::Value(literal) => literal.clone(),
            Token::Keyword(Keyword::True) => Literal::Bool(true),
            Token::Keyword(Keyword::False) => Literal::Bool(false),
            _ => return Err(self.expected(what)),
        };
        check_value(field, &literal, at)?;
        self.advance()?;
        Ok(literal)
    }

    /// Takes the current token.
    fn advance(&mut self) -> Result<(), QueryError> {
        self.current = self.lexer.next_lexeme()?;
        Ok(())
    }

    /// Takes the current token if it is `token`.
    fn eat_token(&mut self, token: &Token) -> Result<bool, QueryError> {
        let found = self.current.token == *token;
        if found {
            self.advance()?;
        }
        Ok(found)
    }

    fn eat(&mut self, keyword: Keyword) -> Result<bool, QueryError> {
        self.eat_token(&Token::Keyword(keyword))
    }

    fn expect_token(&mut self, token: &Token, what: &str) -> Result<(), QueryError> {
        if self.eat_token(token)? {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn expect(&mut self, keyword: Keyword, what: &str) -> Result<(), QueryError> {
        self.expect_token(&Token::Keyword(keyword), what)
    }

    /// The error for finding the current token where `what` should be.
    fn expected(&self, what: &str) -> QueryError {
        let Lexeme { token, at } = &self.current;
        QueryError::new(*at, format!("expected {what} at position {at}, found {token}"))
    }
}

/// Whether `STARTS_WITH` applies: to string fields, and to custom attributes,
/// whose type only the engine knows.
fn takes_prefix(field: &Field) -> bool {
    *field != Field::ExecutionStatus
        && field
            .builtin_type()
            .is_none_or(|kind| kind == SearchAttributeType::Keyword)
}

/// Checks a value of a built-in field: strings, status names and datetimes
/// where those belong. (Custom attributes are checked by the engine, which
/// knows their types.)
fn check_value(field: &Field, literal: &Literal, at: usize) -> Result<(), QueryError> {
    let Some(kind) = field.builtin_type() else {
        return Ok(());
    };
    let fits = match (field, literal) {
        (Field::ExecutionStatus, Literal::String(status)) => {
            if crate::WorkflowStatus::ALL
                .iter()
                .any(|known| known.to_string() == *status)
            {
                return Ok(());
            }
            let known: Vec<String> = crate::WorkflowStatus::ALL.iter().map(ToString::to_string).collect();
            let known = known.join(", ");
            return Err(QueryError::new(
                at,
                format!("unknown execution status `{status}` at position {at}: expected one of {known}"),
            ));
        }
        (_, Literal::String(text)) => kind != SearchAttributeType::Datetime || parse_rfc3339(text).is_some(),
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let expected = match (field, kind) {
        (Field::ExecutionStatus, _) => "a status name in quotes, such as 'Running'",
        (_, SearchAttributeType::Datetime) => "an RFC 3339 datetime in quotes, such as '2026-12-02T10:00:00Z'",
        _ => "a string in quotes",
    };
    let name = field.name();
    Err(QueryError::new(
        at,
        format!("`{name}` takes {expected}, found {literal} at position {at}"),
    ))
}
