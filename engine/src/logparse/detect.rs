//! Format detection and dispatch: every line goes to the first parser whose
//! line shape it has, so files mixing formats (a device message and a relay
//! log, an exception and a debug trace) and transcripts embedded in other text
//! work without a global guess. Cheap prefix checks come first; lines no parser
//! claims are searched for client errors and for replies in free text.
//!
//! `--input-format` forces one parser (plus the free-text fallback), for the
//! rare line shape that two formats share.

use super::conversation::{split_reply_line, Conversation};
use super::{apps, device, dotnet, errors, lex, markers, mta, phpmailer, raw, smtplib, transcripts};
use crate::reply::{find_replies, Reply};

/// The formats recognised. `Text` is free text with replies in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Raw,
    Openssl,
    Swaks,
    Smtplib,
    Phpmailer,
    Javamail,
    Mailkit,
    Nodemailer,
    Dotnet,
    Powershell,
    Curl,
    Msmtp,
    Ssmtp,
    Postfix,
    Exim,
    OauthProxy,
    Symfony,
    Device,
    Text,
}

/// Every format with its name, in the order `--input-format` lists them.
pub const FORMATS: [(Format, &str); 19] = [
    (Format::Raw, "raw"),
    (Format::Openssl, "openssl"),
    (Format::Swaks, "swaks"),
    (Format::Smtplib, "smtplib"),
    (Format::Phpmailer, "phpmailer"),
    (Format::Javamail, "javamail"),
    (Format::Mailkit, "mailkit"),
    (Format::Nodemailer, "nodemailer"),
    (Format::Dotnet, "dotnet"),
    (Format::Powershell, "powershell"),
    (Format::Curl, "curl"),
    (Format::Msmtp, "msmtp"),
    (Format::Ssmtp, "ssmtp"),
    (Format::Postfix, "postfix"),
    (Format::Exim, "exim"),
    (Format::OauthProxy, "email-oauth2-proxy"),
    (Format::Symfony, "symfony"),
    (Format::Device, "device"),
    (Format::Text, "text"),
];

impl Format {
    pub fn name(self) -> &'static str {
        FORMATS.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or("text")
    }

    pub fn from_name(name: &str) -> Option<Format> {
        let n = name.to_ascii_lowercase();
        FORMATS.iter().find(|(_, s)| *s == n).map(|(f, _)| *f)
    }
}

/// Per-format state and line counts.
#[derive(Debug, Default)]
pub struct Dispatcher {
    pub forced: Option<Format>,
    /// Lines per format, indexed by `Format as usize` (a lookup per line, not a search).
    counts: [usize; FORMATS.len()],
    /// The order formats were first seen in, for ties.
    first_seen: [usize; FORMATS.len()],
    seen: usize,
    last: Option<Format>,
    javamail: bool,
    php: phpmailer::PhpState,
    py: smtplib::SmtplibState,
    dotnet: dotnet::DotnetState,
    apps: apps::AppState,
}

impl Dispatcher {
    pub fn new(forced: Option<Format>) -> Dispatcher {
        Dispatcher {
            forced,
            ..Dispatcher::default()
        }
    }

    /// Formats seen, most lines first (ties: first seen).
    pub fn formats(&self) -> Vec<Format> {
        let mut v: Vec<Format> = FORMATS.iter().map(|(f, _)| *f).filter(|f| self.counts[*f as usize] > 0).collect();
        v.sort_by_key(|f| (std::cmp::Reverse(self.counts[*f as usize]), self.first_seen[*f as usize]));
        v
    }

    fn count(&mut self, f: Format) {
        self.last = Some(f);
        let n = &mut self.counts[f as usize];
        if *n == 0 {
            self.first_seen[f as usize] = self.seen;
            self.seen += 1;
        }
        *n += 1;
    }

    /// Whether a line of `f` was seen.
    fn seen(&self, f: Format) -> bool {
        self.counts[f as usize] > 0
    }

    pub fn finish(&mut self, c: &mut Conversation) {
        dotnet::flush(c, &mut self.dotnet);
        c.finish_all();
    }

    /// Parses one line.
    pub fn line(&mut self, line: &str, no: usize, c: &mut Conversation) {
        if self.dotnet.open() && dotnet::continue_message(line, c, &mut self.dotnet) {
            return;
        }
        if self.stack_frame(line, c) {
            return;
        }
        let found = match self.forced {
            Some(f) => self.forced_line(f, line, no, c),
            None => self.any_line(line, no, c),
        };
        match found {
            Some(f) => {
                if f == Format::Javamail {
                    self.javamail = true;
                }
                self.count(f)
            }
            None => {
                self.php = phpmailer::PhpState::None;
                if let Some(f) = free_text(line, no, c) {
                    self.count(f);
                }
            }
        }
    }

    /// `\tat com.sun.mail...(SMTPTransport.java:947)`: a stack frame says nothing
    /// about SMTP, except .NET's, which names the failing command.
    /// It is not counted: it belongs to the exception above it.
    fn stack_frame(&mut self, line: &str, c: &mut Conversation) -> bool {
        let t = &line[line.bytes().take_while(|b| *b == b' ' || *b == b'\t').count()..];
        if !(t.starts_with("at ") && t.len() < line.len() && t.ends_with(')')) || self.forced.is_some() {
            return false;
        }
        if t.starts_with("at System.Net.") {
            dotnet::parse(line, 0, c, &mut self.dotnet, false);
        }
        true
    }

    fn any_line(&mut self, line: &str, no: usize, c: &mut Conversation) -> Option<Format> {
        let first = *line.as_bytes().first()?;
        // `last` is always a format seen, so counting is the whole test.
        let known = |f| self.seen(f);
        // Line-start markers first: they are cheap and unambiguous.
        let by_start = match first {
            b'<' | b' ' | b'*' | b'=' if line.len() >= 4 => transcripts::swaks(line, no, c, known(Format::Swaks)),
            _ => None,
        };
        if by_start.is_some() {
            return by_start;
        }
        if first == b' ' && phpmailer::is_continuation(line) && self.php != phpmailer::PhpState::None {
            return phpmailer::parse(line, None, no, c, &mut self.php);
        }
        let r = match first {
            b'<' | b'>' | b'*' | b'{' | b'}' | b'c' => transcripts::curl(line, no, c, known(Format::Curl)),
            b'[' => transcripts::ssmtp(line, no, c),
            b'D' => raw::javamail_debug(line, no, c),
            b' ' => transcripts::exim_v(line, no, c, known(Format::Exim)),
            _ => None,
        };
        if r.is_some() {
            return r;
        }
        // curl's progress meter (right-aligned numbers) may have the first `*` line glued to it.
        if (line.starts_with("  ") || line.starts_with("100 ")) && line.contains("--:--:--") {
            if let Some(f) = transcripts::curl(line, no, c, true) {
                return Some(f);
            }
        }
        let whole = lex::strip_outer_prefix(line);
        let t = whole.trim_end();
        if t.is_empty() {
            return None;
        }
        // Markers inside the line (after timestamps and tags).
        if let Some(f) = self.marked(line, whole, no, c) {
            return Some(f);
        }
        if t.as_bytes()[0].is_ascii_digit() || raw::is_command(t) || c.expects_auth_data() || c.in_data() {
            let carried = c.expects_auth_data() || c.in_data();
            if let Some(f) = raw::protocol_line(t, no, c, self.javamail) {
                // Message content and AUTH data lines belong to the format around them.
                return Some(if carried { self.last.unwrap_or(f) } else { f });
            }
        }
        if t.starts_with("\tat ") || t.starts_with("at ") && self.javamail {
            return Some(Format::Javamail);
        }
        raw::openssl(t, no, c)
            .or_else(|| device::remark(t, no, c))
            .or_else(|| apps::msmtp_remark(t, no, c))
    }

    /// Formats recognised by a marker after the outer prefix.
    /// `whole`: the line without its outer prefix.
    fn marked(&mut self, line: &str, whole: &str, no: usize, c: &mut Conversation) -> Option<Format> {
        let t = whole.trim_end();
        // PHPMailer's markers usually open the message; elsewhere `markers` finds them.
        let php_start = matches!(t.as_bytes()[0], b'S' | b'C' | b'A' | b'M')
            && ["SERVER -", "CLIENT -", "SMTP ", "Connection: ", "Auth method", "Mailer Error: "]
                .iter()
                .any(|p| t.starts_with(p));
        if php_start {
            if let Some(f) = phpmailer::parse(line, Some(whole), no, c, &mut self.php) {
                return Some(f);
            }
        }
        let r = match t.as_bytes()[0] {
            b's' | b'r' | b'c' | b'd' => smtplib::parse(t, no, c, &mut self.py),
            b'S' | b'C' => transcripts::server_client(line, whole, no, c),
            b'<' | b'-' => transcripts::msmtp_debug(t, no, c),
            b'[' => transcripts::ssmtp(t, no, c),
            _ => None,
        };
        if r.is_some() {
            return r;
        }
        let m = markers::scan(line);
        if m.has(markers::PHPMAILER) && !php_start {
            if let Some(f) = phpmailer::parse(line, Some(whole), no, c, &mut self.php) {
                return Some(f);
            }
        }
        if m.has(markers::PROXY) {
            if let Some(f) = transcripts::msmtp_debug(t, no, c) {
                return Some(f);
            }
        }
        if m.has(markers::POSTFIX) {
            return mta::postfix(t, no, c);
        }
        if m.has(markers::MSMTP_LOG) {
            if let Some(f) = mta::msmtp_log(t, no, c) {
                return Some(f);
            }
        }
        if m.has(markers::MSMTP_SSMTP) {
            let start = super::lex::find(t, "msmtp: ")
                .or_else(|| super::lex::find(t, "ssmtp: "))
                .or_else(|| super::lex::find(t, "sSMTP["))
                .unwrap_or(0);
            if let Some(f) = apps::msmtp_ssmtp(&t[start..], no, c, &mut self.apps) {
                return Some(f);
            }
        }
        if m.has(markers::SMTPC) {
            return device::smtpc(t, no, c);
        }
        if let Some(f) = dotnet::parse(line, no, c, &mut self.dotnet, m.has(markers::DOTNET)) {
            return Some(f);
        }
        if m.has(markers::EXCEPTION) {
            if let Some(f) = apps::exception(t, no, c) {
                return Some(f);
            }
        }
        if let Some(f) = apps::nodemailer(t, no, c) {
            return Some(f);
        }
        if m.has(markers::EXIM) {
            return mta::exim(t, no, c);
        }
        None
    }

    fn forced_line(&mut self, f: Format, line: &str, no: usize, c: &mut Conversation) -> Option<Format> {
        let whole = lex::strip_outer_prefix(line);
        let t = whole.trim_end();
        let got = match f {
            Format::Swaks => transcripts::swaks(line, no, c, true),
            Format::Curl => transcripts::curl(line, no, c, true),
            Format::Msmtp => transcripts::msmtp_debug(t, no, c)
                .or_else(|| mta::msmtp_log(t, no, c))
                .or_else(|| apps::msmtp_ssmtp(t, no, c, &mut self.apps)),
            Format::OauthProxy => transcripts::msmtp_debug(t, no, c),
            Format::Ssmtp => transcripts::ssmtp(t, no, c).or_else(|| apps::msmtp_ssmtp(t, no, c, &mut self.apps)),
            Format::Exim => transcripts::exim_v(line, no, c, true).or_else(|| mta::exim(t, no, c)),
            Format::Postfix => mta::postfix(t, no, c),
            Format::Phpmailer => phpmailer::parse(line, Some(whole), no, c, &mut self.php),
            Format::Smtplib => smtplib::parse(t, no, c, &mut self.py).or_else(|| apps::exception(t, no, c)),
            Format::Mailkit | Format::Nodemailer => transcripts::server_client(line, whole, no, c)
                .or_else(|| apps::nodemailer(t, no, c))
                .or_else(|| apps::exception(t, no, c)),
            Format::Dotnet | Format::Powershell => dotnet::parse(line, no, c, &mut self.dotnet, true),
            Format::Javamail => raw::javamail_debug(line, no, c)
                .or_else(|| apps::exception(t, no, c))
                .or_else(|| raw::protocol_line(t, no, c, true)),
            Format::Raw | Format::Openssl => raw::protocol_line(t, no, c, false).or_else(|| raw::openssl(t, no, c)),
            Format::Symfony => apps::exception(t, no, c),
            Format::Device => device::smtpc(t, no, c)
                .or_else(|| transcripts::server_client(line, whole, no, c))
                .or_else(|| device::remark(t, no, c)),
            Format::Text => None,
        };
        got.map(|_| f)
    }
}

/// A reply needs `[2-5]dd` and a separator, or an enhanced code `d.d`: a cheap
/// look before the reply finder.
fn might_hold_reply(b: &[u8]) -> bool {
    let n = b.len();
    if n >= 3 && b[n - 3..].iter().all(u8::is_ascii_digit) {
        return true;
    }
    // Offsets before the last three, holding a byte in `2..=5`.
    let starts = &b[..n.saturating_sub(3)];
    let mut from = 0;
    while let Some(i) = crate::reply::next_code_digit(starts, from) {
        from = i + 1;
        let c = b[i];
        if i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
            continue;
        }
        let (x, y, z) = (b[i + 1], b[i + 2], b[i + 3]);
        if x.is_ascii_digit() && y.is_ascii_digit() && matches!(z, b' ' | b'-' | b'\t' | b',' | b')' | b']') {
            return true;
        }
        if c != b'3' && x == b'.' && y.is_ascii_digit() {
            return true;
        }
    }
    false
}

/// Lines no format claimed: client errors, then replies in free text.
fn free_text(line: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let t = lex::trim(line);
    if t.len() < 3 {
        return None;
    }
    if let Some(kind) = errors::kind_of(t) {
        let replies = find_replies(t, false);
        if replies.is_empty() {
            c.client_error(kind, t, no);
            return Some(Format::Text);
        }
    }
    if !might_hold_reply(t.as_bytes()) {
        return None;
    }
    let replies = find_replies(t, false);
    if replies.is_empty() {
        return None;
    }
    let nests_auth = replies.iter().any(|r| r.nested && r.code == Some(535));
    for r in replies {
        let stage = if r.nested && r.code == Some(535) {
            Some(crate::kb::raw::Stage::Auth)
        } else if nests_auth {
            Some(crate::kb::raw::Stage::MailFrom)
        } else {
            None
        };
        // A whole reply line continues a multi-line reply; anything else is one reply.
        if stage.is_none() && split_reply_line(t).is_some() {
            c.server_line(t, no);
            break;
        }
        c.reply(Reply { line: no, ..r }, stage, true);
    }
    Some(Format::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatcher counts lines in an array indexed by `Format as usize`.
    #[test]
    fn formats_are_listed_in_discriminant_order() {
        for (i, (f, name)) in FORMATS.iter().enumerate() {
            assert_eq!(*f as usize, i, "{}", name);
        }
    }

    #[test]
    fn formats_most_lines_first_ties_first_seen() {
        let mut d = Dispatcher::new(None);
        for f in [
            Format::Postfix,
            Format::Swaks,
            Format::Swaks,
            Format::Curl,
            Format::Postfix,
            Format::Text,
        ] {
            d.count(f);
        }
        assert_eq!(d.formats(), vec![Format::Postfix, Format::Swaks, Format::Curl, Format::Text]);
    }
}
