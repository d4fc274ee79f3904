//! Who may use the pages: a loopback-only policy or an access token, and
//! the CSRF secret every action must carry.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::Shared;

/// The cookie a browser keeps the access token in, once it has shown it
/// in the URL.
const TOKEN_COOKIE: &str = "workflow_ui_token";

/// The header an action carries the page's CSRF secret in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// A secret a browser must show: an access token or a CSRF secret.
///
/// ```
/// use workflow_ui::Token;
/// let token = Token::generate();
/// assert_eq!(token.as_str().len(), 32);
/// assert!(Token::new("short").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// Why a text cannot be an access token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an access token needs at least {MIN_TOKEN} characters, each a letter, a digit, `-` or `_`")]
pub struct TokenError;

/// The fewest characters of a token given by hand.
const MIN_TOKEN: usize = 16;

impl Token {
    /// 128 random bits from the operating system, as 32 hex digits.
    pub fn generate() -> Token {
        let mut bytes = [0u8; 16];
        // The OS's generator fails only where the process could not run.
        getrandom::fill(&mut bytes).expect("the operating system's random generator is available");
        Token(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A token given by hand: at least 16 URL-safe characters.
    pub fn new(text: impl Into<String>) -> Result<Token, TokenError> {
        let text = text.into();
        let url_safe = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        match text.len() >= MIN_TOKEN && url_safe {
            true => Ok(Token(text)),
            false => Err(TokenError),
        }
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token, compared in time that does not
    /// depend on where they differ.
    pub(crate) fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// Who may use the pages.
///
/// [`Access::loopback`] serves only requests addressed to a loopback host
/// name (`localhost`, `127.0.0.1`, `[::1]`), which also keeps out other
/// sites that rebind their DNS name to this machine. [`Access::token`]
/// serves whoever shows the token: once in the URL (`?token=...`), after
/// which the browser keeps it in a cookie.
#[derive(Clone, Debug)]
pub struct Access {
    token: Option<Token>,
}

impl Access {
    /// Requests addressed to a loopback host name only.
    pub fn loopback() -> Access {
        Access { token: None }
    }

    /// Requests that show `token`, from any host.
    pub fn token(token: Token) -> Access {
        Access { token: Some(token) }
    }

    /// The token this access asks for, if any.
    pub fn required_token(&self) -> Option<&Token> {
        self.token.as_ref()
    }
}

/// Lets a request through when its access holds, and an action only when
/// it carries the page's CSRF secret.
pub(crate) async fn guard(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    match &shared.access.token {
        None if !addressed_to_loopback(headers) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "this UI serves loopback addresses only; start it with a token to serve others",
            )
        }
        None => {}
        Some(token) => {
            if let Some(given) = query_token(request.uri().query()) {
                if !token.matches(&given) {
                    return refuse(StatusCode::UNAUTHORIZED, "wrong access token");
                }
                return remember(token, request.uri().path());
            }
            if !cookie_token(headers).is_some_and(|given| token.matches(given)) {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "this UI needs its access token: open the URL it printed at start, which carries it",
                );
            }
        }
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !shared.csrf.matches(given) {
            return refuse(
                StatusCode::FORBIDDEN,
                "this action does not carry the page's CSRF token; reload the page and try again",
            );
        }
    }
    next.run(request).await
}

/// Whether the `Host` header names a loopback host.
fn addressed_to_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The `token` parameter of a query string.
fn query_token(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs.into_iter().find(|(k, _)| k == "token").map(|(_, v)| v)
}

/// The token cookie's value.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
}

/// Keeps a shown token in a cookie and sends the browser back to the page
/// without it in the URL.
fn remember(token: &Token, path: &str) -> Response {
    let cookie = format!("{TOKEN_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", token.as_str());
    (
        StatusCode::SEE_OTHER,
        [(SET_COOKIE, cookie), (LOCATION, path.to_owned())],
    )
        .into_response()
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_loopback_host_names_are_loopback() {
        for name in ["localhost:8080", "127.0.0.1:1", "127.9.9.9", "[::1]:80", "LOCALHOST"] {
            assert!(addressed_to_loopback(&host(name)), "{name}");
        }
        for name in ["evil.example:8080", "10.0.0.1", "localhost.evil.example", "[::2]:80"] {
            assert!(!addressed_to_loopback(&host(name)), "{name}");
        }
        assert!(!addressed_to_loopback(&HeaderMap::new()));
    }

    #[test]
    fn tokens_match_only_themselves() {
        let token = Token::new("0123456789abcdef").unwrap();
        assert!(token.matches("0123456789abcdef"));
        assert!(!token.matches("0123456789abcdeF"));
        assert!(!token.matches("0123456789abcde"));
        assert!(Token::new("0123456789abcde!").is_err());
        assert_ne!(Token::generate(), Token::generate());
    }

    #[test]
    fn the_token_is_read_from_the_query_and_the_cookie() {
        assert_eq!(query_token(Some("a=1&token=xyz")), Some("xyz".to_owned()));
        assert_eq!(query_token(Some("a=1")), None);
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("x=1; workflow_ui_token=abc; y=2"));
        assert_eq!(cookie_token(&headers), Some("abc"));
    }
}
