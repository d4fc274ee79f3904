//! Serving the UI on an address of its own, as `workflow ui` does.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use workflow::StoreFile;

use crate::access::{Access, Token};

/// Why the UI could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UiError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("the web UI stopped: {0}")]
    Serve(std::io::Error),
}

/// The UI bound to an address, ready to serve.
///
/// A loopback address is served to loopback host names without a token; any
/// other address needs one, generated here unless given, and the
/// [`url`](Self::url) carries it.
///
/// ```no_run
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// let file = workflow::StoreFile::open("orders.db")?;
/// let server = workflow_ui::UiServer::bind(file, "127.0.0.1:8233".parse()?, None).await?;
/// println!("open {}", server.url());
/// server.run().await?;
/// # Ok(()) }
/// ```
pub struct UiServer {
    listener: TcpListener,
    addr: SocketAddr,
    access: Access,
    file: StoreFile,
}

impl UiServer {
    /// Binds `addr` (port 0 picks a free port) to serve `file`; `token` is
    /// the access token for a non-loopback address.
    pub async fn bind(file: StoreFile, addr: SocketAddr, token: Option<Token>) -> Result<UiServer, UiError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| UiError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| UiError::Bind { addr, source })?;
        let access = match (token, addr.ip().is_loopback()) {
            (Some(token), _) => Access::token(token),
            (None, true) => Access::loopback(),
            (None, false) => Access::token(Token::generate()),
        };
        Ok(UiServer {
            listener,
            addr,
            access,
            file,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to open, with the access token when one is needed. An
    /// unspecified address (`0.0.0.0`) is shown as `localhost`.
    pub fn url(&self) -> String {
        let host = match self.addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        match self.access.required_token() {
            Some(token) => format!("http://{host}:{}/?token={}", self.addr.port(), token.as_str()),
            None => format!("http://{host}:{}/", self.addr.port()),
        }
    }

    /// Serves until the process ends or the listener fails.
    pub async fn run(self) -> Result<(), UiError> {
        let app = crate::router(self.file, self.access).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app).await.map_err(UiError::Serve)
    }
}
