//! The record of one endpoint's probe, filled step by step: what each step
//! found, how long it took, the replies with their protocol stage, client-side
//! errors, and the redacted transcript.
//!
//! Field names are the fact names under `probe.endpoints[]` (see the `probe`
//! section of `schemas/facts.schema.json`); `None` fields are left out, so a
//! step that never ran is unknown to the KB's rules rather than false.

use serde::Serialize;
use serde_json::Value;

/// One step and its time.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// `dns`, `connect`, `tls-first`, `banner`, `ehlo`, `starttls`, `tls`, `ehlo-tls`, `auth`, `mail-from`, `rcpt-to`, `data`, `quit`.
    pub step: String,
    pub ok: bool,
    /// Milliseconds the step took.
    pub ms: u64,
    /// What it found, in one line.
    pub detail: String,
}

/// One RCPT TO and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct RcptResult {
    pub address: String,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub accepted: bool,
}

/// One line of the transcript (credentials already redacted).
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptLine {
    /// Milliseconds since the endpoint's probe started.
    pub ms: u64,
    /// `C` sent by the probe, `S` from the server, `*` a note (TLS, errors).
    pub dir: &'static str,
    pub text: String,
}

/// Everything found about one endpoint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EndpointReport {
    /// `host:port` as given (`smtps://` for implicit TLS on a port other than 465).
    pub endpoint: String,
    pub host: String,
    pub port: u16,
    /// `submission`, `legacy`, `mx` or `other`.
    pub role: String,
    /// TLS from the first byte instead of STARTTLS.
    pub implicit_tls: bool,
    pub resolved: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `ok`, `refused`, `timeout`, `unreachable`, `dns-failure` or `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_error: Option<String>,
    /// Implicit TLS only: the server answered the TLS handshake (false: it greeted in plain text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_first: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ehlo_code: Option<u16>,
    pub ehlo_capabilities: Vec<String>,
    /// AUTH mechanisms offered before TLS (Exchange Online offers none).
    pub auth_mechanisms_before_tls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls_offered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_established: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cipher: Option<String>,
    /// `certificate`, `tls-protocol-version`, `tls-not-spoken`, `tls-alert`, `tls-handshake-failed`, `timeout`, `connection-closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_error_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_issuer: Option<String>,
    pub cert_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_days_left: Option<i64>,
    pub cert_chain_length: usize,
    /// AUTH mechanisms offered after TLS.
    pub auth_mechanisms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_mechanism: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_result_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_enhanced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_succeeded: Option<bool>,
    /// Why AUTH was not tried though `--user` was given (`no-tls`, `not-offered`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from_enhanced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from_accepted: Option<bool>,
    pub rcpt: Vec<RcptResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_accepted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quit_code: Option<u16>,
    /// A reply could not be read: `timeout`, `connection-closed`, `line-too-long`, `reply-too-long`, `malformed-reply`, `io-error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
    /// The step where the session stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    pub steps: Vec<StepRecord>,
    pub total_ms: u64,
    /// Replies as `probe.replies` items (stage, origin `probe`).
    #[serde(skip)]
    pub replies: Vec<Value>,
    /// Client errors as `probe.client_errors` items.
    #[serde(skip)]
    pub client_errors: Vec<Value>,
    #[serde(skip)]
    pub transcript: Vec<TranscriptLine>,
}

impl EndpointReport {
    /// Adds a client-side error (kind + text), sourced to this endpoint.
    pub fn client_error(&mut self, kind: &str, text: &str) {
        let line = self.transcript.len() + 1;
        self.client_errors.push(serde_json::json!({
            "kind": kind,
            "text": text,
            "code_id": null,
            "source": { "file": format!("probe {}", self.endpoint), "line": line },
        }));
    }
}
