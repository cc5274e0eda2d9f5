//! What applications print when sending fails, outside any transcript:
//! exceptions (Java `...Exception: 535 ...`, Python `SMTPAuthenticationError:
//! (535, b'...')`, MailKit `AuthenticationException: 535: ...`), nodemailer's
//! logger remarks and `Invalid login:` errors with their error object,
//! Swiftmailer/Symfony `Expected response code`, the stderr lines of msmtp
//! (`msmtp: server message: ...`) and ssmtp (`ssmtp: Authorization failed (...)`),
//! and msmtp `--debug`'s configuration dump and TLS session line.
//!
//! These usually repeat a reply the transcript showed, so they are passed as
//! echoes: they add a reply only when the transcript was not pasted, and they
//! lend the stage their wording names.

use super::conversation::Conversation;
use super::detect::Format;
use super::errors::kind_of;
use crate::kb::raw::Stage;
use crate::reply::{find_replies, Reply};

/// A hint from msmtp's previous error line (it comes before `server message:`).
#[derive(Debug, Default)]
pub struct AppState {
    msmtp_stage: Option<Stage>,
}

/// Exception and error-message prefixes and the stage each one names.
const STAGED: [(&str, Option<Stage>); 25] = [
    ("SslHandshakeException", None),
    ("Failed to authenticate on SMTP server", Some(Stage::Auth)),
    ("AuthenticationFailedException", Some(Stage::Auth)),
    ("SMTPSenderFailedException", Some(Stage::MailFrom)),
    ("SMTPAddressFailedException", Some(Stage::RcptTo)),
    ("SMTPSendFailedException", None),
    ("SMTPAuthenticationError", Some(Stage::Auth)),
    ("SMTPSenderRefused", Some(Stage::MailFrom)),
    ("SMTPRecipientsRefused", Some(Stage::RcptTo)),
    ("SMTPDataError", None),
    ("SMTPResponseException", None),
    ("AuthenticationException", Some(Stage::Auth)),
    ("AuthenticationInvalidCredentials", Some(Stage::Auth)),
    ("ServiceNotAuthenticatedException", Some(Stage::MailFrom)),
    ("SmtpCommandException", None),
    ("Invalid login: ", Some(Stage::Auth)),
    ("Mail command failed: ", Some(Stage::MailFrom)),
    ("Recipient command failed: ", Some(Stage::RcptTo)),
    ("all recipients were rejected: ", Some(Stage::RcptTo)),
    ("Data command failed: ", Some(Stage::Data)),
    ("Message failed: ", Some(Stage::EndOfData)),
    ("Authenticator LOGIN returned", Some(Stage::Auth)),
    ("Expected response code", None),
    ("TransportException", None),
    ("Error upgrading connection with STARTTLS", Some(Stage::Starttls)),
];

/// The prefixes of `STAGED` alone, for the one-pass search.
const STAGED_NAMES: [&str; STAGED.len()] = {
    let mut names = [""; STAGED.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = STAGED[i].0;
        i += 1;
    }
    names
};

static STAGED_SEARCH: super::lex::Needles = super::lex::Needles::new(&STAGED_NAMES);

/// Replies in an error message, passed as echoes with the stage its wording names.
fn echo(text: &str, stage: Option<Stage>, no: usize, c: &mut Conversation) -> bool {
    let text = mailkit_code(text);
    let replies = find_replies(&text, false);
    let found = !replies.is_empty();
    for r in replies {
        let s = if r.nested && r.code == Some(535) {
            Some(Stage::Auth)
        } else {
            stage
        };
        c.reply(Reply { line: no, ..r }, s, true);
    }
    found
}

/// MailKit writes `535: 5.7.139 text`; make it `535 5.7.139 text`.
fn mailkit_code(text: &str) -> std::borrow::Cow<'_, str> {
    if let Some(i) = text.find(|ch: char| ch.is_ascii_digit()) {
        let b = text.as_bytes();
        if b.len() > i + 5 && b[i..i + 3].iter().all(u8::is_ascii_digit) && &b[i + 3..i + 5] == b": " && (i == 0 || b[i - 1] == b' ') {
            return std::borrow::Cow::Owned(format!("{} {}", &text[..i + 3], &text[i + 5..]));
        }
    }
    std::borrow::Cow::Borrowed(text)
}

/// Exceptions and error messages that name a stage.
pub fn exception(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let (i, k) = STAGED_SEARCH.find_word(t)?;
    let (marker, stage) = STAGED[k];
    let format = if t.contains("javax.mail") || t.contains("jakarta.mail") || t.contains("com.sun.mail") || t.contains("angus.mail") {
        Format::Javamail
    } else if t.contains("smtplib") || marker.starts_with("SMTP") && !marker.ends_with("Exception") {
        Format::Smtplib
    } else if t.contains("MailKit")
        || marker.starts_with("Authentication")
        || marker.starts_with("Service")
        || marker.starts_with("SmtpCommand")
    {
        Format::Mailkit
    } else if marker.contains("command failed")
        || marker.starts_with("Invalid login")
        || marker.contains("Message failed")
        || marker.contains("recipients")
        || marker.contains("STARTTLS")
    {
        Format::Nodemailer
    } else {
        Format::Symfony
    };
    let rest = &t[i..];
    if let Some(u) = t.split("with username \"").nth(1).and_then(|u| u.split('"').next()) {
        c.auth_user(u);
    }
    if !echo(rest, stage, no, c) {
        // `raise SMTPAuthenticationError(code, resp)` is source code, not a message.
        let message = rest[marker.len()..].starts_with([':', ' ']) || marker.ends_with(' ');
        match kind_of(t) {
            Some(kind) => c.client_error(kind, t, no),
            None if message => c.client_error("client-error", t, no),
            None => {}
        }
    } else if stage == Some(Stage::Auth) {
        c.auth_failed();
    } else if stage == Some(Stage::Starttls) {
        // The reply says STARTTLS was refused; that the client then gave up on
        // TLS is the client's conclusion, which only this message states. The
        // text from the marker on is the same in every copy, so copies merge.
        c.client_error("starttls-unavailable", rest, no);
    }
    Some(format)
}

/// nodemailer's logger remarks and its error object's fields.
pub fn nodemailer(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    // Every remark below starts with one of these bytes: most lines stop here.
    if !matches!(t.as_bytes().first(), Some(b'C' | b'U' | b'r' | b'c' | b'p' | b'S')) {
        return None;
    }
    // The logger's own remarks: they say the file is nodemailer's even when
    // the connection failed before any `C:`/`S:` line.
    if t.starts_with("Creating transport: nodemailer")
        || t.starts_with("Sending mail using SMTP/")
        || t.starts_with("Closing connection to the server")
    {
        c.event(no, t);
    } else if let Some(r) = t.strip_prefix("Connection established to ") {
        let (h, p) = super::lex::host_port(r).unwrap_or((r, None));
        c.connect(Some(h), p, no, t);
    } else if t.starts_with("Connection upgraded with STARTTLS") {
        c.tls_started(None, no, t);
    } else if let Some(r) = t.strip_prefix("User \"") {
        let (user, what) = r.split_once('"')?;
        c.auth_user(user);
        if what.contains("failed") {
            c.auth_failed();
        } else if what.contains("authenticated") {
            c.auth_succeeded();
        }
    } else if let Some(r) = t.strip_prefix("response: '") {
        echo(r.trim_end_matches([',', '\'']), None, no, c);
    } else if let Some(r) = t.strip_prefix("command: '") {
        if let Some(s) = super::stage_of_command_name(r.trim_end_matches([',', '\'']).split(' ').next().unwrap_or("")) {
            c.last_reply_stage(s);
        }
    } else if t.starts_with("code: 'E") || t.starts_with("responseCode: ") || t.starts_with("permanent: ") {
    } else if let Some(r) = t.strip_prefix("Send Error: ") {
        if !echo(r, None, no, c) {
            c.client_error(kind_of(r).unwrap_or("client-error"), t, no);
        }
    } else {
        return None;
    }
    Some(Format::Nodemailer)
}

/// msmtp `--debug` remarks outside the dialogue: the configuration dump
/// (`host = smtp.office365.com`, `port = 587`) and GnuTLS's session
/// description under `TLS session parameters:` (`(TLS1.3)-(ECDHE-...)-...`).
/// `t`: the line without its outer prefix (and leading blanks).
pub fn msmtp_remark(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    match t.as_bytes().first()? {
        b'h' => {
            let h = t.strip_prefix("host = ")?.trim();
            // `(not set)` and friends are msmtp's placeholders, not hosts.
            if h.is_empty() || h.starts_with('(') || h.contains(' ') {
                return None;
            }
            c.peer(Some(h), None);
        }
        b'p' => {
            let p = t.strip_prefix("port = ")?.trim().parse::<u16>().ok().filter(|p| *p > 0)?;
            c.peer(None, Some(p));
        }
        b'(' => {
            let version = t.strip_prefix('(')?.split_once(")-(")?.0;
            if !(version.starts_with("TLS1.") || version.starts_with("SSL3")) {
                return None;
            }
            c.tls_started(Some(version), no, t);
        }
        _ => return None,
    }
    Some(Format::Msmtp)
}

/// `msmtp: ...` and `ssmtp: ...` / `sSMTP[pid]: ...` error lines.
pub fn msmtp_ssmtp(t: &str, no: usize, c: &mut Conversation, st: &mut AppState) -> Option<Format> {
    if let Some(m) = t.strip_prefix("msmtp: ") {
        if let Some(r) = m.strip_prefix("server message: ") {
            echo(r, st.msmtp_stage, no, c);
        } else {
            st.msmtp_stage = if m.starts_with("authentication failed") {
                c.auth_failed();
                Some(Stage::Auth)
            } else if m.starts_with("envelope from address") {
                Some(Stage::MailFrom)
            } else if m.starts_with("recipient address") {
                Some(Stage::RcptTo)
            } else if m.starts_with("the server did not accept the mail") {
                Some(Stage::EndOfData)
            } else {
                st.msmtp_stage
            };
            if let Some(k) = kind_of(m) {
                c.client_error(k, t, no);
            }
        }
        return Some(Format::Msmtp);
    }
    let m = t
        .strip_prefix("ssmtp: ")
        .or_else(|| super::lex::find(t, "sSMTP[").and_then(|i| t[i..].split_once("]: ").map(|x| x.1)))?;
    let stage = if m.starts_with("Authorization failed") || m.starts_with("Server didn't") {
        c.auth_failed();
        Some(Stage::Auth)
    } else if m.starts_with("RCPT TO:") {
        Some(Stage::RcptTo)
    } else {
        None
    };
    if let Some(r) = m.strip_prefix("Cannot open ") {
        let (h, p) = super::lex::host_port(r).unwrap_or((r, None));
        c.connect(Some(h), p, no, m);
        c.client_error("connect-failed", t, no);
    } else if m.starts_with("Sent mail for ") {
        c.facts.data_accepted = Some(true);
    } else if !echo(m, stage, no, c) {
        if let Some(k) = kind_of(m) {
            c.client_error(k, t, no);
        }
    }
    Some(Format::Ssmtp)
}

#[cfg(test)]
mod tests {
    use crate::logparse::parse_log;

    #[test]
    fn nodemailer_starttls_refused() {
        let log = "[2026-11-29 18:12:30] DEBUG [W] S: 220 h ESMTP\n\
                   [2026-11-29 18:12:30] DEBUG [W] C: STARTTLS\n\
                   [2026-11-29 18:12:30] DEBUG [W] S: 500 5.3.3 Unrecognized command\n\
                   [2026-11-29 18:12:30] ERROR [W] Error upgrading connection with STARTTLS: 500 5.3.3 Unrecognized command\n\
                   [2026-11-29 18:12:30] ERROR Send Error: Error upgrading connection with STARTTLS: 500 5.3.3 Unrecognized command\n";
        let p = parse_log(log, "t");
        let kinds: Vec<_> = p.facts.client_errors.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["starttls-unavailable"]);
        assert_eq!(p.facts.replies.len(), 2);
    }

    #[test]
    fn nodemailer_logger_remarks_name_the_format() {
        let log =
            "[2026-11-29 18:12:34] DEBUG Creating transport: nodemailer (10.6.1; +https://nodemailer.com/; SMTP/10.6.1[client:10.6.1])\n\
                   [2026-11-29 18:12:34] DEBUG Sending mail using SMTP/10.6.1[client:10.6.1]\n\
                   [2026-11-29 18:12:34] WARN  [j] 80EC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:x.c:350:\n";
        assert_eq!(parse_log(log, "t").format(), "nodemailer");
    }

    #[test]
    fn msmtp_debug_config_and_tls_session() {
        let log = "host = smtp.office365.com\nport = 587\nproxy host = (not set)\nproxy port = 0\n\
                   <-- 220 h ESMTP\n--> STARTTLS\n<-- 220 2.0.0 SMTP server ready\nTLS session parameters:\n    \
                   (TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)\n--> EHLO x\n";
        let p = parse_log(log, "t");
        assert_eq!(p.facts.connect_host.as_deref(), Some("smtp.office365.com"));
        assert_eq!(p.facts.connect_port, Some(587));
        assert_eq!(p.facts.tls_version.as_deref(), Some("TLS1.3"));
        assert_eq!(p.facts.tls_established, Some(true));
        let p = parse_log("host = (not set)\nport = 0\n", "t");
        assert_eq!((p.facts.connect_host, p.facts.connect_port), (None, None));
    }

    #[test]
    fn msmtp_starttls_and_gnutls_wordings() {
        let p = parse_log("msmtp: the server does not support TLS via the STARTTLS command\n", "t");
        assert_eq!(p.facts.client_errors[0].kind, "starttls-unavailable");
        assert_eq!(
            p.facts.client_errors[0].text,
            "msmtp: the server does not support TLS via the STARTTLS command"
        );
        assert_eq!(p.facts.starttls_offered, Some(false));
        let p = parse_log("msmtp: TLS handshake failed: An unexpected TLS packet was received.\n", "t");
        assert_eq!(p.facts.client_errors[0].kind, "tls-wrong-version");
    }
}
