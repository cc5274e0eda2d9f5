//! The TLS side of a probe: the rustls client configuration, a certificate
//! verifier that records what it saw, and the handshake's outcome as facts.
//!
//! Validation is on by default (Mozilla's roots from webpki-roots). `--ca-file`
//! replaces the roots; `--insecure` still verifies and records the result but
//! lets the handshake go on, so the report shows what a strict client would
//! have refused. Either choice is reported with every endpoint.

use crate::cert::{self, CertSummary};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Which certificates the probe trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Mozilla's roots (webpki-roots).
    PublicRoots,
    /// Only the CAs in this PEM file.
    CaFile(PathBuf),
    /// Verify and report, but go on even when verification fails.
    Insecure,
}

impl Trust {
    /// The fact value for `probe.validation`.
    pub fn label(&self) -> &'static str {
        match self {
            Trust::PublicRoots => "public-roots",
            Trust::CaFile(_) => "ca-file",
            Trust::Insecure => "insecure",
        }
    }
}

/// The root store for a trust choice; fails when the CA file is unreadable or holds no certificate.
pub fn root_store(trust: &Trust) -> Result<Arc<RootCertStore>, String> {
    let mut roots = RootCertStore::empty();
    match trust {
        Trust::PublicRoots | Trust::Insecure => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Trust::CaFile(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("{}: {}", path.display(), e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {}", path.display(), e))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("{}: no usable CA certificate in the file", path.display()));
            }
        }
    }
    Ok(Arc::new(roots))
}

/// What the verifier saw during one handshake.
#[derive(Debug, Clone, Default)]
pub struct CertRecord {
    pub chain: Vec<CertificateDer<'static>>,
    /// `None` when the chain verified.
    pub error: Option<rustls::Error>,
    pub checked: bool,
}

/// Verifies like rustls' WebPKI verifier, remembering the chain and the verdict.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    insecure: bool,
    record: Arc<Mutex<CertRecord>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        if let Ok(mut rec) = self.record.lock() {
            rec.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            rec.error = verdict.as_ref().err().cloned();
            rec.checked = true;
        }
        match verdict {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            v => v,
        }
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A client configuration for one handshake and the record its verifier fills.
pub fn client_config(roots: &Arc<RootCertStore>, insecure: bool) -> Result<(Arc<ClientConfig>, Arc<Mutex<CertRecord>>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let record = Arc::new(Mutex::new(CertRecord::default()));
    let verifier = RecordingVerifier {
        inner,
        insecure,
        record: record.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((Arc::new(config), record))
}

/// The name to verify the certificate against (an IP literal verifies as an IP).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.trim_matches(['[', ']']).to_string()).map_err(|e| format!("`{}`: {}", host, e))
}

/// The certificate part of an endpoint's facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CertFacts {
    /// The chain verified against the trusted roots (false also under `--insecure`).
    pub valid: Option<bool>,
    /// Why it did not: `expired`, `not-yet-valid`, `name-mismatch`, `unknown-issuer`, `revoked`, `bad-signature`, `other`.
    pub error: Option<String>,
    /// rustls' own words for the error.
    pub error_text: Option<String>,
    /// The server's certificate, then the intermediates it sent.
    pub chain: Vec<CertSummary>,
    /// Days until the server certificate expires (negative: expired).
    pub days_left: Option<i64>,
}

/// The stable fact value for a certificate error.
pub fn cert_error_kind(e: &rustls::Error) -> &'static str {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "not-yet-valid",
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => "name-mismatch",
            CertificateError::UnknownIssuer => "unknown-issuer",
            CertificateError::Revoked => "revoked",
            CertificateError::BadSignature => "bad-signature",
            _ => "other",
        },
        _ => "other",
    }
}

/// Turns a verifier record into facts.
pub fn cert_facts(rec: &CertRecord, now_unix: i64) -> CertFacts {
    if !rec.checked {
        return CertFacts::default();
    }
    let chain: Vec<CertSummary> = rec.chain.iter().filter_map(|c| cert::summarize(c.as_ref())).collect();
    let days_left = chain
        .first()
        .and_then(|c| c.not_after_unix)
        .map(|t| (t - now_unix).div_euclid(86400));
    CertFacts {
        valid: Some(rec.error.is_none()),
        error: rec.error.as_ref().map(|e| cert_error_kind(e).to_string()),
        error_text: rec.error.as_ref().map(|e| e.to_string()),
        chain,
        days_left,
    }
}

/// The fact value for a handshake that failed: what kind of failure it was.
pub fn handshake_error_kind(e: &std::io::Error) -> &'static str {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(_)) => "certificate",
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)) => "tls-protocol-version",
        Some(rustls::Error::PeerIncompatible(_)) => "tls-protocol-version",
        Some(rustls::Error::InvalidMessage(_)) => "tls-not-spoken",
        Some(rustls::Error::AlertReceived(_)) => "tls-alert",
        Some(_) => "tls-handshake-failed",
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => "connection-closed",
        None => "tls-handshake-failed",
    }
}

/// Whether a path names a readable CA file (checked before any network work).
pub fn check_ca_file(path: &Path) -> Result<(), String> {
    root_store(&Trust::CaFile(path.to_path_buf())).map(|_| ())
}

/// The negotiated protocol version as `TLSv1.3`.
pub fn version_label(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{:?}", other),
    }
}
