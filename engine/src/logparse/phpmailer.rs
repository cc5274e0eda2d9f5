//! PHPMailer's `SMTPDebug` output in every mode: echo (`date<TAB>SERVER ->
//! CLIENT: ...` with continuation lines indented by spaces and a tab), html
//! (`-&gt;`, `<br>`, and a multi-line reply glued into one line), error_log (no
//! date), level 4 (`SMTP INBOUND:` copies, skipped), PHPMailer 5's `SMTP -> FROM
//! SERVER:` and the error summaries (`SMTP ERROR: Password command failed: ...`,
//! `,530,5.7.57SMTP server error: MAIL FROM command failed Detail: ...`).
//!
//! PHPMailer ends every failure with summaries (`SMTP connect() failed.`,
//! `Mailer Error: ...`, ` SMTP code: 550 Additional SMTP info: 5.7.60`) that
//! repeat what the dialogue showed; "connect() failed" is printed even after a
//! refused login, so once the server has greeted the connection such a
//! summary is only an event, never a connection failure.

use super::conversation::{split_reply_line, Conversation};
use super::detect::Format;
use super::errors::kind_of;
use crate::kb::raw::Stage;

/// What the last PHPMailer message was, for its continuation lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum PhpState {
    #[default]
    None,
    Server,
    Error,
    Other,
}

/// PHPMailer's markers; `parse` dispatches on the index (more specific ones first where one contains another).
const MARKERS: [&str; 18] = [
    "SERVER -> CLIENT: ",
    "SERVER -&gt; CLIENT: ",
    "CLIENT -> SERVER: ",
    "CLIENT -&gt; SERVER: ",
    "SMTP -> FROM SERVER:",
    "SMTP ERROR: ",
    "SMTP -> ERROR: ",
    "SMTP Error: ",
    "SMTP INBOUND: ",
    "Connection: opening to ",
    "Auth method selected: ",
    "Connection: ",
    "Auth method",
    "The following From address failed: ",
    "SMTP server error: ",
    "SMTP code: ",
    "SMTP connect() failed",
    "Mailer Error: ",
];

static MARKERS_SEARCH: super::lex::Needles = super::lex::Needles::new(&MARKERS);

/// Continuation lines: 19 spaces, a tab, more spaces (echo mode).
pub fn is_continuation(line: &str) -> bool {
    line.starts_with("                   \t")
}

/// `whole`: `line` without its outer prefix, when the caller has it already.
pub fn parse(line: &str, whole: Option<&str>, no: usize, c: &mut Conversation, st: &mut PhpState) -> Option<Format> {
    if is_continuation(line) && *st != PhpState::None {
        let t = line.trim();
        match *st {
            PhpState::Server if split_reply_line(t).is_some() => c.server_line(t, no),
            PhpState::Error => c.client_error_more(t),
            _ => {}
        }
        return Some(Format::Phpmailer);
    }
    let t = line.trim_end().strip_suffix("<br>").unwrap_or(line.trim_end());
    // The same text as `line` (nothing cut at its end): its prefix is stripped already.
    let body = match whole {
        Some(w) if t.len() == line.len() => w,
        _ => super::lex::strip_outer_prefix(t),
    };
    // The usual lines open with their marker: no search needed.
    if let Some(p) = body
        .strip_prefix("SERVER -> CLIENT: ")
        .or_else(|| body.strip_prefix("SERVER -&gt; CLIENT: "))
    {
        *st = PhpState::Server;
        server_payload(p, no, c);
        return Some(Format::Phpmailer);
    }
    if let Some(p) = body
        .strip_prefix("CLIENT -> SERVER: ")
        .or_else(|| body.strip_prefix("CLIENT -&gt; SERVER: "))
    {
        *st = PhpState::Other;
        c.command(p.trim_end(), no);
        return Some(Format::Phpmailer);
    }
    // One pass for every marker; the first one in the line decides.
    let Some((i, k)) = MARKERS_SEARCH.find(t) else {
        *st = PhpState::None;
        return None;
    };
    let marker = MARKERS[k];
    let after = &t[i + marker.len()..];
    match k {
        0 | 1 => {
            *st = PhpState::Server;
            server_payload(after, no, c);
        }
        2 | 3 => {
            *st = PhpState::Other;
            c.command(after.trim_end(), no);
        }
        4 => {
            *st = PhpState::Server;
            server_payload(after.trim_start(), no, c);
        }
        5 | 6 => {
            *st = PhpState::Error;
            let msg = &t[i..];
            error_summary(after, msg, no, c);
        }
        7 | 16 => {
            *st = PhpState::Error;
            summary(&t[i..], no, c);
        }
        9 => {
            *st = PhpState::Other;
            if let Some((h, p)) = super::lex::host_port(after.split(',').next().unwrap_or("")) {
                c.connect(Some(h), p, no, &t[i..]);
            }
        }
        10 => {
            *st = PhpState::Other;
            c.auth_mechanism(after);
        }
        13 => {
            *st = PhpState::Other;
            if let Some(a) = after.split_whitespace().next() {
                c.mail_from(a);
            }
        }
        14 => {
            *st = PhpState::Other;
            error_info(t, i, no, c);
        }
        // `ErrorInfo` again, code and enhanced code apart: the reply at its command said it first.
        15 => *st = PhpState::Other,
        17 => {
            // The script's `echo 'Mailer Error: ' . $mail->ErrorInfo`: a copy of a message above.
            let msg = after.trim();
            if msg.is_empty() || parse(msg, None, no, c, st).is_none() {
                *st = PhpState::Error;
                summary(&t[i..], no, c);
            }
        }
        _ => *st = PhpState::Other,
    }
    Some(Format::Phpmailer)
}

/// A server message; html mode glues `250-a250-b250 c` into one line.
fn server_payload(payload: &str, no: usize, c: &mut Conversation) {
    let Some((_, sep, _)) = split_reply_line(payload) else {
        // TLS bytes after a failed handshake, or other junk: not a reply.
        return;
    };
    if sep != '-' {
        c.server_line(payload, no);
        return;
    }
    let code_s = &payload[..3];
    let mut rest = payload;
    loop {
        // The next segment starts where the same code follows again with `-` or ` `.
        let next = rest[4..]
            .match_indices(code_s)
            .map(|(j, _)| j + 4)
            .find(|&j| matches!(rest.as_bytes().get(j + 3), Some(b'-' | b' ')) || j + 3 == rest.len());
        match next {
            Some(j) => {
                c.server_line(&rest[..j], no);
                rest = &rest[j..];
                if !rest[3..].starts_with('-') {
                    c.server_line(rest, no);
                    return;
                }
            }
            None => {
                c.server_line(rest, no);
                return;
            }
        }
    }
}

/// `Password command failed: 535 5.7.3 ...`: an echo of the reply, naming the command.
fn error_summary(msg: &str, whole: &str, no: usize, c: &mut Conversation) {
    if let Some((cmd, reply)) =
        super::lex::split_once(msg, " command failed: ").or_else(|| super::lex::split_once(msg, " not accepted from server: "))
    {
        let stage = match cmd.trim() {
            "EHLO" | "HELO" => Some(Stage::Ehlo),
            "STARTTLS" => Some(Stage::Starttls),
            "AUTH" | "User & Password" | "Username" | "Password" => Some(Stage::Auth),
            "MAIL FROM" | "MAIL" => Some(Stage::MailFrom),
            "RCPT TO" | "RCPT" => Some(Stage::RcptTo),
            "DATA" => Some(Stage::Data),
            "DATA END" => Some(Stage::EndOfData),
            "QUIT" => Some(Stage::Quit),
            _ => None,
        };
        for r in crate::reply::find_replies(reply, true).into_iter().filter(|r| !r.nested).take(1) {
            let r = crate::reply::Reply { line: no, ..r };
            c.reply(r, stage, true);
        }
        return;
    }
    if let Some(kind) = kind_of(msg) {
        c.client_error(kind, whole, no);
    }
}

/// PHPMailer's closing words (`SMTP Error: Could not connect to SMTP host.`,
/// `SMTP connect() failed.`): a client error, except a "could not connect"
/// once the server has greeted, which only says the session failed somehow.
fn summary(msg: &str, no: usize, c: &mut Conversation) {
    match kind_of(msg) {
        // After a greeting, or after the specific error it sums up.
        Some("connect-failed") if c.banner_here() || !c.facts.client_errors.is_empty() => c.event(no, msg),
        Some(kind) => c.client_error(kind, msg, no),
        None if msg.starts_with("Mailer Error: ") => c.event(no, msg),
        None => c.client_error("client-error", msg, no),
    }
}

/// `ErrorInfo` splits the code from the text: `...,530,5.7.57SMTP server error: MAIL FROM command failed Detail: text`.
fn error_info(t: &str, i: usize, no: usize, c: &mut Conversation) {
    let head = &t[..i];
    let mut parts = head.rsplit(',');
    // Only `,550,5.7.60` splits into code and enhanced code; ` SMTP code: 550
    // Additional SMTP info: 5.7.60` before the marker is another summary.
    let enh = parts.next().filter(|e| crate::reply::is_enhanced_code(e)).map(str::to_string);
    let code = parts.next().and_then(|x| x.trim().parse::<u16>().ok());
    let tail = &t[i + 19..];
    let (cmd, detail) = super::lex::split_once(tail, " Detail: ").unwrap_or((tail, ""));
    let stage = super::stage_of_command_name(cmd.trim_end_matches(" command failed").trim());
    if code.is_some() || enh.is_some() {
        let r = crate::reply::Reply {
            code,
            enhanced: enh,
            text: detail.trim().to_string(),
            line: no,
            nested: false,
        };
        c.reply(r, stage, true);
    }
}

#[cfg(test)]
mod tests {
    use crate::logparse::parse_log;

    fn kinds(log: &str) -> Vec<String> {
        parse_log(log, "t").facts.client_errors.iter().map(|e| e.kind.clone()).collect()
    }

    #[test]
    fn connect_failed_summary_after_a_greeting_is_no_connection_failure() {
        let log = "2026-11-29 18:11:59\tSERVER -> CLIENT: 220 h ESMTP\n\
                   2026-11-29 18:11:59\tSERVER -> CLIENT: 535 5.7.3 Authentication unsuccessful\n\
                   2026-11-29 18:11:59\tSMTP Error: Could not authenticate.\n\
                   2026-11-29 18:11:59\tSMTP connect() failed. https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting\n\
                   Mailer Error: SMTP connect() failed. https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting\n";
        assert_eq!(kinds(log), ["auth-failed-client"]);
        let p = parse_log(log, "t");
        assert_eq!(p.format(), "phpmailer");
    }

    #[test]
    fn connect_failed_without_a_greeting_is_phpmailer() {
        let log = "2026-11-29 18:12:34\tSMTP ERROR: Failed to connect to server:  (0)\n\
                   2026-11-29 18:12:34\tSMTP connect() failed. https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting\n\
                   Mailer Error: SMTP connect() failed. https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting\n";
        let p = parse_log(log, "t");
        assert_eq!(p.format(), "phpmailer");
        assert_eq!(kinds(log), ["connect-failed"]);
    }

    #[test]
    fn starttls_refused_summary() {
        let log = "2026-11-29 18:12:30\tSERVER -> CLIENT: 220 h ESMTP\n\
                   2026-11-29 18:12:30\tSMTP Error: Could not connect to SMTP host. STARTTLS command failed Unrecognized command\n";
        assert_eq!(kinds(log), ["starttls-unavailable"]);
    }

    #[test]
    fn error_info_summaries_repeat_the_reply() {
        let log = "2026-11-29 18:12:20\tCLIENT -> SERVER: MAIL FROM:<sales@contoso.com>\n\
                   2026-11-29 18:12:20\tSERVER -> CLIENT: 550 5.7.60 SMTP; Client does not have permissions to send as this sender\n\
                   ,550,5.7.60SMTP server error: MAIL FROM command failed Detail: SMTP; Client does not have permissions to send as this sender\n \
                   SMTP code: 550 Additional SMTP info: 5.7.60SMTP server error: MAIL FROM command failed Detail: SMTP; Client does not\n \
                   SMTP code: 550 Additional SMTP info: 5.7.60\n";
        let p = parse_log(log, "t");
        let replies: Vec<_> = p.facts.replies.iter().map(|r| (r.reply.code, r.reply.enhanced.clone())).collect();
        assert_eq!(replies, [(Some(550), Some("5.7.60".to_string()))]);
        assert!(p.facts.client_errors.is_empty(), "{:?}", p.facts.client_errors);
    }
}
