//! Mail servers relaying to Microsoft 365, one line per delivery attempt:
//! Postfix (`status=deferred (SASL authentication failed; server H said: 535
//! ...)`, `(in reply to MAIL FROM command)`, TLS lines), Exim's mainlog
//! (`login authenticator failed`, `SMTP error from remote mail server after
//! <phase>: ...`, `X=TLS1.3:...`, and its own `rejected RCPT` lines) and
//! msmtp's log file / syslog (`host=... smtpstatus=535 smtpmsg='...\n...'`).
//!
//! Each line carries its own stage, so replies are recorded whole rather than
//! paired with commands.

use super::conversation::{split_reply_line, Conversation};
use super::detect::Format;
use super::errors::kind_of;
use super::lex::{envelope_address, host_port};
use crate::kb::raw::Stage;
use crate::reply::{find_replies, Reply};

/// The first reply in `text`, recorded at `stage`.
fn record(text: &str, stage: Option<Stage>, no: usize, c: &mut Conversation, echo: bool) -> bool {
    match find_replies(text, true).into_iter().find(|r| !r.nested) {
        Some(r) => {
            c.reply(Reply { line: no, ..r }, stage, echo);
            true
        }
        None => false,
    }
}

/// `host[1.2.3.4]:587` -> host and port.
fn bracket_peer(s: &str) -> (Option<&str>, Option<u16>) {
    let host = s.split('[').next().filter(|h| !h.is_empty() && *h != "none");
    let port = super::lex::between(s, "]:").and_then(|p| p.trim_end_matches([',', ':']).parse().ok());
    (host, port)
}

/// A Postfix line, given its message after the syslog tag.
pub fn postfix(msg: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    if let Some(f) = super::transcripts::postfix_dialogue(msg, no, c) {
        return Some(f);
    }
    // Queue id prefix: `E2CFACE075: `.
    let body = match super::lex::split_once(msg, ": ") {
        Some((qid, rest)) if qid.len() >= 6 && qid.bytes().all(|b| b.is_ascii_alphanumeric()) => rest,
        _ => msg,
    };
    if let Some(i) = super::lex::find(body, "TLS connection established to ") {
        let rest = &body[i + 30..];
        let (h, p) = bracket_peer(rest.split_whitespace().next().unwrap_or(""));
        c.connect(h, p, no, body);
        c.facts.starttls_issued.get_or_insert(true);
        c.tls_started(super::lex::between(rest, ": ").and_then(|v| v.split_whitespace().next()), no, "");
    } else if let Some(r) = body.strip_prefix("from=<") {
        if let Some(a) = r.split('>').next().filter(|a| !a.is_empty()) {
            c.mail_from(a);
        }
    } else if body.starts_with("to=<") {
        delivery(body, no, c);
    } else if body.starts_with("SASL authentication failed") {
        if !record(super::lex::between(body, " said: ").unwrap_or(""), Some(Stage::Auth), no, c, false) {
            c.client_error(kind_of(body).unwrap_or("auth-failed-client"), body, no);
        }
        c.auth_failed();
    } else if let Some(r) = body.strip_prefix("warning: ") {
        if let Some((_, mechs)) = super::lex::split_once(r, "offered no supported AUTH mechanisms: ") {
            c.facts.auth_offered = Some(mechs.trim_matches('\'').split_whitespace().map(str::to_string).collect());
        }
        if let Some(k) = kind_of(r) {
            c.client_error(k, body, no);
        }
    } else if let Some(k) = kind_of(body) {
        c.client_error(k, body, no);
    }
    Some(Format::Postfix)
}

/// `to=<a>, relay=h[ip]:587, ..., status=bounced (host h[ip] said: 554 ... (in reply to end of DATA command))`.
fn delivery(body: &str, no: usize, c: &mut Conversation) {
    if let Some(a) = body.strip_prefix("to=<").and_then(|r| r.split('>').next()) {
        c.rcpt_to(a);
    }
    if let Some(relay) = super::lex::between(body, "relay=").and_then(|r| r.split(',').next()) {
        let (h, p) = bracket_peer(relay);
        if h.is_some() {
            c.peer(h, p);
        }
    }
    let Some(st) = super::lex::between(body, "status=") else { return };
    let status = st.split_whitespace().next().unwrap_or("");
    if status == "sent" {
        c.facts.data_accepted = Some(true);
    }
    let Some(reason) = super::lex::split_once(st, " (").map(|x| x.1.strip_suffix(')').unwrap_or(x.1)) else {
        return;
    };
    if let Some((_, said)) = super::lex::split_once(reason, " said: ") {
        let (text, stage) = match said.rfind(" (in reply to ") {
            Some(i) => {
                let cmd = said[i + 14..].trim_end_matches(')').trim_end_matches(" command");
                (&said[..i], phase_stage(cmd))
            }
            None if reason.starts_with("SASL authentication failed") => (said, Some(Stage::Auth)),
            None => (said, None),
        };
        record(text, stage.or(Some(Stage::Unknown)), no, c, true);
        if stage == Some(Stage::Auth) {
            c.auth_failed();
        }
    } else if status != "sent" {
        c.client_error(kind_of(reason).unwrap_or("delivery-failed"), reason, no);
    }
}

/// The stage an MTA's wording names (`MAIL FROM`, `end of DATA`, `pipelined RCPT TO:<a>`).
pub fn phase_stage(phase: &str) -> Option<Stage> {
    let p = phase.to_ascii_uppercase();
    let p = p.trim_start_matches("PIPELINED ").trim();
    Some(if p.starts_with("MAIL") {
        Stage::MailFrom
    } else if p.starts_with("RCPT") {
        Stage::RcptTo
    } else if p.contains("END OF DATA") || p.starts_with("BDAT") {
        Stage::EndOfData
    } else if p.starts_with("DATA") {
        Stage::Data
    } else if p.starts_with("EHLO") || p.starts_with("HELO") {
        Stage::Ehlo
    } else if p.starts_with("STARTTLS") {
        Stage::Starttls
    } else if p.starts_with("AUTH") {
        Stage::Auth
    } else if p.contains("INITIAL CONNECTION") || p.contains("GREETING") {
        Stage::Banner
    } else {
        return None;
    })
}

/// An Exim mainlog line (timestamp and message id already stripped or not).
pub fn exim(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    if let Some(i) = super::lex::find(t, "authenticator failed H=") {
        let rest = &t[i + 23..];
        c.peer(rest.split_whitespace().next(), None);
        record(rest, Some(Stage::Auth), no, c, true);
        c.auth_failed();
    } else if let Some(i) = super::lex::find(t, "SMTP error from remote mail server after ") {
        exim_peer(&t[..i], no, c);
        let rest = &t[i + 41..];
        // The phase may contain `: ` (`MAIL FROM:<a> SIZE=1: 530 ...`): the reply starts at the last `: NNN`.
        let at = rest
            .match_indices(": ")
            .map(|(j, _)| j)
            .find(|&j| split_reply_line(&rest[j + 2..]).is_some());
        if let Some(j) = at {
            let phase = &rest[..j];
            if let Some(a) = super::lex::find(phase, "MAIL FROM:").and_then(|k| envelope_address(&phase[k..])) {
                c.mail_from(a);
            }
            record(&rest[j + 2..], phase_stage(phase).or(Some(Stage::Unknown)), no, c, true);
        }
    } else if let Some(i) = super::lex::find(t, " rejected ") {
        let rest = &t[i + 10..];
        let (what, reason) = super::lex::split_once(rest, ": ")?;
        let stage = phase_stage(what.trim_start_matches("after "));
        let r = Reply {
            code: None,
            enhanced: None,
            text: reason.to_string(),
            line: no,
            nested: false,
        };
        c.reply(r, stage, false);
    } else if t.contains(" defer (") || t.contains("TLS error on connection") || t.contains(" H=") && kind_of(t).is_some() {
        exim_peer(t, no, c);
        c.client_error(kind_of(t).unwrap_or("delivery-failed"), t, no);
    } else {
        return None;
    }
    Some(Format::Exim)
}

/// `H=host [ip] X=TLS1.3:...` fields.
fn exim_peer(t: &str, no: usize, c: &mut Conversation) {
    if let Some(h) = super::lex::between(t, " H=").and_then(|r| r.split_whitespace().next()) {
        c.peer(Some(h.trim_end_matches(':')), None);
    }
    if let Some(x) = super::lex::between(t, " X=").and_then(|r| r.split(':').next()) {
        c.tls_started(Some(x), no, "");
    }
    if let Some(r) = super::lex::between(t, " ** ").and_then(|r| r.split_whitespace().next()) {
        c.rcpt_to(r);
    }
}

/// msmtp's log file / syslog line: `host=h tls=on auth=on user=u from=f recipients=a,b smtpstatus=535 smtpmsg='...' errormsg='...' exitcode=EX_NOPERM`.
pub fn msmtp_log(t: &str, no: usize, c: &mut Conversation) -> Option<Format> {
    let start = super::lex::find(t, "host=")?;
    let t = &t[start..];
    if !(t.contains(" exitcode=") || t.contains(" smtpstatus=") || t.contains(" errormsg=")) {
        return None;
    }
    let field = |name: &str| -> Option<&str> {
        let i = t
            .find(&format!(" {}=", name))
            .map(|i| i + 1)
            .or_else(|| t.starts_with(&format!("{}=", name)).then_some(0))?;
        let v = &t[i + name.len() + 1..];
        match v.strip_prefix('\'') {
            Some(q) => super::lex::find(q, "' ")
                .map(|e| &q[..e])
                .or_else(|| q.strip_suffix('\''))
                .or(Some(q)),
            None => v.split_whitespace().next(),
        }
    };
    let (h, p) = field("host").and_then(host_port).unwrap_or((field("host").unwrap_or(""), None));
    c.peer(Some(h).filter(|h| !h.is_empty()), p);
    if let Some(u) = field("user") {
        c.auth_user(u);
    }
    if let Some(f) = field("from") {
        c.mail_from(f);
    }
    for r in field("recipients").unwrap_or("").split(',').filter(|r| !r.is_empty()) {
        c.rcpt_to(r);
    }
    let errormsg = field("errormsg").unwrap_or("");
    let stage = if errormsg.starts_with("authentication failed") {
        Some(Stage::Auth)
    } else if errormsg.starts_with("envelope from") {
        Some(Stage::MailFrom)
    } else if errormsg.starts_with("recipient") {
        Some(Stage::RcptTo)
    } else if errormsg.contains("did not accept the mail") {
        Some(Stage::EndOfData)
    } else {
        Some(Stage::Unknown)
    };
    if let Some(msg) = field("smtpmsg") {
        // Lines joined with a literal backslash-n.
        record(&msg.replace("\\n", "\n"), stage, no, c, false);
        if stage == Some(Stage::Auth) {
            c.auth_failed();
        }
    } else if let Some(k) = kind_of(errormsg) {
        c.client_error(k, errormsg, no);
    }
    if field("exitcode") == Some("EX_OK") {
        c.facts.data_accepted = Some(true);
    }
    Some(Format::Msmtp)
}

#[cfg(test)]
mod tests {
    use crate::logparse::parse_log;

    #[test]
    fn postfix_tls_required_but_not_offered() {
        let log = "Nov 29 18:12:30 vm postfix/smtp[2104]: 4F1C2: to=<r@contoso.com>, relay=127.0.0.1[127.0.0.1]:2587, delay=0.1, \
                   status=deferred (TLS is required, but was not offered by host 127.0.0.1[127.0.0.1])\n";
        let p = parse_log(log, "t");
        assert_eq!(p.facts.client_errors[0].kind, "starttls-unavailable");
        assert_eq!(p.facts.starttls_offered, Some(false));
    }
}
