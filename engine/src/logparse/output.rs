//! What a parsed log gives: the `log.*` facts (declared in
//! `schemas/facts.schema.json`), the conversation steps `parse` shows, and the
//! merge into a facts tree.
//!
//! Every fact is optional: one the log cannot tell stays unset (unknown is not
//! false). Lists are bounded ([`MAX_REPLIES`], [`MAX_STEPS`], ...) so memory does
//! not grow with the file; what was dropped is counted, never silently lost.

use crate::facts::Facts;
use crate::kb::raw::Stage;
use crate::reply::Reply;
use serde::Serialize;
use serde_json::{json, Value};

/// Replies kept in full; after that only failures (4xx/5xx) up to twice this.
pub const MAX_REPLIES: usize = 2000;
/// Conversation steps kept for display.
pub const MAX_STEPS: usize = 5000;
/// Client errors and recipients kept.
pub const MAX_ERRORS: usize = 500;

/// A reply and the command it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StagedReply {
    #[serde(flatten)]
    pub reply: Reply,
    pub stage: Stage,
    /// Came from an error summary, not the transcript: a transcript copy that follows replaces it.
    #[serde(skip)]
    pub echo: bool,
}

/// A client-side error line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientError {
    pub kind: String,
    pub text: String,
    pub line: usize,
}

/// Who a conversation step came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Client,
    Server,
    /// The client's own remark (TLS started, connected to, ...).
    Event,
    Error,
}

/// One line of the rebuilt conversation, secrets already masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub line: usize,
    pub stage: Stage,
    pub direction: Direction,
    pub text: String,
}

/// The `log.*` facts one log showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogFacts {
    pub replies: Vec<StagedReply>,
    pub server_host: Option<String>,
    pub connect_host: Option<String>,
    pub connect_port: Option<u16>,
    pub banner_seen: Option<bool>,
    pub starttls_offered: Option<bool>,
    pub starttls_issued: Option<bool>,
    pub tls_established: Option<bool>,
    pub tls_version: Option<String>,
    pub auth_offered: Option<Vec<String>>,
    pub auth_mechanism: Option<String>,
    pub auth_user: Option<String>,
    pub auth_attempted: Option<bool>,
    pub auth_succeeded: Option<bool>,
    pub auth_failed: Option<bool>,
    pub continued_after_auth_failure: Option<bool>,
    pub mail_from: Option<String>,
    pub rcpt_to: Vec<String>,
    pub data_accepted: Option<bool>,
    pub client_errors: Vec<ClientError>,
    /// Replies not kept (past [`MAX_REPLIES`]).
    pub dropped_replies: usize,
}

impl LogFacts {
    /// Some recipient outside the sender's domain (unknown without both).
    pub fn rcpt_external(&self) -> Option<bool> {
        let from = super::lex::domain_of(self.mail_from.as_deref()?)?;
        if self.rcpt_to.is_empty() {
            return None;
        }
        Some(self.rcpt_to.iter().any(|r| super::lex::domain_of(r).is_some_and(|d| d != from)))
    }

    /// Keeps `r` within the bounds; a reply past them is counted and handed
    /// back, so its buffers can be reused.
    pub fn keep_reply(&mut self, r: StagedReply) -> Option<StagedReply> {
        let failure = r.reply.code.is_none_or(|c| c >= 400);
        if self.replies.len() < MAX_REPLIES || (failure && self.replies.len() < 2 * MAX_REPLIES) {
            self.replies.push(r);
            None
        } else {
            self.dropped_replies += 1;
            Some(r)
        }
    }

    /// The error kinds seen, each once, in order.
    pub fn error_kinds(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.client_errors {
            if !out.contains(&e.kind) {
                out.push(e.kind.clone());
            }
        }
        out
    }

    /// The facts under `log.`, as `(name, value)` pairs (unset facts left out).
    pub fn to_values(&self, file: &str, formats: &[String]) -> Vec<(&'static str, Value)> {
        let src = |line: usize| json!({ "file": file, "line": line });
        let replies: Vec<Value> = self
            .replies
            .iter()
            .map(|r| {
                json!({
                    "code": r.reply.code,
                    "enhanced": r.reply.enhanced,
                    "text": r.reply.text,
                    "stage": r.stage.as_str(),
                    "code_id": null,
                    "nested": r.reply.nested,
                    "origin": "log",
                    "source": src(r.reply.line),
                })
            })
            .collect();
        let errors: Vec<Value> = self
            .client_errors
            .iter()
            .map(|e| json!({ "kind": e.kind, "text": e.text, "code_id": null, "source": src(e.line) }))
            .collect();
        let mut out: Vec<(&'static str, Value)> = vec![("replies", Value::Array(replies)), ("formats", json!(formats))];
        let mut opt = |name: &'static str, v: Option<Value>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        opt("server_host", self.server_host.as_ref().map(|v| json!(v)));
        opt("connect_host", self.connect_host.as_ref().map(|v| json!(v)));
        opt("connect_port", self.connect_port.map(|v| json!(v)));
        opt("banner_seen", self.banner_seen.map(Value::Bool));
        opt("starttls_offered", self.starttls_offered.map(Value::Bool));
        opt("starttls_issued", self.starttls_issued.map(Value::Bool));
        opt("tls_established", self.tls_established.map(Value::Bool));
        opt("tls_version", self.tls_version.as_ref().map(|v| json!(v)));
        opt("auth_offered", self.auth_offered.as_ref().map(|v| json!(v)));
        opt("auth_mechanism", self.auth_mechanism.as_ref().map(|v| json!(v)));
        opt("auth_user", self.auth_user.as_ref().map(|v| json!(v)));
        opt("auth_attempted", self.auth_attempted.map(Value::Bool));
        opt("auth_succeeded", self.auth_succeeded.map(Value::Bool));
        opt("auth_failed", self.auth_failed.map(Value::Bool));
        opt("continued_after_auth_failure", self.continued_after_auth_failure.map(Value::Bool));
        opt("mail_from", self.mail_from.as_ref().map(|v| json!(v)));
        opt("rcpt_to", (!self.rcpt_to.is_empty()).then(|| json!(self.rcpt_to)));
        opt("rcpt_external", self.rcpt_external().map(Value::Bool));
        opt("data_accepted", self.data_accepted.map(Value::Bool));
        opt("client_errors", (!errors.is_empty()).then_some(Value::Array(errors)));
        let kinds = self.error_kinds();
        opt("error_kinds", (!kinds.is_empty()).then(|| json!(kinds)));
        out
    }
}

/// Adds one log's facts to the tree: lists are appended, single values set
/// (a later file wins), and error kinds merged without repeats.
pub fn merge_values(values: Vec<(&'static str, Value)>, facts: &mut Facts) {
    for (name, v) in values {
        let path = format!("log.{}", name);
        match (name, v) {
            ("replies" | "client_errors" | "rcpt_to", Value::Array(items)) => {
                for item in items {
                    let _ = facts.push(&path, item);
                }
                if facts.get(&path).is_none() {
                    let _ = facts.set(&path, json!([]));
                }
            }
            ("formats" | "error_kinds", Value::Array(items)) => {
                for item in items {
                    let known = facts.get(&path).and_then(Value::as_array).is_some_and(|a| a.contains(&item));
                    if !known {
                        let _ = facts.push(&path, item);
                    }
                }
            }
            (_, v) => {
                let _ = facts.set(&path, v);
            }
        }
    }
}
