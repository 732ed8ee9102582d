//! Certificates made in the test with rcgen: a CA, and a server certificate it issues for
//! `localhost`, `127.0.0.1` and `sachhon.test` (a name the browser test maps to 127.0.0.1),
//! written as the PEM files `sachhon serve --tls-cert/--tls-key` and `sachhon-device enroll
//! --ca-cert` read.

use data_encoding::BASE64;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use sachhon_tests::TlsFiles;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tempfile::TempDir;

/// The names the server certificate is valid for.
pub const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "sachhon.test"];

/// A CA and the server certificate it issued, in PEM files that live as long as this.
pub struct TestPki {
    /// The server's certificate and key, and the CA's PEM.
    pub files: TlsFiles,
    /// The CA's certificate as a file, for `--ca-cert`.
    pub ca_file: PathBuf,
    /// The base64 SHA-256 of the server certificate's SubjectPublicKeyInfo: what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes to trust it.
    pub spki_sha256: String,
    _dir: TempDir,
}

/// A CA certificate and its key.
fn ca(name: &str) -> anyhow::Result<(Certificate, KeyPair)> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok((params.self_signed(&key)?, key))
}

/// A fresh CA (named `ca_name`) and a server certificate it issued for [`SERVER_NAMES`].
pub fn pki(ca_name: &str) -> anyhow::Result<TestPki> {
    let (ca_cert, ca_key) = ca(ca_name)?;
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(
        SERVER_NAMES
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>(),
    )?;
    params
        .distinguished_name
        .push(DnType::CommonName, "sachhon test server");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &ca_cert, &ca_key)?;

    let dir = tempfile::tempdir()?;
    let (cert, key, ca_file) = (
        dir.path().join("server.pem"),
        dir.path().join("server.key"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, server_cert.pem())?;
    std::fs::write(&key, server_key.serialize_pem())?;
    std::fs::write(&ca_file, ca_cert.pem())?;
    Ok(TestPki {
        files: TlsFiles {
            cert,
            key,
            ca_pem: ca_cert.pem(),
        },
        ca_file,
        spki_sha256: BASE64.encode(&Sha256::digest(server_key.public_key_der())),
        _dir: dir,
    })
}
