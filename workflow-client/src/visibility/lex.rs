//! Splits query text into tokens, one at a time, so that the first error in
//! the text is the one reported.

use std::fmt;

use super::error::QueryError;
use super::query::{CompareOp, Literal};

/// A reserved word, recognized whatever its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    In,
    Between,
    StartsWith,
    Is,
    Null,
    Order,
    By,
    Asc,
    Desc,
    True,
    False,
}

impl Keyword {
    const ALL: [Keyword; 14] = [
        Keyword::And,
        Keyword::Or,
        Keyword::Not,
        Keyword::In,
        Keyword::Between,
        Keyword::StartsWith,
        Keyword::Is,
        Keyword::Null,
        Keyword::Order,
        Keyword::By,
        Keyword::Asc,
        Keyword::Desc,
        Keyword::True,
        Keyword::False,
    ];

    /// The keyword `word` spells, if any.
    pub(super) fn find(word: &str) -> Option<Keyword> {
        Self::ALL
            .into_iter()
            .find(|keyword| keyword.as_str().eq_ignore_ascii_case(word))
    }

    /// The canonical spelling.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Keyword::And => "AND",
            Keyword::Or => "OR",
            Keyword::Not => "NOT",
            Keyword::In => "IN",
            Keyword::Between => "BETWEEN",
            Keyword::StartsWith => "STARTS_WITH",
            Keyword::Is => "IS",
            Keyword::Null => "NULL",
            Keyword::Order => "ORDER",
            Keyword::By => "BY",
            Keyword::Asc => "ASC",
            Keyword::Desc => "DESC",
            Keyword::True => "true",
            Keyword::False => "false",
        }
    }
}

#[derive(Debug, PartialEq)]
pub(super) enum Token {
    /// A plain name: `CustomerId`.
    Name(String),
    /// A backquoted name, without its quotes: `` `Order Total` ``.
    QuotedName(String),
    Keyword(Keyword),
    /// A string or a number (booleans are keywords).
    Value(Literal),
    Op(CompareOp),
    Open,
    Close,
    Comma,
    End,
}

/// What error messages call a token they did not expect.
impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(name) | Token::QuotedName(name) => write!(f, "the name `{name}`"),
            Token::Keyword(keyword) => write!(f, "`{}`", keyword.as_str()),
            Token::Value(literal) => write!(f, "{literal}"),
            Token::Op(op) => write!(f, "`{}`", op.symbol()),
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
            Token::Comma => f.write_str("`,`"),
            Token::End => f.write_str("the end of the query"),
        }
    }
}

/// A token and the byte offset it starts at.
#[derive(Debug)]
pub(super) struct Lexeme {
    pub(super) token: Token,
    pub(super) at: usize,
}

pub(super) struct Lexer<'a> {
    text: &'a str,
    /// Where the next token starts (or the whitespace before it).
    at: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }

    /// The next token; [`Token::End`] once the text is used up.
    pub(super) fn next_lexeme(&mut self) -> Result<Lexeme, QueryError> {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
        let at = self.at;
        let mut chars = self.text[at..].chars();
        let (first, second) = (chars.next(), chars.next());
        let token = match (first, second) {
            (None, _) => Token::End,
            (Some('('), _) => self.symbol(1, Token::Open),
            (Some(')'), _) => self.symbol(1, Token::Close),
            (Some(','), _) => self.symbol(1, Token::Comma),
            (Some('='), _) => self.symbol(1, Token::Op(CompareOp::Eq)),
            (Some('!'), Some('=')) | (Some('<'), Some('>')) => self.symbol(2, Token::Op(CompareOp::Ne)),
            (Some('<'), Some('=')) => self.symbol(2, Token::Op(CompareOp::Le)),
            (Some('>'), Some('=')) => self.symbol(2, Token::Op(CompareOp::Ge)),
            (Some('<'), _) => self.symbol(1, Token::Op(CompareOp::Lt)),
            (Some('>'), _) => self.symbol(1, Token::Op(CompareOp::Gt)),
            (Some(quote @ ('\'' | '"')), _) => Token::Value(Literal::String(self.quoted(quote, "string")?)),
            (Some('`'), _) => Token::QuotedName(self.quoted('`', "name")?),
            (Some('0'..='9' | '-'), _) => Token::Value(self.number()?),
            (Some('A'..='Z' | 'a'..='z' | '_'), _) => self.word(),
            (Some(other), _) => {
                let hint = if other.is_alphanumeric() {
                    ": a name with characters other than ASCII letters, digits and `_` goes in backquotes, as `Größe`"
                } else {
                    ""
                };
                return Err(QueryError::new(
                    at,
                    format!("unexpected character `{other}` at position {at}{hint}"),
                ));
            }
        };
        Ok(Lexeme { token, at })
    }

    fn symbol(&mut self, len: usize, token: Token) -> Token {
        self.at += len;
        token
    }

    /// The text between `quote` and its match, where a doubled quote stands
    /// for one; strings (not names) also take `\'`, `\"` and `\\`.
    fn quoted(&mut self, quote: char, what: &str) -> Result<String, QueryError> {
        let start = self.at;
        let mut chars = self.text[start + 1..]
            .char_indices()
            .map(|(i, c)| (start + 1 + i, c))
            .peekable();
        let mut value = String::new();
        while let Some((at, c)) = chars.next() {
            if c == quote {
                if chars.next_if(|&(_, next)| next == quote).is_none() {
                    self.at = at + 1;
                    return Ok(value);
                }
                value.push(quote);
            } else if c == '\\' && quote != '`' {
                match chars.next() {
                    Some((_, escaped @ ('\'' | '"' | '\\'))) => value.push(escaped),
                    Some((_, other)) => {
                        return Err(QueryError::new(
                            at,
                            format!(
                                "unknown escape `\\{other}` at position {at}: strings know only \\', \\\" and \\\\"
                            ),
                        ))
                    }
                    None => break,
                }
            } else {
                value.push(c);
            }
        }
        Err(QueryError::new(
            start,
            format!("unterminated {what} starting at position {start}: it needs a closing {quote}"),
        ))
    }

    /// An integer (`-12`) or a float (`-12.5`).
    fn number(&mut self) -> Result<Literal, QueryError> {
        let start = self.at;
        let rest = &self.text[start..];
        let sign = usize::from(rest.starts_with('-'));
        let mut len = sign + count_digits(&rest[sign..]);
        if len == sign {
            return Err(QueryError::new(
                start,
                format!("expected a digit after `-` at position {start}"),
            ));
        }
        let is_float = rest[len..].starts_with('.');
        if is_float {
            let fraction = count_digits(&rest[len + 1..]);
            if fraction == 0 {
                let at = start + len + 1;
                return Err(QueryError::new(
                    at,
                    format!("expected a digit after the decimal point at position {at}"),
                ));
            }
            len += 1 + fraction;
        }
        let text = &rest[..len];
        self.at += len;
        let (literal, limit) = if is_float {
            let float = text.parse().ok().filter(|x: &f64| x.is_finite());
            (float.map(Literal::Float), "is too large for a float")
        } else {
            (text.parse().ok().map(Literal::Int), "does not fit in a 64-bit integer")
        };
        literal.ok_or_else(|| QueryError::new(start, format!("number `{text}` at position {start} {limit}")))
    }

    /// A name or a keyword.
    fn word(&mut self) -> Token {
        let rest = &self.text[self.at..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        self.at += len;
        let word = &rest[..len];
        Keyword::find(word).map_or_else(|| Token::Name(word.to_owned()), Token::Keyword)
    }
}

fn count_digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}
