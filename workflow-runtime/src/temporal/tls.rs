//! TLS towards a Temporal server: which certificate authority to trust,
//! the name to check, and the client's own certificate for mutual TLS.

use std::fmt;

use temporalio_client::{ClientTlsOptions, TlsOptions};

/// TLS settings of [`ConnectOptions::tls`](crate::ConnectOptions::tls).
///
/// The default trusts the system's root certificates, as a client of
/// Temporal Cloud does. A self-hosted cluster signed by its own authority
/// gives that authority's certificate; a cluster that requires mutual TLS
/// also gets the client's certificate and key. Everything is PEM.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use workflow_runtime::{ConnectOptions, TlsConfig};
///
/// let tls = TlsConfig::new()
///     .server_ca(std::fs::read("certs/ca.pem")?)
///     .server_name("temporal.internal")
///     .client_identity(std::fs::read("certs/client.pem")?, std::fs::read("certs/client.key")?);
/// let options = ConnectOptions::new("temporal.internal:7233").tls(tls);
/// # Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate authority (PEM) that signed the server's certificate;
    /// `None` trusts the system's roots.
    pub server_ca: Option<Vec<u8>>,
    /// The name the server's certificate must carry; by default, the host
    /// of the target address.
    pub server_name: Option<String>,
    /// The client's certificate and key, for servers that require mutual TLS.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate chain and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate chain (PEM).
    pub certificate: Vec<u8>,
    /// The private key (PEM: PKCS#8, RSA or SEC1).
    pub private_key: Vec<u8>,
}

impl TlsConfig {
    /// TLS that trusts the system's root certificates.
    pub fn new() -> Self {
        TlsConfig::default()
    }

    /// Trusts the certificate authority `pem` (and not the system's roots).
    pub fn server_ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.server_ca = Some(pem.into());
        self
    }

    /// Checks the server's certificate against `name` instead of the host
    /// of the target address.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Presents a client certificate, for mutual TLS.
    pub fn client_identity(mut self, certificate: impl Into<Vec<u8>>, private_key: impl Into<Vec<u8>>) -> Self {
        self.client_identity = Some(ClientIdentity {
            certificate: certificate.into(),
            private_key: private_key.into(),
        });
        self
    }

    /// The options of Temporal's client.
    pub(super) fn to_options(&self) -> TlsOptions {
        let client = self.client_identity.as_ref().map(|identity| {
            ClientTlsOptions::builder()
                .client_cert(identity.certificate.clone())
                .client_private_key(identity.private_key.clone())
                .build()
        });
        TlsOptions::builder()
            .maybe_server_root_ca_cert(self.server_ca.clone())
            .maybe_domain(self.server_name.clone())
            .maybe_client_tls_options(client)
            .build()
    }
}

// Keys stay out of logs: only whether each part is set is shown.
impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server_ca", &self.server_ca.as_ref().map(|_| "<pem>"))
            .field("server_name", &self.server_name)
            .field("client_identity", &self.client_identity)
            .finish()
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientIdentity { certificate: <pem>, private_key: <redacted> }")
    }
}

/// Words a TLS failure for the person who configured it: what went wrong
/// and which setting to look at; `None` when the failure is not about TLS.
/// `tls` is what the connection used.
pub(super) fn explain(message: &str, tls: &TlsConfig) -> Option<String> {
    // A server that requires a client certificate may close the connection
    // before its alert is read, or while the first request is written:
    // without one, that is the likely cause.
    let closed = ["connection closed", "Canceled", "BrokenPipe", "broken pipe"]
        .iter()
        .any(|symptom| message.contains(symptom));
    let hint = if message.contains("UnknownIssuer") {
        "the server's certificate is not signed by a trusted authority: give the authority that signed it with \
         `TlsConfig::server_ca`"
    } else if message.contains("NotValidForName") {
        "the server's certificate does not carry the name connected to: set `TlsConfig::server_name` to a name it \
         carries"
    } else if message.contains("CertificateRequired") || message.contains("peer sent no certificates") {
        "the server requires a client certificate: give one with `TlsConfig::client_identity`"
    } else if closed && tls.client_identity.is_none() {
        "the server closed the connection after the handshake, as one that requires a client certificate \
         does: give one with `TlsConfig::client_identity`"
    } else if message.contains("BadCertificate") || message.contains("UnknownCA") {
        "the server refused the client certificate: give one signed by an authority the server trusts"
    } else if message.contains("HTTP/2 was not negotiated") {
        "the server does not speak HTTP/2 over TLS (ALPN `h2`): is this a Temporal frontend?"
    } else if message.contains("CorruptMessage") || message.contains("InvalidContentType") {
        "the server did not answer in TLS: does it serve TLS on this port?"
    } else {
        return None;
    };
    Some(format!("TLS failed: {hint} ({message})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_the_setting_to_fix() {
        let plain = TlsConfig::new();
        let unknown = "invalid peer certificate: UnknownIssuer";
        assert!(explain(unknown, &plain).unwrap().contains("`TlsConfig::server_ca`"));
        let closed = "Status { code: Cancelled, source: hyper::Error(Canceled, \"connection closed\") }";
        assert!(explain(closed, &plain)
            .unwrap()
            .contains("`TlsConfig::client_identity`"));
        let broken = "transport error (Custom { kind: BrokenPipe, error: \"stream closed because of a broken pipe\" })";
        assert!(explain(broken, &plain)
            .unwrap()
            .contains("`TlsConfig::client_identity`"));
        let with_identity = plain.clone().client_identity("cert", "key");
        assert_eq!(
            explain(closed, &with_identity),
            None,
            "a closed connection is not blamed on TLS then"
        );
        assert_eq!(explain("namespace not found", &plain), None);
    }
}
