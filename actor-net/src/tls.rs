//! TLS for the QUIC connections between nodes.
//!
//! QUIC always runs TLS 1.3, so every connection between nodes is encrypted;
//! what [`Tls`] chooses is how a node knows who is at the other end. With
//! [`Tls::SelfSigned`] (the default) each node makes a throw-away certificate
//! at start and certificates prove nothing: peers are authenticated by the
//! cluster key proof of the `auth` module, which is bound to the TLS session
//! so that it cannot be relayed. With [`Tls::Ca`] both ends present
//! certificates from the operator's own CA and each checks the other's, on
//! top of the cluster key. The crypto provider is always passed explicitly,
//! so the process-wide rustls default (which an application may set to
//! something else, or not at all) never matters, and 0-RTT is off: early
//! data can be replayed, and nothing a node sends is safe to replay.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::NetError;

/// ALPN protocol id.
pub(crate) const ALPN: &[u8] = b"actor-net/1";

/// See [`crate::__testing::stranger_tls`].
pub(crate) fn stranger() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = AnyCertificate::new(provider.signature_verification_algorithms);
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("ring supports TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls
}

/// The name in self-signed certificates, and the SNI a client sends to them.
const SELF_SIGNED_NAME: &str = "actor-node";

/// How nodes authenticate with TLS.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Tls {
    /// Default. Each node makes a self-signed certificate at start. The
    /// client does not verify the server's certificate chain (it still
    /// verifies the TLS 1.3 handshake signature); peers are authenticated by
    /// the cluster key proof, which is bound to the TLS session through
    /// exporter keying material, so a man in the middle cannot relay it.
    #[default]
    SelfSigned,
    /// Production: mutual TLS with certificates from the user's own CA. Each
    /// node presents its certificate chain and requires the peer's
    /// certificate to chain to the roots; the cluster key is checked as well.
    Ca(CaTls),
}

/// Mutual TLS with certificates from the user's own certificate authority.
#[derive(Clone)]
pub struct CaTls {
    /// The CA certificates a peer's certificate must chain to.
    pub roots: Vec<CertificateDer<'static>>,
    /// This node's certificate, then any intermediates up to (not
    /// including) a root.
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// The private key of this node's certificate.
    pub key: Arc<PrivateKeyDer<'static>>,
    /// The name the server certificates are issued for; clients send it as
    /// SNI and check it in the server's certificate.
    pub server_name: String,
}

impl CaTls {
    /// Parses PEM text: the CA roots (one or more certificates), this node's
    /// certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or
    /// SEC1), all as written by common tools such as `openssl` or `rcgen`.
    pub fn from_pem(
        roots_pem: &str,
        cert_chain_pem: &str,
        key_pem: &str,
        server_name: impl Into<String>,
    ) -> Result<CaTls, NetError> {
        let certs = |pem: &str, what: &str| {
            let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls_error(format!("{what}: {e}")))?;
            if certs.is_empty() {
                return Err(tls_error(format!(
                    "{what}: no certificate found in the PEM text"
                )));
            }
            Ok(certs)
        };
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| tls_error(format!("private key: {e}")))?;
        let ca = CaTls {
            roots: certs(roots_pem, "CA roots")?,
            cert_chain: certs(cert_chain_pem, "certificate chain")?,
            key: Arc::new(key),
            server_name: server_name.into(),
        };
        // Catch a bad name now rather than at the first connection.
        ServerName::try_from(ca.server_name.as_str())
            .map_err(|e| tls_error(format!("server name {:?}: {e}", ca.server_name)))?;
        Ok(ca)
    }
}

impl fmt::Debug for CaTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a secret: it must never end up in a log line.
        f.debug_struct("CaTls")
            .field("roots", &self.roots.len())
            .field("cert_chain", &self.cert_chain.len())
            .field("key", &"..")
            .field("server_name", &self.server_name)
            .finish()
    }
}

/// The name the client puts in SNI / checks: "actor-node" for SelfSigned,
/// CaTls::server_name for Ca.
pub(crate) fn server_name(tls: &Tls) -> &str {
    match tls {
        Tls::SelfSigned => SELF_SIGNED_NAME,
        Tls::Ca(ca) => &ca.server_name,
    }
}

/// Builds the endpoint's server and client configuration. `transport` is
/// shared by both.
pub(crate) fn configs(
    tls: &Tls,
    transport: Arc<quinn::TransportConfig>,
) -> Result<(quinn::ServerConfig, quinn::ClientConfig), NetError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (mut server, mut client) = match tls {
        Tls::SelfSigned => self_signed(&provider)?,
        Tls::Ca(ca) => with_ca(ca, &provider)?,
    };
    server.alpn_protocols = vec![ALPN.to_vec()];
    // QUIC allows only 0 or u32::MAX; 0 refuses early data, which could be
    // replayed by an attacker.
    server.max_early_data_size = 0;
    client.alpn_protocols = vec![ALPN.to_vec()];
    client.enable_early_data = false;

    let server = quinn::crypto::rustls::QuicServerConfig::try_from(server)
        .map_err(|e| tls_error(format!("server configuration: {e}")))?;
    let client = quinn::crypto::rustls::QuicClientConfig::try_from(client)
        .map_err(|e| tls_error(format!("client configuration: {e}")))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(server));
    server.transport_config(transport.clone());
    let mut client = quinn::ClientConfig::new(Arc::new(client));
    client.transport_config(transport);
    Ok((server, client))
}

fn tls_error(reason: impl Into<String>) -> NetError {
    NetError::Tls {
        reason: reason.into(),
    }
}

fn rustls_error(e: rustls::Error) -> NetError {
    tls_error(e.to_string())
}

/// A fresh certificate and key for this node's lifetime, and configurations
/// that do not check certificates (the cluster key does the authenticating).
fn self_signed(
    provider: &Arc<CryptoProvider>,
) -> Result<(rustls::ServerConfig, rustls::ClientConfig), NetError> {
    let names = vec![SELF_SIGNED_NAME.to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| tls_error(format!("self-signed certificate: {e}")))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(rustls_error)?;
    let verifier = AnyCertificate::new(provider.signature_verification_algorithms);
    let client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((server, client))
}

/// Mutual TLS: both ends present their chain and check the peer's against
/// the roots.
fn with_ca(
    ca: &CaTls,
    provider: &Arc<CryptoProvider>,
) -> Result<(rustls::ServerConfig, rustls::ClientConfig), NetError> {
    if ca.roots.is_empty() {
        return Err(tls_error("no CA root: every peer would be refused"));
    }
    ServerName::try_from(ca.server_name.as_str())
        .map_err(|e| tls_error(format!("server name {:?}: {e}", ca.server_name)))?;
    let mut roots = RootCertStore::empty();
    for root in &ca.roots {
        roots
            .add(root.clone())
            .map_err(|e| tls_error(format!("CA root: {e}")))?;
    }
    let roots = Arc::new(roots);
    let client_verifier =
        WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
            .build()
            .map_err(|e| tls_error(format!("client certificate verifier: {e}")))?;
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error)?
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(ca.cert_chain.clone(), ca.key.clone_key())
        .map_err(rustls_error)?;
    let client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error)?
        .with_root_certificates(roots)
        .with_client_auth_cert(ca.cert_chain.clone(), ca.key.clone_key())
        .map_err(rustls_error)?;
    Ok((server, client))
}

/// Accepts any server certificate but still checks the handshake signature.
///
/// Checking the signature is not about trust in the certificate (there is
/// none) but keeps the handshake honest: the server proves it holds the key
/// of the certificate it sent, as TLS 1.3 requires. Nodes with
/// [`Tls::SelfSigned`] use it; it is also what a raw quinn client (the
/// adversarial tests, the benchmarks' baselines) needs to reach a node, hence
/// public through [`crate::__testing`].
#[derive(Debug)]
pub struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyCertificate {
    /// A verifier checking handshake signatures with `algorithms` (a crypto
    /// provider's `signature_verification_algorithms`).
    pub fn new(algorithms: WebPkiSupportedAlgorithms) -> Self {
        AnyCertificate { algorithms }
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Peers are authenticated by the cluster key proof instead.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Unreachable under QUIC (TLS 1.3 only), but verifying is the safe
        // answer should it ever be called.
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    use quinn::{Connection, ConnectionError, Endpoint, TransportConfig};
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };

    /// A server endpoint for `server` and a client endpoint for `client`,
    /// both on 127.0.0.1.
    pub(crate) fn endpoints(server: &Tls, client: &Tls) -> (Endpoint, Endpoint) {
        let transport = Arc::new(TransportConfig::default());
        let (server_config, _) = configs(server, transport.clone()).expect("server configs");
        let (_, client_config) = configs(client, transport).expect("client configs");
        let local = "127.0.0.1:0".parse().expect("address");
        let server = Endpoint::server(server_config, local).expect("server endpoint");
        let mut client = Endpoint::client(local).expect("client endpoint");
        client.set_default_client_config(client_config);
        (server, client)
    }

    /// Connects `client` to `server`: the client's and the server's side.
    pub(crate) async fn connect(
        server: &Endpoint,
        client: &Endpoint,
        name: &str,
    ) -> (
        Result<Connection, ConnectionError>,
        Result<Connection, ConnectionError>,
    ) {
        let addr = server.local_addr().expect("server address");
        let connecting = client.connect(addr, name).expect("connect");
        let accepting = async {
            let incoming = server.accept().await.expect("an incoming connection");
            incoming.await
        };
        tokio::join!(connecting, accepting)
    }

    /// A CA, and a function issuing node certificates from it as PEM.
    fn ca() -> (String, impl Fn() -> (String, String)) {
        let mut params = CertificateParams::new(Vec::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = params.self_signed(&ca_key).expect("CA certificate");
        let pem = ca_cert.pem();
        let issue = move || {
            let mut params =
                CertificateParams::new(vec!["node.cluster".to_owned()]).expect("node params");
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
            let key = KeyPair::generate().expect("node key");
            let cert = params
                .signed_by(&key, &ca_cert, &ca_key)
                .expect("node certificate");
            (cert.pem(), key.serialize_pem())
        };
        (pem, issue)
    }

    fn node(roots: &str, (cert, key): (String, String)) -> Tls {
        Tls::Ca(CaTls::from_pem(roots, &cert, &key, "node.cluster").expect("from_pem"))
    }

    #[test]
    fn debug_hides_the_key() {
        let (roots, issue) = ca();
        let (cert, key) = issue();
        let tls = node(&roots, (cert, key.clone()));
        let printed = format!("{tls:?}");
        assert!(printed.contains("node.cluster"));
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!printed.contains(&body[..16]));
    }

    #[test]
    fn from_pem_refuses_garbage() {
        let (roots, issue) = ca();
        let (cert, key) = issue();
        assert!(CaTls::from_pem("", &cert, &key, "node.cluster").is_err());
        assert!(CaTls::from_pem(&roots, &cert, "not a key", "node.cluster").is_err());
        assert!(CaTls::from_pem(&roots, &cert, &key, "bad name!").is_err());
    }

    #[tokio::test]
    async fn self_signed_connects() {
        let (server, client) = endpoints(&Tls::SelfSigned, &Tls::SelfSigned);
        let (c, s) = connect(&server, &client, server_name(&Tls::SelfSigned)).await;
        let (c, s) = (c.expect("client side"), s.expect("server side"));
        let alpn = s.handshake_data().and_then(|d| {
            d.downcast::<quinn::crypto::rustls::HandshakeData>()
                .ok()
                .and_then(|d| d.protocol)
        });
        assert_eq!(alpn.as_deref(), Some(ALPN));
        c.close(0u32.into(), b"done");
    }

    #[tokio::test]
    async fn ca_admits_its_nodes_and_refuses_others() {
        let (roots, issue) = ca();
        let (a, b) = (node(&roots, issue()), node(&roots, issue()));
        let (server, client) = endpoints(&a, &b);
        let (c, s) = connect(&server, &client, server_name(&b)).await;
        c.expect("a node of the CA connects");
        s.expect("a node of the CA is accepted");

        let (other_roots, other_issue) = ca();
        let stranger = node(&other_roots, other_issue());

        // The stranger dials: the server refuses its client certificate.
        let (server, client) = endpoints(&a, &stranger);
        let (c, s) = connect(&server, &client, server_name(&a)).await;
        assert!(
            s.is_err(),
            "the server must refuse a foreign client certificate"
        );
        // TLS 1.3 lets the client finish before the server judged its
        // certificate; then the refusal arrives as a close.
        if let Ok(c) = c {
            let closed = tokio::time::timeout(Duration::from_secs(5), c.closed()).await;
            assert!(closed.is_ok(), "the refused client connection must close");
        }

        // The stranger listens: the client refuses its server certificate.
        let (server, client) = endpoints(&stranger, &a);
        let (c, s) = connect(&server, &client, server_name(&a)).await;
        assert!(
            c.is_err(),
            "the client must refuse a foreign server certificate"
        );
        assert!(s.is_err());
    }
}
