//! A TLS-terminating gRPC gateway in front of a dev server, standing in for
//! a secured Temporal cluster: it serves a certificate signed by a test
//! authority, may require a client certificate, an API key and a header,
//! and forwards each HTTP/2 request to the server in clear.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A certificate and its key, as PEM for the client and DER for the gateway.
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

/// A test certificate authority and what it signed.
pub struct Authority {
    pub ca_pem: String,
    ca_der: CertificateDer<'static>,
    /// The gateway's certificate, for `localhost` and `127.0.0.1`.
    pub server: Identity,
    /// A client certificate, for mutual TLS.
    pub client: Identity,
}

impl Authority {
    pub fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose| {
            let mut params = CertificateParams::new(names).unwrap();
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca).unwrap();
            Identity {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
                cert_der: cert.der().clone(),
                key_der: key.serialize_der(),
            }
        };
        let server = leaf(
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = leaf(vec!["worker".to_owned()], ExtendedKeyUsagePurpose::ClientAuth);
        Authority {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            server,
            client,
        }
    }
}

/// What the gateway demands of a caller.
#[derive(Clone, Default)]
pub struct Demands {
    /// A client certificate signed by the gateway's authority.
    pub client_certificate: bool,
    /// `authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// A header and its value.
    pub header: Option<(String, String)>,
}

impl Demands {
    /// Why a request is refused, if it is.
    fn refusal(&self, request: &Request<Incoming>) -> Option<String> {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        if let Some(key) = &self.api_key {
            if header("authorization") != Some(&format!("Bearer {key}")) {
                return Some("missing or wrong API key".to_owned());
            }
        }
        if let Some((name, value)) = &self.header {
            if header(name) != Some(value.as_str()) {
                return Some(format!("missing header `{name}`"));
            }
        }
        None
    }
}

/// The gateway's loopback address; it stops when dropped.
pub struct Gateway {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Gateway {
    /// Serves TLS with `authority`'s server certificate, forwarding to `upstream` (`host:port`).
    pub async fn start(authority: &Authority, demands: Demands, upstream: &str) -> Gateway {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if demands.client_certificate {
            let mut roots = RootCertStore::empty();
            roots.add(authority.ca_der.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(authority.server.key_der.clone()));
        let mut config = builder
            .with_single_cert(vec![authority.server.cert_der.clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let upstream = upstream.to_owned();
        let client: Client<_, Incoming> = Client::builder(TokioExecutor::new()).http2_only(true).build_http();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, demands, upstream, client) =
                    (acceptor.clone(), demands.clone(), upstream.clone(), client.clone());
                tokio::spawn(async move {
                    // A refused handshake is what some tests want: nothing to do.
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service =
                        service_fn(move |request| forward(request, demands.clone(), upstream.clone(), client.clone()));
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Gateway { address, task }
    }
}

type Body = http_body_util::Either<Incoming, http_body_util::Empty<Bytes>>;

/// Forwards `request` to the server, or refuses it the way gRPC servers
/// do: status 16 (unauthenticated) in a trailers-only response.
async fn forward(
    mut request: Request<Incoming>,
    demands: Demands,
    upstream: String,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Incoming>,
) -> Result<Response<Body>, hyper_util::client::legacy::Error> {
    if let Some(refusal) = demands.refusal(&request) {
        let response = Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-status", "16")
            .header("grpc-message", refusal)
            .body(Body::Right(http_body_util::Empty::new()))
            .unwrap();
        return Ok(response);
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    *request.uri_mut() = format!("http://{upstream}{path}").parse().unwrap();
    let response = client.request(request).await?;
    Ok(response.map(Body::Left))
}
