//! Python's smtplib debug output (`set_debuglevel(1)` and `(2)`, the latter
//! with a `HH:MM:SS.ffffff` prefix): `send: '<repr>'`, `reply: b'<one line>'`,
//! the `reply: retcode (NNN); Msg: b'...'` summary, `connect:`, `data:`.
//!
//! Payloads are Python `repr` literals and are un-escaped first. The summary
//! repeats the per-line replies, so it only counts when those were cut from
//! the paste. The exceptions smtplib raises are in `exceptions`.

use super::conversation::Conversation;
use super::detect::Format;
use super::lex::{python_unrepr, python_unrepr_into};

/// Whether per-line `reply:` lines were seen since the last `send:`.
#[derive(Debug, Default)]
pub struct SmtplibState {
    reply_lines_seen: bool,
    /// The un-escaped payload of the current line, reused from line to line.
    payload: String,
}

/// `t`: the line without its outer prefix (timestamps of level 2 and of the user's logger).
pub fn parse(t: &str, no: usize, c: &mut Conversation, st: &mut SmtplibState) -> Option<Format> {
    if let Some(p) = t.strip_prefix("send: ") {
        st.reply_lines_seen = false;
        python_unrepr_into(p, &mut st.payload)?;
        let text = &st.payload;
        if p.starts_with('b') && (text.ends_with("\r\n.\r\n") || text == ".\r\n") {
            // The message body and its final dot, in one bytes literal.
            c.command(".", no);
        } else if p.starts_with('b') && c.in_data() {
        } else {
            for cmd in text.split("\r\n").filter(|s| !s.is_empty()) {
                c.command(cmd, no);
            }
        }
    } else if let Some(p) = t.strip_prefix("reply: ") {
        if let Some(summary) = p.strip_prefix("retcode (") {
            if !st.reply_lines_seen {
                summary_reply(summary, no, c);
            }
            st.reply_lines_seen = false;
        } else {
            python_unrepr_into(p, &mut st.payload)?;
            st.reply_lines_seen = true;
            c.server_line(st.payload.trim_end_matches(['\r', '\n']), no);
        }
    } else if let Some(p) = t.strip_prefix("connect: ") {
        connect(p, no, c);
    } else if let Some(p) = t.strip_prefix("connect fail: ") {
        c.client_error("connect-failed", &format!("connect fail: {}", p), no);
    } else if t.starts_with("data: (") {
    } else {
        return None;
    }
    Some(Format::Smtplib)
}

/// `250); Msg: b'line1\nline2'`: the whole reply, fed as its lines.
fn summary_reply(s: &str, no: usize, c: &mut Conversation) {
    let Some((code, rest)) = s.split_once(')') else { return };
    let Ok(code) = code.trim().parse::<u16>() else { return };
    let msg = super::lex::split_once(rest, "Msg: ")
        .and_then(|(_, m)| python_unrepr(m))
        .unwrap_or_default();
    let lines: Vec<&str> = msg.split('\n').collect();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        c.server_line(&format!("{}{}{}", code, sep, l), no);
    }
}

/// `to ('smtp.office365.com', 587) None` (3.x) or `('host', 587)`; a bytes banner is skipped.
fn connect(p: &str, no: usize, c: &mut Conversation) {
    let p = p.strip_prefix("to ").unwrap_or(p);
    if !p.starts_with('(') {
        return;
    }
    let inner = p.trim_start_matches('(');
    let mut parts = inner.split(',');
    let host = parts.next().map(|h| h.trim().trim_matches(['\'', '"']));
    let port = parts
        .next()
        .and_then(|x| x.trim().trim_end_matches(|ch: char| !ch.is_ascii_digit()).parse().ok());
    c.connect(host.filter(|h| !h.is_empty()), port, no, p);
}
