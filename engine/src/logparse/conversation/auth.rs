//! The AUTH exchange inside a conversation: which client line is the login
//! name (decoded into `log.auth_user`) and which is a secret (masked in every
//! output and remembered so `redact` can mask its later copies), for LOGIN
//! (with or without an initial response), PLAIN and XOAUTH2 blobs, and any
//! other mechanism's opaque data.

use super::{CommandKind, Conversation, MAX_SECRETS};
use crate::kb::raw::Stage;
use crate::logparse::lex::{base64_text, looks_base64};

/// Where the AUTH exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthStep {
    /// Next client line is the base64 login name.
    LoginUser,
    /// Next client line is the password.
    LoginPassword,
    /// Next client line is a PLAIN/XOAUTH2 blob or another secret.
    Blob,
}

impl Conversation {
    pub(super) fn remember_secret(&mut self, s: &str) {
        let s = s.trim();
        let masked = s.bytes().all(|b| b == b'*') || s.starts_with('[') || s == "Lyogc2VjcmV0ICov" || s == "UFJPVklERURfQlVUX1JFTU9WRUQ=";
        if !masked && s.len() >= 4 && self.secrets.len() < MAX_SECRETS && !self.secrets.iter().any(|x| x == s) {
            self.secrets.push(s.to_string());
        }
    }

    pub(super) fn auth_command(&mut self, text: &str, line: usize) -> CommandKind {
        let mut words = text.split_whitespace();
        let _auth = words.next();
        let mech = words.next().unwrap_or("").to_ascii_uppercase();
        let initial = words.next();
        self.auth_mechanism(&mech);
        self.auth_sent = true;
        self.facts.auth_attempted = Some(true);
        let mut kind = CommandKind::Command;
        let mut shown = format!("AUTH {}", mech);
        self.auth = Some(match (mech.as_str(), initial) {
            ("LOGIN", None) => AuthStep::LoginUser,
            ("LOGIN", Some(user)) => {
                if let Some(u) = base64_text(user) {
                    self.auth_user(&u);
                }
                shown = text.to_string();
                AuthStep::LoginPassword
            }
            (_, Some(blob)) if blob != "=" => {
                self.secret_blob(&mech, blob);
                shown.push_str(" [redacted]");
                kind = CommandKind::Secret;
                AuthStep::Blob
            }
            _ => AuthStep::Blob,
        });
        self.push_command(Stage::Auth, line, &shown);
        kind
    }

    /// A PLAIN (`\0user\0password`) or XOAUTH2 (`user=x\x01auth=Bearer t`) blob: take the user, keep the rest secret.
    fn secret_blob(&mut self, mech: &str, blob: &str) {
        self.remember_secret(blob);
        let Some(decoded) = base64_text(blob) else { return };
        match mech {
            "PLAIN" => {
                let parts: Vec<&str> = decoded.split('\0').collect();
                if parts.len() == 3 {
                    self.auth_user(if parts[1].is_empty() { parts[0] } else { parts[1] });
                    self.remember_secret(parts[2]);
                }
            }
            "XOAUTH2" | "OAUTHBEARER" => {
                for field in decoded.split('\u{1}') {
                    if let Some(u) = field.strip_prefix("user=") {
                        self.auth_user(u);
                    } else if let Some(a) = field.strip_prefix("auth=") {
                        self.remember_secret(a.trim_start_matches("Bearer ").trim());
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn auth_data(&mut self, step: AuthStep, text: &str, line: usize) -> CommandKind {
        let t = text.trim();
        if t == "*" {
            self.auth = None;
            self.push_command(Stage::Auth, line, "*");
            return CommandKind::Command;
        }
        match step {
            AuthStep::LoginUser => {
                if let Some(u) = base64_text(t) {
                    self.auth_user(&u);
                }
                self.auth = Some(AuthStep::LoginPassword);
                self.push_command(Stage::Auth, line, t);
                CommandKind::Command
            }
            _ => {
                self.remember_secret(t);
                if looks_base64(t) {
                    let mech = self.facts.auth_mechanism.clone().unwrap_or_default();
                    if mech == "LOGIN" {
                        if let Some(p) = base64_text(t) {
                            self.remember_secret(&p);
                        }
                    } else {
                        self.secret_blob(&mech, t);
                    }
                }
                self.auth = Some(AuthStep::Blob);
                self.push_command(Stage::Auth, line, "[redacted]");
                CommandKind::Secret
            }
        }
    }

    /// A `334` prompt's decoded text steers the LOGIN exchange.
    pub fn login_prompt(&mut self, prompt: &str) {
        if self.facts.auth_mechanism.as_deref() != Some("LOGIN") || !self.expects_auth_data() {
            return;
        }
        if let Some(p) = base64_text(prompt.trim()).map(|p| p.to_ascii_lowercase()) {
            if p.contains("pass") {
                self.auth = Some(AuthStep::LoginPassword);
            } else if p.contains("user") {
                self.auth = Some(AuthStep::LoginUser);
            }
        }
    }
}
