//! Transcripts without direction markers: raw replies, telnet and `openssl
//! s_client` sessions, and JavaMail/Jakarta Mail's `mail.debug` output (raw
//! protocol lines between `DEBUG SMTP:` remarks).
//!
//! Direction comes from the content: a line starting with a reply code is the
//! server; a line starting with an SMTP verb, or any line while the AUTH
//! exchange waits for data, is the client. Message content between `354` and
//! `.` is skipped.

use super::conversation::{split_reply_line, CommandKind, Conversation};
use super::detect::Format;
use super::lex::host_port;

/// The SMTP verbs, by their first letter (upper case): a line is looked up
/// once, not compared with every verb.
fn verbs_starting_with(first: u8) -> &'static [&'static str] {
    match first.to_ascii_uppercase() {
        b'E' => &["EHLO "],
        b'H' => &["HELO "],
        b'M' => &["MAIL FROM:"],
        b'R' => &["RCPT TO:", "RSET"],
        b'A' => &["AUTH "],
        b'S' => &["STARTTLS"],
        b'D' => &["DATA"],
        b'Q' => &["QUIT"],
        b'N' => &["NOOP"],
        b'B' => &["BDAT "],
        b'L' => &["LHLO "],
        b'V' => &["VRFY "],
        _ => &[],
    }
}

/// Whether a line is an SMTP command as people type it (case-insensitive verb).
pub fn is_command(t: &str) -> bool {
    let Some(&first) = t.as_bytes().first() else {
        return false;
    };
    if t.get(..5).is_some_and(|h| h.eq_ignore_ascii_case("AUTH ")) {
        // `AUTH LOGIN`, not `auth = choose` from a configuration dump.
        let mech = t[5..].split_whitespace().next().unwrap_or("");
        return !mech.is_empty()
            && mech
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    }
    verbs_starting_with(first).iter().any(|v| {
        t.get(..v.len()).is_some_and(|h| h.eq_ignore_ascii_case(v))
            && (v.ends_with([' ', ':']) || t.len() == v.len() || t.as_bytes().get(v.len()) == Some(&b' '))
    })
}

/// JavaMail's `DEBUG SMTP:` and `DEBUG:` remarks.
pub fn javamail_debug(line: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let msg = if let Some(m) = line.strip_prefix("DEBUG SMTP: ") {
        m
    } else if let Some(m) = line.strip_prefix("DEBUG: ") {
        if !(m.contains("Mail") || m.contains("mail.") || m.contains("Provider")) {
            return None;
        }
        return Some(Format::Javamail);
    } else {
        return None;
    };
    if let Some(r) = msg.strip_prefix("trying to connect to host ") {
        let host = r.split('"').nth(1);
        let port = r
            .split("port ")
            .nth(1)
            .and_then(|p| p.split(',').next())
            .and_then(|p| p.trim().parse().ok());
        c.connect(host, port, no, msg);
        if r.contains("isSSL true") {
            c.tls_started(None, no, "");
        }
    } else if let Some(r) = msg.strip_prefix("Found extension \"") {
        let (name, arg) = r.split_once("\", arg \"").unwrap_or((r, ""));
        let name = name.trim_end_matches('"');
        if name.eq_ignore_ascii_case("AUTH") {
            c.facts.auth_offered = Some(arg.trim_end_matches('"').split_whitespace().map(str::to_string).collect());
        }
    } else if let Some(m) = msg.strip_prefix("Using mechanism ") {
        c.auth_mechanism(m);
    } else if msg.starts_with("AUTH ") && msg.ends_with(" failed") {
        c.auth_failed();
        c.event(no, msg);
    } else if msg.starts_with("AUTH ") && msg.ends_with(" succeeded") {
        c.auth_succeeded();
    } else if let Some(r) = msg.strip_prefix("protocolConnect login, host=") {
        if let Some(u) = super::lex::between(r, "user=").and_then(|u| u.split(',').next()) {
            c.auth_user(u);
        }
    } else if let Some(r) = msg.strip_prefix("got response code ") {
        if let Some((_, reply)) = super::lex::split_once(r, "with response: ") {
            for rep in crate::reply::find_replies(reply, true).into_iter().take(1) {
                c.reply(crate::reply::Reply { line: no, ..rep }, None, true);
            }
        }
    }
    Some(Format::Javamail)
}

/// A raw protocol line (JavaMail, telnet, openssl s_client, plain paste).
pub fn protocol_line(t: &str, no: usize, c: &mut Conversation, javamail: bool) -> Option<Format> {
    let format = if javamail { Format::Javamail } else { Format::Raw };
    if split_reply_line(t).is_some() {
        c.server_line(t, no);
        return Some(format);
    }
    if is_command(t) {
        c.command(t, no);
        return Some(format);
    }
    if (c.expects_auth_data() || c.in_data()) && !t.is_empty() && (javamail || !t.contains(' ') || c.in_data()) {
        return match c.command(t, no) {
            CommandKind::Body | CommandKind::Secret | CommandKind::Command => Some(format),
        };
    }
    None
}

/// `openssl s_client` remarks: `CONNECTED(...)`, `New, TLSv1.3, Cipher is ...`,
/// `Verify return code: 21 (...)`, and the command line itself.
pub fn openssl(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    // Every remark below starts with one of these bytes: most lines stop here.
    if !matches!(
        t.as_bytes().first(),
        Some(b'C' | b'N' | b'V' | b'o' | b'$' | b'v' | b'd' | b't' | b'T')
    ) {
        return None;
    }
    if t.starts_with("CONNECTED(") {
        c.event(no, t);
    } else if let Some(r) = t.strip_prefix("New, ") {
        let version = r
            .split(',')
            .next()
            .map(str::trim)
            .filter(|v| v.starts_with("TLS") || v.starts_with("SSL"));
        c.tls_started(version, no, t);
    } else if let Some(r) = t.strip_prefix("Verify return code: ") {
        if !r.starts_with("0 ") {
            c.client_error("certificate", t, no);
        }
    } else if let Some(args) = t
        .strip_prefix("openssl s_client ")
        .or_else(|| t.strip_prefix("$ openssl s_client "))
    {
        if let Some(hp) = super::lex::between(args, "-connect ").and_then(|r| r.split_whitespace().next()) {
            let (h, p) = host_port(hp).unwrap_or((hp, None));
            c.connect(Some(h), p, no, t);
        }
        if args.contains("-starttls smtp") {
            // s_client did EHLO and STARTTLS itself and prints only the last line of its second EHLO reply.
            c.facts.starttls_issued = Some(true);
            c.expect_reply(crate::kb::raw::Stage::Ehlo);
        }
    } else if t.starts_with("verify return:") || t.starts_with("depth=") {
        if c.facts.starttls_issued == Some(true) && c.facts.tls_established.is_none() {
            c.tls_started(None, no, "");
        }
    } else if let Some(rest) = t.strip_prefix("telnet ").or_else(|| t.strip_prefix("$ telnet ")) {
        let mut words = rest.split_whitespace();
        let host = words
            .next()
            .filter(|h| super::lex::is_host(h) || h.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'));
        let port = words.next().and_then(|p| p.parse().ok());
        host?;
        c.connect(host, port, no, t);
    } else if let Some(r) = t.strip_prefix("Connected to ").or_else(|| t.strip_prefix("Trying ")) {
        let host = r.trim_end_matches('.').trim_end_matches("..");
        super::lex::is_host(host).then_some(())?;
        c.peer(Some(host), None);
        c.event(no, t);
    } else {
        return None;
    }
    Some(Format::Openssl)
}
