//! The fake server's side of one SMTP connection, answering as Exchange
//! Online does: banner, EHLO without AUTH before STARTTLS and `AUTH LOGIN
//! XOAUTH2` after, AUTH LOGIN/PLAIN against the scenario's credentials, the
//! envelope, DATA and QUIT. The scenario decides every reply.
//!
//! The fake is bounded too: lines over 4 KiB, messages over 1 MiB and endless
//! scenarios past 64 MiB end the connection.

use crate::scenario::{Behaviour, Kind, Scenario, Stage, TAG};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Conn = BufReader<Box<dyn Io>>;

const MAX_LINE: usize = 4096;
const MAX_MESSAGE: usize = 1 << 20;
const MAX_ENDLESS: usize = 64 << 20;

/// Reads one line without its CRLF; `None` at end of stream or past `MAX_LINE`.
async fn line(c: &mut Conn) -> Option<String> {
    let mut buf = Vec::new();
    let n = tokio::io::AsyncReadExt::take(&mut *c, MAX_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await
        .ok()?;
    if n == 0 || !buf.ends_with(b"\n") {
        return None;
    }
    Some(String::from_utf8_lossy(&buf).trim_end_matches(['\r', '\n']).to_string())
}

async fn say(c: &mut Conn, text: &str) -> Option<()> {
    c.write_all(format!("{}\r\n", text).as_bytes()).await.ok()?;
    c.flush().await.ok()
}

/// Sends a (possibly multi-line) reply given with `\n` between lines, in one write.
async fn reply(c: &mut Conn, text: &str) -> Option<()> {
    say(c, &text.replace('\n', "\r\n")).await
}

fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default()
}

fn address_in(arg: &str) -> String {
    let start = arg.find('<').map(|i| i + 1).unwrap_or(0);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg.get(start..end.max(start)).unwrap_or("").to_string()
}

/// Serves one connection.
pub async fn serve(io: Box<dyn Io>, sc: Arc<Scenario>, tls: tokio_rustls::TlsAcceptor) {
    let mut c: Conn = BufReader::new(io);
    match sc.behaviour {
        Behaviour::Silent => {
            // Say nothing; wait for the client to give up.
            let mut sink = [0u8; 512];
            while tokio::io::AsyncReadExt::read(&mut c, &mut sink).await.is_ok_and(|n| n > 0) {}
            return;
        }
        Behaviour::EndlessLine => {
            let chunk = vec![b'x'; 8192];
            let _ = c.write_all(b"220 ").await;
            let mut sent = 0;
            while sent < MAX_ENDLESS && c.write_all(&chunk).await.is_ok() {
                sent += chunk.len();
            }
            return;
        }
        Behaviour::EndlessMultiLine => {
            let mut sent = 0;
            let l = format!("220-{} more and more\r\n", sc.host());
            while sent < MAX_ENDLESS && c.write_all(l.as_bytes()).await.is_ok() {
                sent += l.len();
            }
            return;
        }
        Behaviour::Normal | Behaviour::Closed => {}
    }
    if sc.implicit_tls {
        let Ok(s) = tls.accept(c.into_inner()).await else { return };
        c = BufReader::new(Box::new(s));
    }
    let default_banner = format!(
        "220 {} Microsoft ESMTP MAIL Service ready at Thu, 1 Oct 2026 10:00:00 +0000 {}",
        sc.host(),
        TAG
    );
    let banner = sc.replies.get(&Stage::Banner).cloned().unwrap_or(default_banner);
    if reply(&mut c, &banner).await.is_none() || !banner.starts_with("220") {
        return;
    }
    let mut tls_up = sc.implicit_tls;
    let mut authed = false;
    let mut mail_from: Option<String> = None;
    let mut rcpt_count = 0usize;
    while let Some(cmd) = line(&mut c).await {
        let upper = cmd.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("").to_string();
        let arg = cmd.get(verb.len()..).unwrap_or("").trim().to_string();
        let out = match verb.as_str() {
            "EHLO" | "HELO" => {
                if let Some(r) = sc.replies.get(&Stage::Ehlo) {
                    r.clone()
                } else {
                    let mut lines = vec![format!("250-{} Hello [127.0.0.1]", sc.host()), "250-SIZE 157286400".into()];
                    lines.extend(["250-PIPELINING", "250-DSN", "250-ENHANCEDSTATUSCODES"].map(String::from));
                    if !tls_up && sc.offer_starttls {
                        lines.push("250-STARTTLS".into());
                    }
                    if tls_up && !sc.auth_mechanisms.is_empty() {
                        lines.push(format!("250-AUTH {}", sc.auth_mechanisms));
                    }
                    lines.extend(["250-8BITMIME", "250-BINARYMIME", "250-CHUNKING", "250 SMTPUTF8"].map(String::from));
                    lines.join("\n")
                }
            }
            "STARTTLS" if !tls_up && sc.offer_starttls => {
                let r = sc
                    .replies
                    .get(&Stage::Starttls)
                    .cloned()
                    .unwrap_or("220 2.0.0 SMTP server ready".into());
                if reply(&mut c, &r).await.is_none() || !r.starts_with("220") {
                    continue;
                }
                let Ok(s) = tls.accept(c.into_inner()).await else { return };
                c = BufReader::new(Box::new(s));
                tls_up = true;
                (authed, mail_from, rcpt_count) = (false, None, 0);
                continue;
            }
            "AUTH" => match auth(&mut c, &sc, &arg, tls_up).await {
                Some((ok, r)) => {
                    authed = ok;
                    r
                }
                None => return,
            },
            "MAIL" => {
                let from = address_in(&arg);
                let r = if let Some(r) = sc.replies.get(&Stage::MailFrom) {
                    r.clone()
                } else if sc.kind == Kind::Submission && !tls_up {
                    format!("451 5.7.3 STARTTLS is required to send mail {}", TAG)
                } else if sc.kind == Kind::Submission && !authed {
                    format!("530 5.7.57 Client not authenticated to send mail. {}", TAG)
                } else if sc.kind == Kind::Submission && !from.eq_ignore_ascii_case(&sc.user) {
                    "550 5.7.60 SMTP; Client does not have permissions to send as this sender".into()
                } else {
                    "250 2.1.0 Sender OK".into()
                };
                if r.starts_with('2') {
                    mail_from = Some(from);
                    rcpt_count = 0;
                }
                r
            }
            "RCPT" if mail_from.is_none() => "503 5.5.1 Bad sequence of commands".into(),
            "RCPT" => {
                let to = address_in(&arg);
                let external = !sc.accepted_domains.contains(&domain_of(&to));
                let r = match (sc.replies.get(&Stage::RcptTo), sc.replies.get(&Stage::RcptExternal)) {
                    (Some(r), _) => r.clone(),
                    (None, Some(r)) if external => format!("{} {}", r, TAG),
                    _ => "250 2.1.5 Recipient OK".into(),
                };
                if r.starts_with('2') {
                    rcpt_count += 1;
                }
                r
            }
            // Exchange Online refuses DATA without an accepted sender and recipient.
            "DATA" if mail_from.is_none() || rcpt_count == 0 => "503 5.5.1 Bad sequence of commands".into(),
            "DATA" => {
                if reply(&mut c, "354 Start mail input; end with <CRLF>.<CRLF>").await.is_none() {
                    return;
                }
                let mut size = 0;
                loop {
                    let Some(l) = line(&mut c).await else { return };
                    size += l.len() + 2;
                    if l == "." || size > MAX_MESSAGE {
                        break;
                    }
                }
                sc.replies
                    .get(&Stage::EndOfData)
                    .cloned()
                    .unwrap_or(format!("250 2.0.0 OK <FAKE@{}> [Hostname={}]", sc.host(), sc.host()))
            }
            "RSET" => {
                mail_from = None;
                rcpt_count = 0;
                "250 2.0.0 Resetting".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "QUIT" => {
                let _ = reply(&mut c, "221 2.0.0 Service closing transmission channel").await;
                return;
            }
            _ => "500 5.3.3 Unrecognized command".into(),
        };
        if reply(&mut c, &out).await.is_none() {
            return;
        }
    }
}

/// AUTH LOGIN / PLAIN. Returns (signed in, final reply); `None` when the client left.
async fn auth(c: &mut Conn, sc: &Scenario, arg: &str, tls_up: bool) -> Option<(bool, String)> {
    let mech = arg.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    let offered = sc.auth_mechanisms.split_whitespace().any(|m| m.eq_ignore_ascii_case(&mech));
    if !tls_up || !offered {
        return Some((false, format!("504 5.7.4 Unrecognized authentication type {}", TAG)));
    }
    let decode = |s: &str| String::from_utf8_lossy(&B64.decode(s.trim()).unwrap_or_default()).into_owned();
    let (user, pass) = match mech.as_str() {
        "LOGIN" => {
            // `AUTH LOGIN <base64 user>` carries the user name with the command (RFC 4954 initial response).
            let user = match arg.split_whitespace().nth(1) {
                Some(initial) => decode(initial),
                None => {
                    reply(c, "334 VXNlcm5hbWU6").await?;
                    decode(&line(c).await?)
                }
            };
            reply(c, "334 UGFzc3dvcmQ6").await?;
            (user, decode(&line(c).await?))
        }
        "PLAIN" => {
            let blob = match arg.split_whitespace().nth(1) {
                Some(b) => b.to_string(),
                None => {
                    reply(c, "334 ").await?;
                    line(c).await?
                }
            };
            let parts: Vec<String> = decode(&blob).split('\0').map(str::to_string).collect();
            (parts.get(1).cloned().unwrap_or_default(), parts.get(2).cloned().unwrap_or_default())
        }
        _ => return Some((false, format!("504 5.7.4 Unrecognized authentication type {}", TAG))),
    };
    if let Some(r) = sc.replies.get(&Stage::Auth) {
        return Some((r.starts_with("235"), r.clone()));
    }
    if user.eq_ignore_ascii_case(&sc.user) && pass == sc.password {
        Some((true, "235 2.7.0 Authentication successful".into()))
    } else {
        Some((false, format!("535 5.7.3 Authentication unsuccessful {}", TAG)))
    }
}
