//! Transcripts whose lines carry a direction marker: swaks (`<-`, ` ->`, `<~`,
//! ` ~>`, `<**`, `===`, `***`), curl `-v` (`<`, `>`, `*`), msmtp `--debug`
//! (`<--`, `-->`), ssmtp `-v` (`[<-]`, `[->]`), Exim `-v` (`SMTP<<`, `SMTP>>`,
//! `SMTP|>`), MailKit and nodemailer (`S:`, `C:`), email-oauth2-proxy and
//! Postfix's `debug_peer_list` dialogue.
//!
//! Each function looks at one line, feeds the conversation and returns the
//! format it recognised, or `None` to let the next parser try.

use super::conversation::{split_reply_line, Conversation};
use super::detect::Format;
use super::errors::kind_of;
use super::lex::{host_port, python_unrepr};

/// swaks: a 3-char marker and a space (`ptrans()` in swaks).
pub fn swaks(line: &str, no: usize, c: &mut Conversation, known: bool) -> Option<Format> {
    let marker = line.get(..3)?;
    let rest = if line.as_bytes().get(3) == Some(&b'\t') {
        line.get(3..).unwrap_or("")
    } else {
        line.get(4..).unwrap_or("")
    };
    if line
        .as_bytes()
        .get(3)
        .is_some_and(|b| *b != b' ' && !(marker == "***" && *b == b'\t'))
    {
        return None;
    }
    match marker {
        "<- " | "<~ " | "<**" | "<~*" if split_reply_line(rest.trim_start()).is_some() => c.server_line(rest.trim_start(), no),
        " ->" | " ~>" | "**>" | "*~>" => {
            if rest.ends_with(" lines sent") && rest.split(' ').next().is_some_and(|n| n.parse::<u32>().is_ok()) {
                c.command(".", no);
            } else {
                c.command(rest, no);
            }
        }
        "  >" | "<  " if known => {}
        "===" => swaks_info(rest, no, c),
        "***" => {
            let kind = kind_of(rest).unwrap_or("client-error");
            if rest.starts_with('\t') || rest.starts_with("  ") {
                c.client_error_more(rest);
            } else {
                c.client_error(kind, line, no);
            }
        }
        _ => return None,
    }
    Some(Format::Swaks)
}

fn swaks_info(rest: &str, no: usize, c: &mut Conversation) {
    if let Some(t) = rest.strip_prefix("Trying ") {
        if let Some((h, p)) = host_port(t.trim_end_matches('.')) {
            c.connect(Some(h), p, no, rest);
        }
    } else if let Some(t) = rest.strip_prefix("TLS started with cipher ") {
        c.tls_started(t.split(':').next(), no, rest);
    } else {
        c.event(no, rest);
    }
}

/// curl `-v`: `< reply`, `> command`, `* info`, `{ [N bytes data]`, `curl: (N) message`.
pub fn curl(line: &str, no: usize, c: &mut Conversation, known: bool) -> Option<Format> {
    // The meter (right-aligned numbers) comes first when it is glued on.
    let line = if line.starts_with(|ch: char| ch == ' ' || ch.is_ascii_digit()) {
        after_progress_meter(line)
    } else {
        line
    };
    if let Some(r) = line.strip_prefix("< ") {
        split_reply_line(r)?;
        c.server_line(r, no);
    } else if let Some(cmd) = line.strip_prefix("> ") {
        // `> 535 5.7.3 ...` is a quoted reply in a pasted e-mail, not a command.
        if split_reply_line(cmd).is_some_and(|(_, _, t)| t.starts_with(|ch: char| ch.is_ascii_digit() || ch.is_alphabetic()))
            && !c.expects_auth_data()
        {
            return None;
        }
        // A `> ` quote in a pasted e-mail is not a command unless curl is talking.
        if !(known || c.expects_auth_data() || super::raw::is_command(cmd)) {
            return None;
        }
        c.command(cmd, no);
    } else if let Some(info) = line.strip_prefix("* ") {
        curl_info(info.trim_start(), no, c);
    } else if line.starts_with("{ [") || line.starts_with("} [") {
    } else if let Some(msg) = line.strip_prefix("curl: (") {
        curl_exit(msg, line, no, c);
    } else {
        return None;
    }
    Some(Format::Curl)
}

/// The progress meter may be glued before the first `*` line.
fn after_progress_meter(line: &str) -> &str {
    // A searcher built once first (most lines have no meter): `contains` builds
    // one per call, and `rfind` has no fast path for an absent needle.
    static METER: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    if METER
        .get_or_init(|| memchr::memmem::Finder::new("--:--:--"))
        .find(line.as_bytes())
        .is_none()
    {
        return line;
    }
    match line.rfind("--:--:--") {
        Some(i) if line.len() > i + 8 => line[i + 8..].trim_start_matches(|ch: char| ch.is_ascii_digit() || ch == ' '),
        _ => line,
    }
}

fn curl_info(info: &str, no: usize, c: &mut Conversation) {
    if let Some(t) = info.strip_prefix("Trying ") {
        if let Some((h, p)) = host_port(t.trim_end_matches('.')) {
            c.connect(Some(h), p, no, info);
        }
    } else if let Some(t) = info.strip_prefix("Connected to ") {
        let host = t.split_whitespace().next();
        let port = t
            .split(" port ")
            .nth(1)
            .and_then(|p| p.split_whitespace().next())
            .and_then(|p| p.parse().ok());
        c.connect(host, port, no, info);
    } else if let Some(t) = info
        .strip_prefix("SSL connection using ")
        .or_else(|| info.strip_prefix("mbedTLS: Handshake complete"))
    {
        c.tls_started(t.split([' ', '/']).find(|w| w.starts_with("TLS") || w.starts_with("SSL")), no, info);
    } else if let Some(k) = kind_of(info).filter(|_| !info.contains("continuing anyway")) {
        c.client_error(k, info, no);
    } else if info.contains(" failed: ") {
        failed_command(info, no, c);
    }
}

/// `MAIL failed: 530`, `RCPT failed: 550`: curl keeps only the code.
fn failed_command(text: &str, no: usize, c: &mut Conversation) {
    let (cmd, code) = match super::lex::split_once(text, " failed: ") {
        Some(x) => x,
        None => return,
    };
    let stage = super::stage_of_command_name(cmd.rsplit(' ').next().unwrap_or(cmd));
    if let Ok(code) = code.trim().parse::<u16>() {
        let reply = crate::reply::Reply {
            code: Some(code),
            enhanced: None,
            text: String::new(),
            line: no,
            nested: false,
        };
        c.reply(reply, stage, true);
    }
}

fn curl_exit(msg: &str, line: &str, no: usize, c: &mut Conversation) {
    let text = super::lex::split_once(msg, ") ").map(|x| x.1).unwrap_or(msg);
    if text.contains(" failed: ") {
        failed_command(text, no, c);
        return;
    }
    let kind = kind_of(text).unwrap_or("client-error");
    c.client_error(kind, line, no);
}

/// msmtp `--debug` (`<-- `, `--> `) and email-oauth2-proxy (`<-- b'...'`).
/// `t`: the line without its outer prefix.
pub fn msmtp_debug(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    // email-oauth2-proxy: `SMTP (client-{local}-server:587) --> b'EHLO x\r\n'`.
    let proxy_at = || super::lex::find(t, ") --> ").or_else(|| super::lex::find(t, ") <-- "));
    let (t, proxy) = match t.starts_with("SMTP (").then(proxy_at).flatten() {
        Some(i) => (&t[i + 2..], true),
        None => (t, false),
    };
    let (server, payload) = if let Some(p) = t.strip_prefix("<-- ") {
        (true, p)
    } else if let Some(p) = t.strip_prefix("--> ") {
        (false, p)
    } else {
        return None;
    };
    let owned = if payload.starts_with("b'") || payload.starts_with("b\"") {
        python_unrepr(payload)
    } else {
        None
    };
    let payload = owned.as_deref().unwrap_or(payload).trim_end_matches(['\r', '\n']);
    if server {
        split_reply_line(payload)?;
        c.server_line(payload, no);
    } else {
        c.command(payload, no);
    }
    Some(if proxy || owned.is_some() {
        Format::OauthProxy
    } else {
        Format::Msmtp
    })
}

/// ssmtp `-v`: `[<-] reply` (only a multi-line reply's last line) and `[->] command`.
/// `t`: the line without its outer prefix.
pub fn ssmtp(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    if let Some(r) = t.strip_prefix("[<-] ") {
        split_reply_line(r)?;
        c.server_line(r, no);
    } else if let Some(cmd) = t.strip_prefix("[->] ") {
        c.command(cmd, no);
    } else {
        return None;
    }
    Some(Format::Ssmtp)
}

/// Exim `-v`: `  SMTP<< reply` (continuation lines indented 9 spaces), `  SMTP>> cmd`,
/// `  SMTP|> cmd` (pipelined), `  SMTP+> BDAT`.
pub fn exim_v(line: &str, no: usize, c: &mut Conversation, known: bool) -> Option<Format> {
    let t = line.trim_start();
    if let Some(r) = t.strip_prefix("SMTP<< ") {
        c.server_line(r, no);
    } else if let Some(cmd) = t
        .strip_prefix("SMTP>> ")
        .or_else(|| t.strip_prefix("SMTP|> "))
        .or_else(|| t.strip_prefix("SMTP+> "))
    {
        if cmd.bytes().all(|b| b == b'*') {
            c.command("[redacted]", no);
        } else {
            c.command(cmd, no);
        }
    } else if known && line.starts_with("         ") && split_reply_line(t).is_some() {
        c.server_line(t, no);
    } else if let Some(rest) = t.strip_prefix("Connecting to ") {
        let host = rest.split_whitespace().next();
        let port = rest
            .split("]:")
            .nth(1)
            .and_then(|p| p.split_whitespace().next())
            .and_then(|p| p.parse().ok());
        c.connect(host, port, no, t);
    } else if known && (t.starts_with("SMTP(close)") || t.starts_with("cmdlog:") || t.starts_with("LOG: ")) {
    } else {
        return None;
    }
    Some(Format::Exim)
}

/// `S:`/`C:` transcripts: MailKit's ProtocolLogger, nodemailer's logger and
/// device logs that borrowed the convention.
/// `t`: the line without its outer prefix (a suffix of `line`).
pub fn server_client(line: &str, t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    // Most lines starting with `S` or `C` are none of these: the format is
    // worked out only for those that are.
    if !(t.starts_with("S: ") || t.starts_with("C: ") || t.starts_with("Connected to ")) {
        return None;
    }
    // `[ts] DEBUG [id] S:` is nodemailer; another `[tag] S:` is a device borrowing the convention.
    let after_bracket = memchr::memchr(b']', line.as_bytes())
        .map(|i| line[i + 1..].trim_start())
        .unwrap_or("");
    let prefix = line.get(..line.len().saturating_sub(t.len())).unwrap_or("").trim_end();
    let format = if ["DEBUG", "INFO", "WARN", "ERROR", "TRACE"]
        .iter()
        .any(|l| after_bracket.starts_with(l))
    {
        Format::Nodemailer
    } else if prefix.ends_with(']') {
        Format::Device
    } else {
        Format::Mailkit
    };
    if let Some(r) = t.strip_prefix("S: ") {
        split_reply_line(r)?;
        c.server_line(r, no);
    } else if let Some(cmd) = t.strip_prefix("C: ") {
        c.command(cmd, no);
    } else if let Some(uri) = t
        .strip_prefix("Connected to ")
        .filter(|u| u.starts_with("smtp://") || u.starts_with("smtps://"))
    {
        let hp = super::lex::between(uri, "://").unwrap_or("").split('/').next().unwrap_or("");
        let (h, p) = host_port(hp).unwrap_or((hp, None));
        c.connect(Some(h), p, no, t);
        if uri.starts_with("smtps://") {
            c.tls_started(None, no, "");
        }
        return Some(Format::Mailkit);
    } else {
        return None;
    }
    Some(format)
}

/// Postfix with `debug_peer_list`: `postfix/smtp[1]: > host[ip]:587: MAIL FROM:<a>` / `< host[ip]:587: 530 ...`.
pub fn postfix_dialogue(msg: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let (server, rest) = if let Some(r) = msg.strip_prefix("< ") {
        (true, r)
    } else if let Some(r) = msg.strip_prefix("> ") {
        (false, r)
    } else {
        return None;
    };
    let (peer, payload) = super::lex::split_once(rest, ": ")?;
    if !peer.contains('[') {
        return None;
    }
    if server {
        c.server_line(payload, no);
    } else {
        c.command(payload, no);
    }
    Some(Format::Postfix)
}
