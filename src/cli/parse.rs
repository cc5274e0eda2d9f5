//! `smtp-doctor parse`: shows what was understood in a log: the detected
//! format, the conversation by stage, each reply with its KB code class, the
//! client-side errors and the `log.*` facts; or, with `--redact`, a copy of the
//! log with every secret masked, safe to attach to a ticket.
//!
//! Files are read as a stream (the parser keeps only the current conversation),
//! so a log of any size works; `-` reads stdin.

use super::common::{emit, open_input, shown_name, to_json, CliError, Format, GlobalArgs};
use clap::Args;
use serde::Serialize;
use serde_json::{Map, Value};
use smtp_doctor_engine::classify::ReplyView;
use smtp_doctor_engine::kb::raw::Stage;
use smtp_doctor_engine::logparse::{self, Direction, ParsedLog, FORMATS};
use smtp_doctor_engine::Kb;
use std::fmt::Write as _;

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Log or transcript files (`-` reads stdin).
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Parse as this format instead of detecting it (raw, swaks, smtplib, phpmailer, javamail,
    /// mailkit, nodemailer, dotnet, powershell, curl, msmtp, ssmtp, postfix, exim, device, ...).
    #[arg(long = "input-format", value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Write a copy of the log with passwords, AUTH blobs and tokens masked, and nothing else.
    #[arg(long)]
    pub redact: bool,
}

pub fn run(g: &GlobalArgs, a: &ParseArgs) -> Result<i32, CliError> {
    if a.redact {
        let mut out = std::io::stdout().lock();
        for f in &a.files {
            match logparse::redact_reader(open_input(f)?, &mut out) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
                Err(e) => return Err(CliError::usage(format!("{}: {}", f, e))),
            }
        }
        return Ok(0);
    }
    let forced = match &a.input_format {
        None => None,
        Some(name) => Some(logparse::Format::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = FORMATS.iter().map(|(_, n)| *n).collect();
            CliError::usage(format!("unknown input format `{}` (one of {})", name, names.join(", ")))
        })?),
    };
    // The parse itself needs no KB: with a broken one, show it without code classes.
    let kb = match g.load_kb() {
        Ok((kb, _)) => Some(kb),
        Err(e) => {
            eprintln!("smtp-doctor: warning: {} (replies are shown without code classes)", e.message);
            None
        }
    };
    let mut logs = Vec::new();
    for f in &a.files {
        let parsed =
            logparse::parse_reader_as(open_input(f)?, shown_name(f), forced).map_err(|e| CliError::usage(format!("{}: {}", f, e)))?;
        logs.push(parsed);
    }
    let views: Vec<LogView> = logs.iter().map(|p| LogView::new(p, kb.as_ref())).collect();
    let out = match g.format {
        Format::Json => to_json(&views),
        Format::Text | Format::Markdown => views.iter().map(text).collect::<Vec<_>>().join("\n"),
    };
    emit(&out)?;
    Ok(0)
}

/// One reply as `parse` shows it.
#[derive(Debug, Serialize)]
struct ReplyView2 {
    line: usize,
    stage: String,
    code: Option<u16>,
    enhanced: Option<String>,
    text: String,
    nested: bool,
    code_id: Option<String>,
}

/// One client error as `parse` shows it.
#[derive(Debug, Serialize)]
struct ErrorView {
    line: usize,
    kind: String,
    text: String,
    code_id: Option<String>,
}

/// What `parse` prints for one file.
#[derive(Debug, Serialize)]
struct LogView {
    file: String,
    format: String,
    formats: Vec<String>,
    lines: usize,
    conversation: Vec<logparse::Step>,
    replies: Vec<ReplyView2>,
    client_errors: Vec<ErrorView>,
    facts: Map<String, Value>,
    dropped_replies: usize,
    dropped_steps: usize,
}

impl LogView {
    fn new(p: &ParsedLog, kb: Option<&Kb>) -> LogView {
        let replies = p
            .facts
            .replies
            .iter()
            .map(|r| {
                let class = kb.and_then(|kb| {
                    kb.classify_reply(&ReplyView {
                        code: r.reply.code,
                        enhanced: r.reply.enhanced.as_deref(),
                        text: &r.reply.text,
                        stage: Some(r.stage),
                    })
                });
                ReplyView2 {
                    line: r.reply.line,
                    stage: r.stage.as_str().to_string(),
                    code: r.reply.code,
                    enhanced: r.reply.enhanced.clone(),
                    text: r.reply.text.clone(),
                    nested: r.reply.nested,
                    code_id: class.map(|c| c.entry.value.id.clone()),
                }
            })
            .collect();
        let client_errors = p
            .facts
            .client_errors
            .iter()
            .map(|e| ErrorView {
                line: e.line,
                kind: e.kind.clone(),
                text: e.text.clone(),
                code_id: kb
                    .and_then(|kb| kb.classify_client_error(&e.text))
                    .map(|c| c.entry.value.id.clone()),
            })
            .collect();
        let mut facts = Map::new();
        for (name, v) in p.fact_values() {
            if name != "replies" && name != "client_errors" {
                facts.insert(format!("log.{}", name), v);
            }
        }
        LogView {
            file: p.file.clone(),
            format: p.format().to_string(),
            formats: p.formats.clone(),
            lines: p.lines,
            conversation: p.steps.clone(),
            replies,
            client_errors,
            facts,
            dropped_replies: p.facts.dropped_replies,
            dropped_steps: p.dropped_steps,
        }
    }
}

fn text(v: &LogView) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: {} ({} lines; formats: {})", v.file, v.format, v.lines, v.formats.join(", "));
    let _ = writeln!(s, "\nConversation:");
    let mut stage: Option<Stage> = None;
    for st in &v.conversation {
        if stage != Some(st.stage) {
            let _ = writeln!(s, "  [{}]", st.stage.as_str());
            stage = Some(st.stage);
        }
        let arrow = match st.direction {
            Direction::Client => "C:",
            Direction::Server => "S:",
            Direction::Event => "--",
            Direction::Error => "!!",
        };
        let _ = writeln!(s, "    {:>5} {} {}", st.line, arrow, st.text.replace('\n', " / "));
    }
    if v.dropped_steps > 0 {
        let _ = writeln!(s, "    ... {} more steps not shown", v.dropped_steps);
    }
    let _ = writeln!(s, "\nReplies:");
    if v.replies.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for r in &v.replies {
        let code = r.code.map(|c| c.to_string()).unwrap_or_else(|| "---".into());
        let enh = r.enhanced.clone().unwrap_or_default();
        let first = r.text.lines().next().unwrap_or("");
        let class = r.code_id.as_deref().unwrap_or("(no KB class)");
        let nested = if r.nested { " (nested)" } else { "" };
        let _ = writeln!(
            s,
            "  line {:>5} {:<11} {} {} {}{}\n             -> {}",
            r.line, r.stage, code, enh, first, nested, class
        );
    }
    if v.dropped_replies > 0 {
        let _ = writeln!(s, "  ... {} more replies not kept", v.dropped_replies);
    }
    if !v.client_errors.is_empty() {
        let _ = writeln!(s, "\nClient errors:");
        for e in &v.client_errors {
            let class = e.code_id.as_deref().unwrap_or("(no KB class)");
            let _ = writeln!(s, "  line {:>5} {}: {}\n             -> {}", e.line, e.kind, e.text, class);
        }
    }
    let _ = writeln!(s, "\nFacts:");
    for (k, v) in &v.facts {
        let _ = writeln!(s, "  {} = {}", k, v);
    }
    s
}
