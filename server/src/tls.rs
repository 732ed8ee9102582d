//! HTTPS served by the server itself (`sachhon serve --tls-cert FILE --tls-key FILE`): the
//! certificate chain and private key read from PEM files into a rustls configuration (ring
//! provider, TLS 1.2 and 1.3, HTTP/1.1 by ALPN). The connection loop (`http::listen`) does the
//! handshakes; `http::serve_tls` marks the state so that cookies are `Secure` and answers
//! carry [`HSTS`].

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::path::Path;
use std::sync::Arc;

/// The `Strict-Transport-Security` value sent over TLS: browsers use only https for this
/// host for a year (not its subdomains, which this server does not answer for).
pub const HSTS: &str = "max-age=31536000";

/// Why the certificate or key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsSetupError(String);

/// The rustls configuration of a server presenting the certificate chain in `cert` (PEM: the
/// server's certificate first, then any intermediates) with the private key in `key` (PEM:
/// PKCS#8, PKCS#1 or SEC1). Refused when a file is unreadable, holds no certificate or key,
/// or the key is not the certificate's.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let unreadable =
        |path: &Path, error: pem::Error| TlsSetupError(format!("{}: {error}", path.display()));
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| unreadable(cert, e))?;
    if chain.is_empty() {
        return Err(TlsSetupError(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            cert.display()
        )));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|error| match error {
        pem::Error::NoItemsFound => TlsSetupError(format!(
            "{}: no PEM private key (PKCS#8, PKCS#1 or SEC1) found",
            key.display()
        )),
        error => unreadable(key, error),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(chain, private_key)
        })
        .map_err(|e| TlsSetupError(format!("{} with {}: {e}", cert.display(), key.display())))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
