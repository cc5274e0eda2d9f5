//! Rebuilding the SMTP conversation from the events the format parsers find:
//! client commands, server reply lines, complete replies from error summaries,
//! and the client's own remarks (connected, TLS started, ...).
//!
//! Replies are paired with commands through a FIFO of commands waiting for an
//! answer, so pipelined clients (nodemailer, Exim's `SMTP|>`) get the right
//! stage even though their replies are not next to their commands. The AUTH
//! exchange is followed step by step: that is how the login name is decoded and
//! how every line carrying a password or token is known to be secret. Only the
//! current conversation's state is kept; facts are written as they appear.

mod auth;
mod replies;
mod reply_line;

pub use reply_line::{same_reply, split_reply_line};

use super::lex::envelope_address;
use super::output::{ClientError, Direction, LogFacts, Step, MAX_ERRORS, MAX_STEPS};
use crate::kb::raw::Stage;
use crate::reply::Reply;
use auth::AuthStep;
use std::collections::VecDeque;

/// Commands waiting for replies; more means the log lost replies, so the
/// oldest are forgotten rather than letting the queue grow.
const MAX_PENDING: usize = 32;
/// Secrets remembered to mask their later copies (`redact`).
const MAX_SECRETS: usize = 64;

/// A multi-line reply being assembled.
#[derive(Debug)]
struct OpenReply {
    reply: Reply,
    lines: usize,
}

/// What a client line turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Command,
    /// AUTH data that must never be shown.
    Secret,
    /// Message content between `354` and `.`.
    Body,
}

/// The conversation state and the facts found so far.
#[derive(Debug, Default)]
pub struct Conversation {
    pub facts: LogFacts,
    pub steps: Vec<Step>,
    pub dropped_steps: usize,
    /// Secrets seen (base64 and decoded), for redaction.
    pub secrets: Vec<String>,
    pending: VecDeque<Stage>,
    last_stage: Option<Stage>,
    open: Option<OpenReply>,
    in_data: bool,
    auth: Option<AuthStep>,
    /// Commands sent in this connection.
    commands: usize,
    ehlo_seen: bool,
    /// The server greeted this connection: a later "could not connect" is a summary, not the cause.
    banner_here: bool,
    tls_here: bool,
    auth_sent: bool,
    auth_failed_here: bool,
    /// The text buffer of the last reply dropped past `MAX_REPLIES`, reused
    /// for the next one: on a large log most replies are dropped, and an
    /// allocation and a free per reply line was a few percent of the parse.
    spare_text: Option<String>,
    /// The same for the enhanced code.
    spare_enhanced: Option<String>,
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    fn step(&mut self, line: usize, stage: Stage, direction: Direction, text: &str) {
        if self.steps.len() < MAX_STEPS {
            self.steps.push(Step {
                line,
                stage,
                direction,
                text: super::input::cap(text, 400).to_string(),
            });
        } else {
            self.dropped_steps += 1;
        }
    }

    /// A new connection: forget the previous one's exchange.
    pub fn connect(&mut self, host: Option<&str>, port: Option<u16>, line: usize, text: &str) {
        self.flush();
        self.pending.clear();
        self.in_data = false;
        self.auth = None;
        self.commands = 0;
        self.ehlo_seen = false;
        self.banner_here = false;
        self.tls_here = false;
        self.auth_sent = false;
        self.auth_failed_here = false;
        self.last_stage = Some(Stage::Connect);
        if let Some(h) = host {
            self.facts.connect_host = Some(h.to_string());
        }
        if port.is_some() {
            self.facts.connect_port = port;
        }
        self.step(line, Stage::Connect, Direction::Event, text);
    }

    /// The server a summary line names (MTA logs): sets the facts, keeps the conversation.
    pub fn peer(&mut self, host: Option<&str>, port: Option<u16>) {
        if let Some(h) = host.filter(|h| super::lex::is_host(h) || !h.is_empty() && h.len() < 254) {
            self.facts.connect_host = Some(h.to_string());
        }
        if port.is_some() {
            self.facts.connect_port = port;
        }
    }

    /// A reply is due to a command the log does not show (`openssl s_client -starttls smtp` sent EHLO itself).
    pub fn expect_reply(&mut self, stage: Stage) {
        self.commands += 1;
        self.last_stage = Some(stage);
        self.pending.push_back(stage);
    }

    /// TLS is up (a client's "TLS started" remark, or EHLO after `220` to STARTTLS).
    pub fn tls_started(&mut self, version: Option<&str>, line: usize, text: &str) {
        self.flush();
        self.tls_here = true;
        self.last_stage = Some(Stage::Tls);
        self.facts.tls_established = Some(true);
        if let Some(v) = version {
            self.facts.tls_version = Some(v.to_string());
        }
        if !text.is_empty() {
            self.step(line, Stage::Tls, Direction::Event, text);
        }
    }

    /// A remark worth showing in the conversation (no facts).
    pub fn event(&mut self, line: usize, text: &str) {
        let stage = self.last_stage.unwrap_or(Stage::Unknown);
        self.step(line, stage, Direction::Event, text);
    }

    /// A client-side error; `kind` from [`super::errors::kind_of`] or the format.
    pub fn client_error(&mut self, kind: &str, text: &str, line: usize) {
        self.flush();
        let text = super::redact::redact_line(text.trim());
        let text = super::input::cap(&text, 2000).to_string();
        if matches!(kind, "tls-wrong-version" | "tls-protocol-version" | "certificate" | "tls-handshake") && !self.tls_here {
            self.facts.tls_established = Some(false);
        }
        if kind == "auth-failed-client" {
            self.auth_failed();
        }
        // "STARTTLS not offered" is the only word on it when the EHLO reply is
        // not in the log (MTA summaries); an EHLO seen has said it already.
        if kind == "starttls-unavailable" && self.facts.starttls_offered.is_none() {
            self.facts.starttls_offered = Some(false);
        }
        let stage = self.last_stage.unwrap_or(Stage::Unknown);
        self.step(line, stage, Direction::Error, &text);
        let dup = self
            .facts
            .client_errors
            .iter()
            .rev()
            .take(4)
            .any(|e| e.kind == kind && e.text == text);
        if !dup && self.facts.client_errors.len() < MAX_ERRORS {
            self.facts.client_errors.push(ClientError {
                kind: kind.to_string(),
                text,
                line,
            });
        }
    }

    /// Appends a continuation line to the last client error (wrapped messages).
    pub fn client_error_more(&mut self, more: &str) {
        if let Some(e) = self.facts.client_errors.last_mut() {
            if e.text.len() < 2000 {
                e.text.push(' ');
                e.text.push_str(&super::redact::redact_line(more.trim()));
                if let Some(k) = super::errors::kind_of(&e.text) {
                    e.kind = k.to_string();
                }
            }
        }
    }

    /// Whether the server greeted the current connection.
    pub fn banner_here(&self) -> bool {
        self.banner_here
    }

    pub fn auth_failed(&mut self) {
        self.facts.auth_failed = Some(true);
        self.facts.auth_attempted = Some(true);
        if self.facts.auth_succeeded != Some(true) {
            self.facts.auth_succeeded = Some(false);
        }
        self.auth_failed_here = true;
    }

    pub fn auth_succeeded(&mut self) {
        self.facts.auth_succeeded = Some(true);
        self.facts.auth_attempted = Some(true);
        self.facts.auth_failed = Some(false);
    }

    pub fn auth_user(&mut self, user: &str) {
        let user = user.trim();
        if !user.is_empty() && user.len() < 256 && !user.contains(['\0', '*']) {
            self.facts.auth_user = Some(user.to_string());
        }
    }

    pub fn auth_mechanism(&mut self, mech: &str) {
        let m = mech.trim().to_ascii_uppercase();
        if !m.is_empty() && m.len() < 32 {
            self.facts.auth_mechanism = Some(m);
            self.facts.auth_attempted = Some(true);
        }
    }

    /// Extensions a server advertised (`STARTTLS`, `AUTH LOGIN XOAUTH2`).
    pub fn extensions<'a>(&mut self, lines: impl Iterator<Item = &'a str>) {
        let mut starttls = false;
        let mut auth = Vec::new();
        for l in lines {
            let l = l.trim();
            let head = l.get(..5).unwrap_or(l);
            if l.eq_ignore_ascii_case("STARTTLS") {
                starttls = true;
            } else if head.eq_ignore_ascii_case("AUTH ") || head.eq_ignore_ascii_case("AUTH=") {
                auth.extend(l[5..].split_whitespace().map(str::to_ascii_uppercase));
            }
        }
        if !self.tls_here {
            self.facts.starttls_offered = Some(starttls);
        }
        self.facts.auth_offered = Some(auth);
    }

    pub fn mail_from(&mut self, addr: &str) {
        if !addr.is_empty() && addr.len() < 320 {
            self.facts.mail_from = Some(addr.to_string());
        }
    }

    pub fn rcpt_to(&mut self, addr: &str) {
        if !addr.is_empty() && addr.len() < 320 && !self.facts.rcpt_to.iter().any(|r| r == addr) && self.facts.rcpt_to.len() < MAX_ERRORS {
            self.facts.rcpt_to.push(addr.to_string());
        }
    }

    /// Whether the next client line is AUTH data (formats without direction markers ask).
    pub fn expects_auth_data(&self) -> bool {
        matches!(self.auth, Some(AuthStep::LoginUser | AuthStep::LoginPassword | AuthStep::Blob))
    }

    /// Whether message content is being sent (between `354` and `.`).
    pub fn in_data(&self) -> bool {
        self.in_data
    }

    /// A client line. Returns what it was, so callers can mask it.
    pub fn command(&mut self, text: &str, line: usize) -> CommandKind {
        self.flush();
        let text = text.trim_end_matches(['\r', '\n']);
        if self.in_data {
            if text.trim() == "." || text.ends_with("\r\n.") || text.ends_with("\n.") {
                self.in_data = false;
                self.push_command(Stage::EndOfData, line, ".");
                return CommandKind::Command;
            }
            let t = text.trim();
            if !(t.eq_ignore_ascii_case("QUIT") || t.eq_ignore_ascii_case("RSET")) {
                return CommandKind::Body;
            }
            self.in_data = false;
        }
        if let Some(step) = self.auth.filter(|_| self.expects_auth_data()) {
            return self.auth_data(step, text, line);
        }
        let word = text.split_whitespace().next().unwrap_or("");
        // The verb, upper-cased without allocating (verbs are at most 8 letters).
        let verb_bytes = word.as_bytes();
        // Byte by byte: a `copy_from_slice` of unknown length is a `memcpy` call.
        let buf: [u8; 8] = std::array::from_fn(|j| verb_bytes.get(j).map_or(0, u8::to_ascii_uppercase));
        let verb = if word.len() <= 8 {
            std::str::from_utf8(&buf[..word.len()]).unwrap_or("")
        } else {
            ""
        };
        let stage = match verb {
            "EHLO" | "HELO" | "LHLO" => Stage::Ehlo,
            "STARTTLS" => Stage::Starttls,
            "AUTH" => return self.auth_command(text.trim_start(), line),
            "MAIL" => {
                if let Some(a) = envelope_address(text) {
                    self.mail_from(a);
                }
                self.mail_command();
                Stage::MailFrom
            }
            "RCPT" => {
                if let Some(a) = envelope_address(text) {
                    self.rcpt_to(a);
                }
                Stage::RcptTo
            }
            "DATA" => Stage::Data,
            "BDAT" if text.to_ascii_uppercase().contains("LAST") => Stage::EndOfData,
            "BDAT" => Stage::Data,
            "." => Stage::EndOfData,
            "QUIT" => {
                if self.auth_failed_here && self.facts.continued_after_auth_failure.is_none() {
                    self.facts.continued_after_auth_failure = Some(false);
                }
                Stage::Quit
            }
            _ => Stage::Unknown,
        };
        if stage == Stage::Ehlo {
            if self.last_stage == Some(Stage::Starttls) && !self.tls_here {
                // EHLO again after `220` to STARTTLS: the handshake worked.
                self.tls_started(None, line, "");
            }
            self.ehlo_seen = true;
        }
        if stage == Stage::Starttls {
            self.facts.starttls_issued = Some(true);
        }
        self.push_command(stage, line, text.trim());
        CommandKind::Command
    }

    fn mail_command(&mut self) {
        if self.auth_failed_here {
            self.facts.continued_after_auth_failure = Some(true);
        }
        if self.ehlo_seen && self.commands > 0 {
            if !self.tls_here && self.facts.starttls_issued.is_none() {
                self.facts.starttls_issued = Some(false);
            }
            if !self.auth_sent && self.facts.auth_attempted.is_none() {
                self.facts.auth_attempted = Some(false);
            }
        }
    }

    fn push_command(&mut self, stage: Stage, line: usize, shown: &str) {
        self.commands += 1;
        self.last_stage = Some(stage);
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(stage);
        self.step(line, stage, Direction::Client, shown);
    }

    /// The facts and steps, after closing what is still open.
    pub fn finish_all(&mut self) {
        self.flush();
    }
}
