//! Multifunction printers and scanners: syslog lines (`SMTPC: received error
//! code. [550]`), job and event logs, and panel messages.
//!
//! Devices rarely log the SMTP dialogue. What they show is a reply code, a
//! remark (`Connecting to host:587`, `TLS established (TLSv1.2)`) or a vendor
//! code (`#752`, `016-764`). Vendor codes are passed on as `device-code`
//! client errors with the whole line as text: what a code means is KB data,
//! and most are unconfirmed (research/log-formats.md §2.2), so nothing here
//! interprets them.

use super::conversation::Conversation;
use super::detect::Format;
use super::lex::host_port;
use crate::reply::Reply;

/// `SMTPC: received error code. [550] (8000)  ERR:` and friends.
pub fn smtpc(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let i = super::lex::find(t, "SMTPC: ")?;
    let msg = &t[i + 7..];
    if let Some(code) = msg
        .split_once('[')
        .and_then(|(_, r)| r.split(']').next())
        .and_then(|n| n.parse::<u16>().ok())
    {
        if (200..600).contains(&code) && msg.contains("code") {
            let r = Reply {
                code: Some(code),
                enhanced: None,
                text: String::new(),
                line: no,
                nested: false,
            };
            c.reply(r, None, true);
            return Some(Format::Device);
        }
    }
    match super::errors::kind_of(msg) {
        Some(k) => c.client_error(k, t, no),
        None => c.event(no, msg),
    }
    Some(Format::Device)
}

/// Remarks devices and apps write around the dialogue.
pub fn remark(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    // The remarks start with `C`, `T` or `S`; a vendor code may be anywhere.
    let remark_start = matches!(t.as_bytes().first(), Some(b'C' | b'T' | b'S'));
    if let Some(r) = remark_start
        .then(|| t.strip_prefix("Connecting to ").or_else(|| t.strip_prefix("Connect to ")))
        .flatten()
    {
        let (h, p) = host_port(r.split_whitespace().next().unwrap_or(""))?;
        c.connect(Some(h), p, no, t);
    } else if remark_start
        && (t.starts_with("TLS established") || t.starts_with("TLS handshake completed") || t.starts_with("SSL/TLS connection established"))
    {
        let version = t.split(['(', ')', ' ']).find(|w| w.starts_with("TLSv") || w.starts_with("TLS1"));
        c.tls_started(version, no, t);
    } else if vendor_code(t).is_some() {
        c.client_error("device-code", t, no);
    } else {
        return None;
    }
    Some(Format::Device)
}

/// A vendor error code on a line about sending mail: `#752` (Canon style),
/// `016-764` (Xerox style), `Error code: 1102` / `error 0x0b03`.
fn vendor_code(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    // `#752`, `016-764`, `code`/`Code`, `0x0b03`: without one of these, no vendor
    // code. Two SIMD searches, from bytes rarer than the `o` of `code` (the
    // `code` test ignores case, as the key search below does).
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let candidate = memchr::memchr3_iter(b'-', b'#', b'x', b).any(|i| match b[i] {
        b'-' => i > 0 && digit_at(i - 1) && digit_at(i + 1),
        b'#' => digit_at(i + 1) && i + 2 < b.len(),
        _ => i > 0 && b[i - 1] == b'0' && i + 1 < b.len(),
    }) || memchr::memchr2_iter(b'c', b'C', b).any(|i| b.get(i + 1..i + 4).is_some_and(|w| w.eq_ignore_ascii_case(b"ode")));
    if !candidate {
        return None;
    }
    // Whether the line is about sending mail: one case-insensitive pass for
    // all the words (what `t.to_ascii_lowercase().contains(w)` says, per word).
    static ABOUT_MAIL: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    let words = ["mail", "smtp", "send", "scan", "transmission"];
    let about_mail = match ABOUT_MAIL.get_or_init(|| aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(words).ok()) {
        Some(ac) => ac.is_match(b),
        None => words.iter().any(|w| find_ci(b, w).is_some()),
    };
    if !about_mail {
        return None;
    }
    for (i, ch) in t.char_indices() {
        let rest = &b[i..];
        let hash =
            ch == '#' && rest.len() >= 4 && rest[1..4].iter().all(u8::is_ascii_digit) && rest.get(4).is_none_or(|x| !x.is_ascii_digit());
        let xerox = rest.len() >= 7
            && rest[..3].iter().all(u8::is_ascii_digit)
            && rest[3] == b'-'
            && rest[4..7].iter().all(u8::is_ascii_digit)
            && rest.get(7).is_none_or(|x| !x.is_ascii_alphanumeric())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'-');
        if hash || xerox {
            let len = if hash { 4 } else { 7 };
            return Some(&t[i..i + len]);
        }
    }
    for key in ["error code", "error 0x", "err code", "code:"] {
        if let Some(i) = find_ci(b, key) {
            let tail = t[i + key.len()..].trim_start_matches([' ', ':', '=']);
            let end = tail.find(|ch: char| !ch.is_ascii_alphanumeric()).unwrap_or(tail.len());
            if end > 0 && tail[..end].bytes().any(|x| x.is_ascii_digit()) {
                return Some(&t[i..i + key.len()]);
            }
        }
    }
    None
}

/// Where `needle` (lower-case ASCII) first occurs in `hay`, ignoring ASCII
/// case: what `hay.to_ascii_lowercase().find(needle)` gives, without the copy.
fn find_ci(hay: &[u8], needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    let first = *n.first()?;
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), hay)
        .find(|&i| hay.get(i..i + n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_codes() {
        assert!(vendor_code("2026/11/29 10:15 Scan to E-mail  NG  #752").is_some());
        assert!(vendor_code("Send job failed: 016-764 SMTP server connection error").is_some());
        assert!(vendor_code("Error 0x0b03: authentication failed, job 4711 cancelled (scan)").is_some());
        assert!(vendor_code("Toner low #752").is_none());
        assert!(vendor_code("scan to email at 10.0.0.1-123").is_none());
        assert_eq!(find_ci(b"Scan: Error CODE: 12", "code:"), Some(12));
        assert_eq!(find_ci(b"x", "xy"), None);
    }
}
