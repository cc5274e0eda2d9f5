//! Masking secrets in a pasted log, so a copy can go into a ticket: AUTH
//! PLAIN/LOGIN passwords and blobs, XOAUTH2 bearer tokens, and passwords in
//! command lines and configuration dumps. The login name stays readable.
//!
//! Two layers: the conversation knows which client lines are AUTH secrets (the
//! line after a `Password:` prompt, the PLAIN blob), whatever the client's
//! framing, and remembers them to mask later copies; line patterns catch the
//! rest (`password = x`, `Bearer x`, `smtp://user:x@host`, `-u user:x`,
//! `AUTH PLAIN x`) without any state.

use super::conversation::Conversation;
use super::detect::Dispatcher;
use std::io::{BufRead, Write};

pub const MASK: &str = "[redacted]";

/// The redacted copy of a whole log.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut r = Redactor::new();
    super::input::for_each_str_line(text, |line, no| {
        out.push_str(&r.line(line, no));
        out.push('\n');
    });
    out
}

/// Streams the redacted copy of `reader` into `writer`.
pub fn redact_reader<R: BufRead, W: Write>(reader: R, mut writer: W) -> std::io::Result<()> {
    let mut r = Redactor::new();
    let mut err = None;
    super::input::for_each_reader_line(reader, |line, no| {
        if err.is_none() {
            if let Err(e) = writeln!(writer, "{}", r.line(line, no)) {
                err = Some(e);
            }
        }
    })?;
    match err {
        Some(e) => Err(e),
        None => writer.flush(),
    }
}

/// Follows the conversation line by line to know which lines are secrets.
struct Redactor {
    d: Dispatcher,
    c: Conversation,
}

impl Redactor {
    fn new() -> Redactor {
        Redactor {
            d: Dispatcher::new(None),
            c: Conversation::new(),
        }
    }

    fn line(&mut self, line: &str, no: usize) -> String {
        self.d.line(line, no, &mut self.c);
        let mut s = line.to_string();
        for secret in &self.c.secrets {
            if s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), MASK);
            }
        }
        redact_line(&s).into_owned()
    }
}

/// Pattern-based masking of one line (no conversation needed).
pub fn redact_line(line: &str) -> std::borrow::Cow<'_, str> {
    let lower = line.to_ascii_lowercase();
    let triggers = [
        "pass",
        "pwd",
        "bearer",
        "auth plain",
        "auth xoauth2",
        "eyj",
        "://",
        "-u ",
        "--user",
        "securestring",
        "login(",
    ];
    if !triggers.iter().any(|t| lower.contains(t)) && !line.contains("eyJ") {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut s = line.to_string();
    // Configuration files without `=` (msmtprc, .netrc): `password S3cret!`.
    for key in ["password ", "passwd ", "pass "] {
        let lead = s.trim_start();
        if find_ci(lead, key) == Some(0) && !lead[key.len()..].trim_start().starts_with(['=', ':']) {
            s = mask_after(&s, key);
        }
    }
    for key in ["passwordeval", "password_cmd", "password-cmd", "passwordcmd", "passcmd"] {
        s = mask_command(&s, key);
    }
    for key in ["password", "passwd", "pwd", "pass", "secret"] {
        s = mask_after_key(&s, key);
    }
    s = mask_after(&s, "bearer ");
    s = mask_after(&s, "auth plain ");
    s = mask_after(&s, "auth xoauth2 ");
    s = mask_after(&s, "--auth-password ");
    s = mask_after(&s, "-ap ");
    s = mask_after(&s, "securestring ");
    s = mask_after(&s, "securestring -string ");
    s = mask_userinfo(&s);
    s = mask_jwt(&s);
    s = mask_login_call(&s);
    std::borrow::Cow::Owned(s)
}

/// Masks the token after each case-insensitive `prefix`.
fn mask_after(s: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = find_ci(rest, prefix) {
        let (head, tail) = rest.split_at(i + prefix.len());
        out.push_str(head);
        let tail_trim = tail.trim_start_matches(['"', '\'']);
        let quote_len = tail.len() - tail_trim.len();
        out.push_str(&tail[..quote_len]);
        let end = tail_trim.find([' ', '\t', '"', '\'', ',', ';', ')']).unwrap_or(tail_trim.len());
        let token = &tail_trim[..end];
        if token.is_empty() || token.starts_with('-') || is_mask(token) || token.eq_ignore_ascii_case("login") {
            out.push_str(token);
        } else {
            out.push_str(MASK);
        }
        rest = &tail_trim[end..];
    }
    out.push_str(rest);
    out
}

/// `passwordeval = printf %s 'x'` (msmtp `--debug`), `password_cmd: pass show x`:
/// the value is a shell command that may hold the password itself, so all of it
/// to the end of the line is masked.
fn mask_command(s: &str, key: &str) -> String {
    let Some(i) = find_ci(s, key) else { return s.to_string() };
    let after = &s[i + key.len()..];
    if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return s.to_string();
    }
    let value = after.trim_start_matches([' ', '\t', '=', ':', '"', '\'']);
    let value_trim = value.trim_end();
    if value_trim.is_empty() || is_mask(value_trim) || value_trim.eq_ignore_ascii_case("(not set)") {
        return s.to_string();
    }
    let head = s.len() - value.len();
    format!("{}{}", &s[..head], MASK)
}

/// `password = x`, `password: x`, `"password": "x"`, `pass=x` (not `Password command failed:`).
fn mask_after_key(s: &str, key: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = find_ci(rest, key) {
        let after = &rest[i + key.len()..];
        let sep = after.trim_start_matches(['"', '\'', ' ', '\t']);
        // `smtpPassword`, `smtp_pass` count; `bypass` and `Passwords` do not.
        let word_before = i > 0 && rest.as_bytes()[i - 1].is_ascii_lowercase() && !key.starts_with('p');
        let word_after = after.starts_with(|c: char| c.is_ascii_alphabetic());
        if word_before || word_after || !(sep.starts_with('=') || sep.starts_with(": ") || sep.starts_with(':') && !sep.starts_with("://"))
        {
            out.push_str(&rest[..i + key.len()]);
            rest = after;
            continue;
        }
        let value = sep[1..].trim_start_matches([' ', '\t', '"', '\'']);
        let head_len = rest.len() - value.len();
        out.push_str(&rest[..head_len]);
        let end = value.find([' ', '\t', '"', '\'', ',', ';']).unwrap_or(value.len());
        let token = &value[..end];
        if token.is_empty() || is_mask(token) {
            out.push_str(token);
        } else {
            out.push_str(MASK);
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Values that are already masks or placeholders.
fn is_mask(t: &str) -> bool {
    t.bytes().all(|b| b == b'*')
        || t.starts_with('[')
        || t.starts_with('<')
        || t.starts_with('(')
        || t.starts_with("PROVIDED_BUT_REMOVED")
        || t == "Lyogc2VjcmV0ICov"
        || t.eq_ignore_ascii_case("null")
        || t.eq_ignore_ascii_case("none")
}

/// `scheme://user:secret@host` and `-u user:secret`.
fn mask_userinfo(s: &str) -> String {
    let mut out = s.to_string();
    for marker in ["://", "-u ", "--user "] {
        let mut from = 0;
        while let Some(i) = out[from..].find(marker).map(|i| i + from) {
            let start = i + marker.len();
            let end = out[start..]
                .find([' ', '/', '\t', '"', '\''])
                .map(|e| e + start)
                .unwrap_or(out.len());
            let cred = &out[start..end];
            let cred_end = if marker == "://" { cred.rfind('@') } else { Some(cred.len()) };
            if let (Some(colon), Some(at)) = (cred.find(':'), cred_end) {
                if colon < at && !is_mask(&cred[colon + 1..at]) && !cred[colon + 1..at].is_empty() {
                    let (a, b) = (start + colon + 1, start + at);
                    out.replace_range(a..b, MASK);
                }
            }
            from = start.min(out.len());
        }
    }
    out
}

/// JSON Web Tokens (`eyJ...` with two dots) anywhere.
fn mask_jwt(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = super::lex::find(rest, "eyJ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .unwrap_or(tail.len());
        let tok = &tail[..end];
        if tok.len() > 20 && tok.matches('.').count() >= 2 {
            out.push_str(MASK);
        } else {
            out.push_str(tok);
        }
        rest = &tail[end.max(1).min(tail.len())..];
        if end == 0 {
            out.push_str(&tail[..1.min(tail.len())]);
        }
    }
    out.push_str(rest);
    out
}

/// `server.login('user', 'secret')`: the second argument.
fn mask_login_call(s: &str) -> String {
    let Some(i) = find_ci(s, "login(") else { return s.to_string() };
    let args = &s[i + 6..];
    let Some(close) = args.find(')') else { return s.to_string() };
    let Some(comma) = args[..close].find(',') else {
        return s.to_string();
    };
    let second = args[comma + 1..close].trim();
    if second.is_empty() || is_mask(second.trim_matches(['"', '\''])) {
        return s.to_string();
    }
    format!("{}{} {}{}", &s[..i + 6], &args[..comma + 1], MASK, &args[close..])
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        .filter(|&i| hay.is_char_boundary(i) && hay.is_char_boundary(i + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        for (line, want) in [
            ("password = S3cret!", "password = [redacted]"),
            ("password = *", "password = *"),
            ("passwordeval = printf %s 'S3cret!'", "passwordeval = [redacted]"),
            ("passwordeval = (not set)", "passwordeval = (not set)"),
            ("passwordeval printf %s S3cret!", "passwordeval [redacted]"),
            ("  password_cmd: \"echo S3cret!\"", "  password_cmd: \"[redacted]"),
            ("passwordeval=gpg -d ~/.pw.gpg", "passwordeval=[redacted]"),
            (
                "DEBUG SMTP: protocolConnect login, host=h, user=u, password=<non-null>",
                "DEBUG SMTP: protocolConnect login, host=h, user=u, password=<non-null>",
            ),
            (
                "SMTP ERROR: Password command failed: 535 5.7.3",
                "SMTP ERROR: Password command failed: 535 5.7.3",
            ),
            ("C: AUTH PLAIN AHVzZXIAUzNjcmV0IQ==", "C: AUTH PLAIN [redacted]"),
            ("auth=Bearer ya29.abc", "auth=Bearer [redacted]"),
            (
                "curl -u scanner@contoso.com:S3cret! smtp://h",
                "curl -u scanner@contoso.com:[redacted] smtp://h",
            ),
            (
                "smtp://user:S3cret!@smtp.office365.com:587",
                "smtp://user:[redacted]@smtp.office365.com:587",
            ),
            (
                "s.login('scanner@contoso.com', 'S3cret!')",
                "s.login('scanner@contoso.com', [redacted])",
            ),
            ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk end", "token [redacted] end"),
            (
                "$pw = ConvertTo-SecureString 'S3cret!' -AsPlainText -Force",
                "$pw = ConvertTo-SecureString '[redacted]' -AsPlainText -Force",
            ),
            ("535 5.7.3 Authentication unsuccessful", "535 5.7.3 Authentication unsuccessful"),
        ] {
            assert_eq!(redact_line(line), want, "{}", line);
        }
    }

    #[test]
    fn conversation_secrets() {
        let log = " ~> AUTH LOGIN\n<~  334 VXNlcm5hbWU6\n ~> c2Nhbm5lckBjb250b3NvLmNvbQ==\n<~  334 UGFzc3dvcmQ6\n ~> UzNjcmV0IQ==\n<~* 535 5.7.3 x\nlater: UzNjcmV0IQ== S3cret!\n";
        let out = redact(log);
        assert!(!out.contains("UzNjcmV0IQ==") && !out.contains("S3cret!"), "{}", out);
        assert!(out.contains("c2Nhbm5lckBjb250b3NvLmNvbQ=="), "{}", out);
        let raw = "send: 'AUTH PLAIN AHNjYW5uZXJAY29udG9zby5jb20AUzNjcmV0IQ==\\r\\n'\n";
        let out = redact(raw);
        assert!(!out.contains("AHNjYW5u"), "{}", out);
    }
}
