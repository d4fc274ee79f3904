//! Who may use the pages: a loopback-only policy or an access token, and
//! the CSRF secret every action must carry.

use std::fmt;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{COOKIE, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::page::Base;
use crate::state::Shared;

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
#[derive(Clone)]
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
/// [`Access::loopback`] serves only requests that come from this machine
/// and are addressed to a loopback host name (`localhost`, `127.0.0.1`,
/// `[::1]`), which also keeps out other sites that rebind their DNS name to
/// this machine. [`Access::token`] serves whoever shows the token: once in
/// the URL (`?token=...`), after which the browser keeps it in a cookie.
#[derive(Clone, Debug)]
pub struct Access(Rule);

/// What [`Access`] lets through.
#[derive(Clone, Debug)]
enum Rule {
    /// Loopback peers addressing a loopback host name.
    Loopback,
    /// Whoever shows `token`.
    Token {
        token: Token,
        /// The name of the cookie that keeps the token: random, so other
        /// services on the same host name (cookies ignore ports) neither
        /// get nor overwrite it.
        cookie: String,
    },
}

impl Access {
    /// Requests from a loopback peer, addressed to a loopback host name.
    ///
    /// The peer's address comes from axum's [`ConnectInfo`]: serve the
    /// router with `into_make_service_with_connect_info::<SocketAddr>()`
    /// (as [`UiServer`](crate::UiServer) does). Without it every request is
    /// refused, since a `Host` header alone is whatever the client says.
    pub fn loopback() -> Access {
        Access(Rule::Loopback)
    }

    /// Requests that show `token`, from any host.
    pub fn token(token: Token) -> Access {
        let cookie = format!("workflow_ui_{}", &Token::generate().as_str()[..12]);
        Access(Rule::Token { token, cookie })
    }

    /// The token this access asks for, if any.
    pub fn required_token(&self) -> Option<&Token> {
        match &self.0 {
            Rule::Loopback => None,
            Rule::Token { token, .. } => Some(token),
        }
    }
}

/// Lets a request through when its access holds, and an action only when
/// it carries the page's CSRF secret.
pub(crate) async fn guard(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    match &shared.access.0 {
        Rule::Loopback => {
            let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
            if !peer.is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback()) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "this UI serves this machine only; start it with a token to serve others",
                );
            }
            if !addressed_to_loopback(request.headers()) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "this UI answers loopback host names only (localhost, 127.0.0.1, [::1])",
                );
            }
        }
        Rule::Token { token, cookie } => {
            if let Some(given) = query_token(request.uri().query()) {
                if !token.matches(&given) {
                    return refuse(StatusCode::UNAUTHORIZED, "wrong access token");
                }
                return remember(cookie, token, &request);
            }
            if !cookie_token(request.headers(), cookie).is_some_and(|given| token.matches(given)) {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "this UI needs its access token: open the URL it printed at start, which carries it",
                );
            }
        }
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let given = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !shared.csrf.matches(given.unwrap_or("")) {
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

/// The pairs of a query string.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// The `token` parameter of a query string.
fn query_token(query: Option<&str>) -> Option<String> {
    query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
}

/// The value of cookie `name`.
fn cookie_token<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Keeps a shown token in cookie `name`, scoped to the UI's path, and
/// sends the browser back to the same page without the token in its URL.
fn remember(name: &str, token: &Token, request: &Request) -> Response {
    let base = Base::of(request.uri(), request.extensions().get());
    let cookie = format!(
        "{name}={}; Path={}; HttpOnly; SameSite=Strict",
        token.as_str(),
        base.home()
    );
    let kept: Vec<(String, String)> = query_pairs(request.uri().query())
        .into_iter()
        .filter(|(k, _)| k != "token")
        .collect();
    let mut location = base.at(request.uri().path());
    // One leading slash: `//host` would send the browser to another site.
    location = format!("/{}", location.trim_start_matches(['/', '\\']));
    if !kept.is_empty() {
        location = format!("{location}?{}", serde_urlencoded::to_string(&kept).unwrap_or_default());
    }
    (StatusCode::SEE_OTHER, [(SET_COOKIE, cookie), (LOCATION, location)]).into_response()
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
        assert_ne!(Token::generate().as_str(), Token::generate().as_str());
    }

    #[test]
    fn the_token_is_read_from_the_query_and_the_cookie() {
        assert_eq!(query_token(Some("a=1&token=xyz")), Some("xyz".to_owned()));
        assert_eq!(query_token(Some("a=1")), None);
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("x=1; workflow_ui_1=abc; y=2"));
        assert_eq!(cookie_token(&headers, "workflow_ui_1"), Some("abc"));
        assert_eq!(cookie_token(&headers, "workflow_ui_2"), None);
    }
}
