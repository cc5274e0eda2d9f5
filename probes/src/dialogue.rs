//! The SMTP conversation of one endpoint's probe, in protocol order: banner,
//! EHLO, STARTTLS and the handshake (or TLS first on implicit-TLS ports), EHLO
//! again, AUTH, MAIL FROM, RCPT TO for each recipient, DATA with `--send-test`,
//! and QUIT.
//!
//! Credentials are only ever sent inside TLS. The transcript shows `AUTH PLAIN
//! <credentials redacted>` and `<password redacted>` in place of what was sent.

use crate::reader::RawReply;
use crate::report::RcptResult;
use crate::session::{Conn, Io, Session, Stop};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::time::Duration;
use tokio::io::BufReader;

/// The enhanced status code at the start of a reply's text, if any.
fn enhanced_of(r: &RawReply) -> Option<String> {
    let first = r.line_texts().next()?;
    let tok = first.split_whitespace().next()?;
    let parts: Vec<&str> = tok.split('.').collect();
    (parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))).then(|| tok.to_string())
}

fn is_ok(r: &RawReply) -> bool {
    (200..400).contains(&r.code)
}

/// EHLO capabilities (the lines after the greeting) and the AUTH mechanisms among them.
fn capabilities(r: &RawReply) -> (Vec<String>, Vec<String>) {
    let caps: Vec<String> = r.line_texts().skip(1).map(str::to_string).collect();
    let auth = caps
        .iter()
        .filter_map(|c| {
            let u = c.to_ascii_uppercase();
            u.strip_prefix("AUTH ").or_else(|| u.strip_prefix("AUTH=")).map(str::to_string)
        })
        .flat_map(|m| m.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();
    (caps, auth)
}

/// Probes one endpoint to the end (or to the step that failed).
pub async fn run(s: &mut Session<'_>) {
    let Ok(tcp) = s.connect().await else { return };
    let io: Box<dyn Io> = Box::new(tcp);
    let mut conn = if s.rep.implicit_tls {
        match implicit_tls(s, io).await {
            Ok(c) => c,
            Err(Stop) => return,
        }
    } else {
        BufReader::new(io)
    };
    if converse(s, &mut conn).await.is_ok() {
        quit(s, &mut conn).await;
    }
}

/// Implicit TLS: a server that greets in plain text first does not speak it.
async fn implicit_tls(s: &mut Session<'_>, io: Box<dyn Io>) -> Result<Conn, Stop> {
    let started = s.begin("tls-first");
    let mut plain = BufReader::new(io);
    // A TLS server waits for the ClientHello; an SMTP server greets at once.
    let wait = s.timeout().min(Duration::from_millis(800));
    let greeted = tokio::time::timeout(wait, tokio::io::AsyncBufReadExt::fill_buf(&mut plain))
        .await
        .map(|r| r.map(|b| !b.is_empty()).unwrap_or(false))
        .unwrap_or(false);
    if greeted {
        s.rep.tls_first = Some(false);
        let text = "the server greeted in plain text where a TLS handshake was expected: it wants STARTTLS, not implicit TLS (SSL/TLS)";
        s.note("*", text);
        s.rep.client_error("tls-not-spoken", text);
        if let Ok(r) = s.read(&mut plain, "tls-first", "banner", started).await {
            s.rep.banner_code = Some(r.code);
            s.rep.banner_host = r.line_texts().next().and_then(|t| t.split_whitespace().next()).map(str::to_string);
        }
        s.end("tls-first", started, false, text);
        quit(s, &mut plain).await;
        return Err(Stop);
    }
    s.end("tls-first", started, true, "no plain-text greeting: trying the TLS handshake");
    let conn = s.handshake(plain.into_inner(), "tls").await?;
    s.rep.tls_first = Some(true);
    Ok(conn)
}

async fn converse(s: &mut Session<'_>, conn: &mut Conn) -> Result<(), Stop> {
    let started = s.begin("banner");
    let banner = s.read(conn, "banner", "banner", started).await?;
    s.rep.banner_code = Some(banner.code);
    let first = banner.line_texts().next().unwrap_or("").to_string();
    s.rep.banner_host = first.split_whitespace().next().map(str::to_string);
    s.rep.banner_text = Some(first.clone());
    let ok = banner.code == 220;
    s.end("banner", started, ok, format!("{} {}", banner.code, first));
    if !ok {
        return Ok(());
    }

    let ehlo = format!("EHLO {}", s.shared.config.ehlo_name);
    let (r, started) = s.command(conn, &ehlo, None, "ehlo", "ehlo").await?;
    s.rep.ehlo_code = Some(r.code);
    let (caps, auth) = capabilities(&r);
    s.rep.ehlo_capabilities = caps.clone();
    s.rep.auth_mechanisms_before_tls = auth;
    s.end(
        "ehlo",
        started,
        r.code == 250,
        format!("{} capabilities: {}", r.code, caps.join(", ")),
    );
    if r.code != 250 {
        return Ok(());
    }

    let mut tls_up = s.rep.implicit_tls;
    if !tls_up {
        let offered = caps.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS"));
        s.rep.starttls_offered = Some(offered);
        if offered {
            let (r, started) = s.command(conn, "STARTTLS", None, "starttls", "starttls").await?;
            s.rep.starttls_code = Some(r.code);
            s.end("starttls", started, r.code == 220, format!("{}", r.code));
            if r.code != 220 {
                return Ok(());
            }
            if !conn.buffer().is_empty() {
                s.note(
                    "*",
                    "the server sent data right after 220 to STARTTLS; discarded before the handshake",
                );
            }
            let plain = std::mem::replace(conn, BufReader::new(Box::new(tokio::io::empty()) as Box<dyn Io>));
            *conn = s.handshake(plain.into_inner(), "tls").await?;
            tls_up = true;
        } else {
            s.note(
                "*",
                "the server does not offer STARTTLS: going on without TLS (no credentials are sent)",
            );
        }
    }
    if tls_up {
        let (r, started) = s.command(conn, &ehlo, None, "ehlo-tls", "ehlo").await?;
        let (caps, auth) = capabilities(&r);
        s.rep.auth_mechanisms = auth.clone();
        s.end("ehlo-tls", started, r.code == 250, format!("{} AUTH: {}", r.code, auth.join(" ")));
        if r.code != 250 {
            return Ok(());
        }
        s.rep.ehlo_capabilities = caps;
    }

    if s.shared.config.credentials.is_some() {
        authenticate(s, conn, tls_up).await?;
    }
    envelope(s, conn).await
}

async fn authenticate(s: &mut Session<'_>, conn: &mut Conn, tls_up: bool) -> Result<(), Stop> {
    let creds = s.shared.config.credentials.clone().expect("checked");
    let started = s.begin("auth");
    if !tls_up {
        s.rep.auth_skipped = Some("no-tls".into());
        s.end(
            "auth",
            started,
            false,
            "not tried: no TLS, and credentials are never sent in clear text",
        );
        return Ok(());
    }
    let offered = &s.rep.auth_mechanisms;
    let mechanism = if offered.iter().any(|m| m == "LOGIN") {
        "LOGIN"
    } else if offered.iter().any(|m| m == "PLAIN") {
        "PLAIN"
    } else {
        s.rep.auth_skipped = Some("not-offered".into());
        let detail = format!("not tried: the server offers neither LOGIN nor PLAIN ({})", offered.join(" "));
        s.end("auth", started, false, detail);
        return Ok(());
    };
    s.rep.auth_mechanism = Some(mechanism.into());
    let user_b64 = B64.encode(creds.user.as_bytes());
    let last = if mechanism == "PLAIN" {
        let blob = B64.encode(format!("\0{}\0{}", creds.user, creds.password.expose()));
        s.send(
            conn,
            &format!("AUTH PLAIN {}", blob),
            Some("AUTH PLAIN <credentials redacted>"),
            "auth",
            started,
        )
        .await?;
        s.read(conn, "auth", "auth", started).await?
    } else {
        s.send(conn, "AUTH LOGIN", None, "auth", started).await?;
        let r = s.read(conn, "auth", "auth", started).await?;
        let mut last = r.clone();
        if r.code == 334 {
            let shown = format!("{} (user {})", user_b64, creds.user);
            s.send(conn, &user_b64, Some(&shown), "auth", started).await?;
            last = s.read(conn, "auth", "auth", started).await?;
            if last.code == 334 {
                let pass = B64.encode(creds.password.expose().as_bytes());
                s.send(conn, &pass, Some("<password redacted>"), "auth", started).await?;
                last = s.read(conn, "auth", "auth", started).await?;
            }
        }
        last
    };
    s.rep.auth_result_code = Some(last.code);
    s.rep.auth_enhanced = enhanced_of(&last);
    let ok = last.code == 235;
    s.rep.auth_succeeded = Some(ok);
    let text = last.line_texts().collect::<Vec<_>>().join(" ");
    s.end("auth", started, ok, format!("{} {} {}", mechanism, last.code, text));
    Ok(())
}

async fn envelope(s: &mut Session<'_>, conn: &mut Conn) -> Result<(), Stop> {
    let cfg = &s.shared.config;
    if cfg.mail_from.is_none() && cfg.rcpt_to.is_empty() {
        return Ok(());
    }
    let from = cfg.mail_from.clone().unwrap_or_default();
    let to = cfg.rcpt_to.clone();
    let send_test = cfg.send_test;
    let (r, started) = s
        .command(conn, &format!("MAIL FROM:<{}>", from), None, "mail-from", "mail-from")
        .await?;
    s.rep.mail_from_code = Some(r.code);
    s.rep.mail_from_enhanced = enhanced_of(&r);
    s.rep.mail_from_accepted = Some(is_ok(&r));
    let text = r.line_texts().collect::<Vec<_>>().join(" ");
    s.end("mail-from", started, is_ok(&r), format!("{} {}", r.code, text));
    if !is_ok(&r) {
        return Ok(());
    }
    for addr in &to {
        let (r, started) = s.command(conn, &format!("RCPT TO:<{}>", addr), None, "rcpt-to", "rcpt-to").await?;
        s.rep.rcpt.push(RcptResult {
            address: addr.clone(),
            code: Some(r.code),
            enhanced: enhanced_of(&r),
            accepted: is_ok(&r),
        });
        let text = r.line_texts().collect::<Vec<_>>().join(" ");
        s.end("rcpt-to", started, is_ok(&r), format!("{} {} {}", addr, r.code, text));
    }
    let accepted: Vec<String> = s.rep.rcpt.iter().filter(|r| r.accepted).map(|r| r.address.clone()).collect();
    if !send_test || accepted.is_empty() {
        return Ok(());
    }
    let (r, started) = s.command(conn, "DATA", None, "data", "data").await?;
    if r.code != 354 {
        s.rep.data_code = Some(r.code);
        s.rep.data_accepted = Some(false);
        s.end("data", started, false, format!("{}", r.code));
        return Ok(());
    }
    let message = format!(
        "From: <{}>\r\nTo: {}\r\nSubject: smtp-doctor test message\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is a test message sent by smtp-doctor probe --send-test.\r\n.",
        from,
        accepted.iter().map(|a| format!("<{}>", a)).collect::<Vec<_>>().join(", ")
    );
    s.send(
        conn,
        &message,
        Some("<test message: 5 header lines, 1 body line, then the closing dot>"),
        "data",
        started,
    )
    .await?;
    let r = s.read(conn, "data", "end-of-data", started).await?;
    s.rep.data_code = Some(r.code);
    s.rep.data_accepted = Some(is_ok(&r));
    let text = r.line_texts().collect::<Vec<_>>().join(" ");
    s.end("data", started, is_ok(&r), format!("{} {}", r.code, text));
    Ok(())
}

/// QUIT, politely and briefly: its failure changes nothing.
async fn quit(s: &mut Session<'_>, conn: &mut Conn) {
    let started = s.begin("quit");
    let short = s.timeout().min(Duration::from_secs(2));
    s.note("C", "QUIT");
    let sent = tokio::time::timeout(short, tokio::io::AsyncWriteExt::write_all(conn, b"QUIT\r\n")).await;
    if !matches!(sent, Ok(Ok(()))) {
        s.rep.steps.push(crate::report::StepRecord {
            step: "quit".into(),
            ok: false,
            ms: started.elapsed().as_millis() as u64,
            detail: "could not send QUIT".into(),
        });
        return;
    }
    let limits = s.shared.config.limits;
    let res = crate::reader::read_reply(conn, &limits, short).await;
    let (ok, detail) = match &res {
        Ok(r) => {
            s.rep.quit_code = Some(r.code);
            for l in &r.lines {
                s.note("S", l);
            }
            (true, format!("{}", r.code))
        }
        Err(e) => (false, e.describe(&limits, short)),
    };
    s.rep.steps.push(crate::report::StepRecord {
        step: "quit".into(),
        ok,
        ms: started.elapsed().as_millis() as u64,
        detail,
    });
}
