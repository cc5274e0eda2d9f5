//! .NET `System.Net.Mail.SmtpException` and PowerShell `Send-MailMessage` /
//! `Exception calling "Send"` errors, in English or translated.
//!
//! These never show the protocol: the message is `<status sentence> The server
//! response was: <enhanced> <text>` with the three-digit code stripped, and for
//! an AUTH failure Microsoft 365 nests the real cause in the MAIL FROM reply
//! (`5.7.57 ... Error: 535 5.7.139 ...`): the outer reply is at MAIL FROM and
//! the inner one is the AUTH failure. PowerShell's console wraps long messages
//! at the window width, mid-word, so the message is gathered from its lines
//! until the `At line:` / `+ ` / stack trace that follows it.

use super::conversation::Conversation;
use super::detect::Format;
use super::errors::kind_of;
use super::lex::host_port;
use crate::kb::raw::Stage;
use crate::reply::find_replies;

/// Where a message starts (English and the translations seen in pastes).
const STARTS: [&str; 8] = [
    "SmtpException:",
    "SmtpFailedRecipientException:",
    "SmtpFailedRecipientsException:",
    "Send-MailMessage :",
    "Send-MailMessage:",
    "Exception calling \"Send\"",
    "Ausnahme beim Aufrufen von \"Send\"",
    "Exception lors de l'appel de « Send »",
];

static STARTS_SEARCH: super::lex::Needles = super::lex::Needles::new(&STARTS);

/// The message being gathered.
#[derive(Debug, Default)]
pub struct DotnetState {
    msg: String,
    line: usize,
    first_len: usize,
    prev_len: usize,
    powershell: bool,
}

impl DotnetState {
    pub fn open(&self) -> bool {
        !self.msg.is_empty()
    }
}

/// Starts a message, or handles PowerShell's other error lines.
/// `marked`: the line may hold a message start (see `markers`).
pub fn parse(line: &str, no: usize, c: &mut Conversation, st: &mut DotnetState, marked: bool) -> Option<Format> {
    // Unmarked lines go on only when they start with one of the bytes below
    // (checked before the Unicode-aware `trim`, which costs more than the rest).
    if !marked {
        let first = line.bytes().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
        if first.is_some_and(|b| b.is_ascii() && !matches!(b, b'+' | b'S' | b'A' | b'a' | b'-')) {
            return None;
        }
    }
    let t = line.trim();
    if let Some((i, _)) = Some(()).filter(|_| marked).and_then(|_| STARTS_SEARCH.find_word(t)) {
        flush(c, st);
        st.powershell = !t[i..].starts_with("Smtp") || t.contains("Send-MailMessage");
        st.msg = t[i..].to_string();
        st.line = no;
        st.first_len = line.trim_end().len();
        st.prev_len = st.first_len;
        return Some(fmt(st));
    }
    // The lines below all start with one of these bytes: most lines stop here.
    if !matches!(t.as_bytes().first(), Some(b'+' | b'S' | b'A' | b'a' | b'-')) {
        return None;
    }
    if t.starts_with("+ Send-MailMessage") || t.starts_with("Send-MailMessage ") {
        command_line(t, no, c);
        return Some(Format::Powershell);
    }
    if t.starts_with("+ CategoryInfo") || t.starts_with("+ FullyQualifiedErrorId") || t.starts_with("At line:") || t.starts_with("+ ~") {
        return Some(Format::Powershell);
    }
    if let Some(frame) = t.strip_prefix("at System.Net.Mail.") {
        // The command class that threw names the stage the reply answered.
        let stage = [
            ("DataStopCommand", Stage::EndOfData),
            ("DataCommand", Stage::Data),
            ("MailCommand", Stage::MailFrom),
            ("RecipientCommand", Stage::RcptTo),
            ("AuthCommand", Stage::Auth),
            ("StartTlsCommand", Stage::Starttls),
            ("EHelloCommand", Stage::Ehlo),
        ]
        .into_iter()
        .find(|(class, _)| frame.starts_with(class));
        if let Some((_, s)) = stage {
            c.last_reply_stage(s);
        }
        return Some(Format::Dotnet);
    }
    if t.starts_with("at System.Net.") || t.starts_with("--- End of inner exception") {
        return Some(Format::Dotnet);
    }
    None
}

/// `Send-MailMessage -SmtpServer smtp.office365.com -Port 587 -UseSsl ...`: where it connected.
fn command_line(t: &str, no: usize, c: &mut Conversation) {
    let arg = |name: &str| {
        let lower = t.to_ascii_lowercase();
        let i = lower.find(name)?;
        t[i + name.len()..].split_whitespace().next().map(|v| v.trim_matches(['"', '\'']))
    };
    let host = arg("-smtpserver ").and_then(|h| host_port(h).map(|x| x.0));
    let port = arg("-port ").and_then(|p| p.parse().ok());
    if host.is_some() || port.is_some() {
        c.connect(host, port, no, t.trim_start_matches("+ "));
    }
}

/// A line while a message is open: more of it, or its end (returns false).
pub fn continue_message(line: &str, c: &mut Conversation, st: &mut DotnetState) -> bool {
    let t = line.trim();
    let ends = t.is_empty()
        || t.starts_with("At ")
        || t.starts_with("+ ")
        || t.starts_with("at ")
        || t.starts_with("---")
        || t.starts_with("WARNING:")
        // `At line:1 char:1` as translated (`In Zeile:1 Zeichen:1`, `Au caractère`, `En línea`, `In riga`).
        || ["char:", "Zeichen:", "caractère", "carácter", "carattere:"].iter().any(|w| t.contains(w))
        || st.msg.len() > 8000;
    if ends {
        flush(c, st);
        return false;
    }
    // A wrapped line is exactly as wide as the first one: glue it back mid-word.
    if st.prev_len != st.first_len || st.first_len < 60 {
        st.msg.push(' ');
        st.msg.push_str(t);
    } else {
        st.msg.push_str(line.trim_end());
    }
    st.prev_len = line.trim_end().len();
    true
}

fn fmt(st: &DotnetState) -> Format {
    if st.powershell {
        Format::Powershell
    } else {
        Format::Dotnet
    }
}

/// Turns the gathered message into replies (outer at MAIL FROM when it nests
/// an AUTH failure) or a client error.
pub fn flush(c: &mut Conversation, st: &mut DotnetState) {
    if st.msg.is_empty() {
        return;
    }
    let msg = std::mem::take(&mut st.msg);
    let msg = msg.trim_end_matches('"');
    let replies = find_replies(msg, false);
    let nests_auth = replies.iter().any(|r| r.nested && r.code == Some(535));
    if replies.is_empty() {
        let kind = kind_of(msg).unwrap_or("client-error");
        c.client_error(kind, msg, st.line);
        return;
    }
    for r in replies {
        let stage = if r.nested && r.code == Some(535) {
            Some(Stage::Auth)
        } else if nests_auth {
            Some(Stage::MailFrom)
        } else {
            None
        };
        let r = crate::reply::Reply { line: st.line, ..r };
        c.reply(r, stage, true);
    }
    if nests_auth {
        c.auth_failed();
        c.facts.continued_after_auth_failure = Some(true);
    }
}
