//! Log and transcript parsing: from whatever a device or app printed to `log.*`
//! facts, each pointing back at the line it came from.
//!
//! The work is streaming and single-pass: `input` yields one line at a time
//! (whatever the encoding or line ends), `detect` hands each line to the parser
//! of its format (a file may mix several), the format parsers turn lines into
//! events, and `conversation` rebuilds the SMTP exchange from them (stages,
//! AUTH, TLS, envelope) keeping only the current connection's state. `output`
//! holds the facts, `redact` masks secrets for a copy that is safe to share.

mod apps;
mod conversation;
mod detect;
mod device;
mod dotnet;
mod errors;
mod input;
mod lex;
mod markers;
mod mta;
mod output;
mod phpmailer;
mod raw;
mod redact;
mod smtplib;
mod transcripts;

pub use conversation::same_reply;
pub use detect::{Format, FORMATS};
pub use errors::kind_of as client_error_kind;
pub use input::{decode, MAX_LINE};
pub use output::{ClientError, Direction, LogFacts, StagedReply, Step, MAX_REPLIES, MAX_STEPS};
pub use redact::{redact, redact_line, redact_reader, MASK};

use crate::facts::Facts;
use crate::kb::raw::Stage;
use serde_json::Value;
use std::io::BufRead;

/// What one log gave.
#[derive(Debug, Clone, Default)]
pub struct ParsedLog {
    /// The name the log goes by in evidence.
    pub file: String,
    /// Formats recognised, most lines first.
    pub formats: Vec<String>,
    pub facts: LogFacts,
    /// The conversation as rebuilt, secrets masked (bounded by [`MAX_STEPS`]).
    pub steps: Vec<Step>,
    pub dropped_steps: usize,
    pub lines: usize,
    pub bytes: u64,
}

impl ParsedLog {
    /// The main format (most lines), or `text`.
    pub fn format(&self) -> &str {
        self.formats.first().map(String::as_str).unwrap_or("text")
    }

    /// The `log.*` facts as `(name, value)` pairs (unset facts left out).
    pub fn fact_values(&self) -> Vec<(&'static str, Value)> {
        self.facts.to_values(&self.file, &self.formats)
    }

    /// The `log.replies` facts.
    pub fn replies(&self) -> Vec<Value> {
        match self.fact_values().into_iter().find(|(n, _)| *n == "replies") {
            Some((_, Value::Array(a))) => a,
            _ => Vec::new(),
        }
    }

    /// Adds this log's facts to the tree.
    pub fn merge_into(&self, facts: &mut Facts) {
        output::merge_values(self.fact_values(), facts);
    }
}

/// Runs the parsers over lines from `feed`.
fn run(file: &str, forced: Option<Format>, feed: impl FnOnce(&mut dyn FnMut(&str, usize)) -> u64) -> ParsedLog {
    let mut d = detect::Dispatcher::new(forced);
    let mut c = conversation::Conversation::new();
    let mut lines = 0;
    let bytes = feed(&mut |line: &str, no: usize| {
        lines = no;
        d.line(line, no, &mut c);
    });
    d.finish(&mut c);
    let mut formats: Vec<String> = d.formats().into_iter().map(|f| f.name().to_string()).collect();
    if let Some(f) = forced {
        formats.retain(|n| n == f.name() || n == "text");
        if !formats.iter().any(|n| n == f.name()) {
            formats.insert(0, f.name().to_string());
        }
    }
    if formats.is_empty() {
        formats.push("text".into());
    }
    ParsedLog {
        file: file.to_string(),
        formats,
        facts: c.facts,
        steps: c.steps,
        dropped_steps: c.dropped_steps,
        lines,
        bytes,
    }
}

/// Parses a log text, detecting its format(s). Never fails: text it does not
/// understand is skipped.
pub fn parse_log(text: &str, file: &str) -> ParsedLog {
    parse_log_as(text, file, None)
}

/// Parses a log text as `forced` (or detecting when `None`).
pub fn parse_log_as(text: &str, file: &str, forced: Option<Format>) -> ParsedLog {
    run(file, forced, |f| {
        input::for_each_str_line(text, f);
        text.len() as u64
    })
}

/// Parses a log from a reader, one line at a time (memory does not grow with
/// the file). An I/O error ends the reading and is returned.
pub fn parse_reader<R: BufRead>(reader: R, file: &str) -> std::io::Result<ParsedLog> {
    parse_reader_as(reader, file, None)
}

/// [`parse_reader`] with an optional forced format.
pub fn parse_reader_as<R: BufRead>(reader: R, file: &str, forced: Option<Format>) -> std::io::Result<ParsedLog> {
    let mut err = None;
    let parsed = run(file, forced, |f| match input::for_each_reader_line(reader, f) {
        Ok(n) => n,
        Err(e) => {
            err = Some(e);
            0
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(parsed),
    }
}

/// The stage a client's name for a command means (`MAIL`, `RCPT`, `AUTH LOGIN`, `DATA`).
pub(crate) fn stage_of_command_name(name: &str) -> Option<Stage> {
    let up = name.trim().to_ascii_uppercase();
    Some(match up.split([' ', ':']).next().unwrap_or("") {
        "EHLO" | "HELO" | "LHLO" => Stage::Ehlo,
        "STARTTLS" => Stage::Starttls,
        "AUTH" | "LOGIN" | "PASSWORD" | "USERNAME" => Stage::Auth,
        "MAIL" => Stage::MailFrom,
        "RCPT" => Stage::RcptTo,
        "DATA" => Stage::Data,
        "CONN" | "CONNECT" => Stage::Connect,
        "QUIT" => Stage::Quit,
        _ => return None,
    })
}
