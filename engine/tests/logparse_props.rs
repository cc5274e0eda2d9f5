//! Property tests: the log parsers, the reply finder and the redactor never
//! panic on any input, and a few invariants hold whatever the input is (line
//! numbers point into the file, the two entry points agree, redaction removes
//! secrets the conversation saw).

use proptest::prelude::*;
use smtp_doctor_engine::logparse::{self, Format, FORMATS};
use smtp_doctor_engine::reply;

/// Lines that look like the formats, so the generator reaches deep states.
const SHAPES: &[&str] = &[
    "<-  220 host ESMTP",
    " -> AUTH LOGIN",
    "<~* 535 5.7.3 Authentication unsuccessful",
    " ~> UzNjcmV0IQ==",
    "=== TLS started with cipher TLSv1.3:X:256",
    "*** Error connecting",
    "send: 'AUTH PLAIN AHVAYgBw\\r\\n'",
    "reply: b'250-SIZE 1\\r\\n'",
    "reply: retcode (535); Msg: b'5.7.3 x'",
    "2026-01-01 00:00:00\tSERVER -> CLIENT: 250-a250-b250 c",
    "                   \t                  250 SMTPUTF8",
    "CLIENT -&gt; SERVER: [credentials hidden]<br>",
    "DEBUG SMTP: Using mechanism LOGIN",
    "S: 334 VXNlcm5hbWU6",
    "C: MAIL FROM:<a@b.c>",
    "[2026-01-01 00:00:00] DEBUG [x] S: 354 go",
    "< 250-AUTH LOGIN",
    "> RCPT TO:<x@y.z>",
    "curl: (55) MAIL failed: 530",
    "<-- 235 2.7.0 ok",
    "[<-] 250 SMTPUTF8",
    "  SMTP|> BDAT 1 LAST",
    "         250-SIZE",
    "Jan  1 00:00:00 h postfix/smtp[1]: Q1: to=<a@b>, relay=h[1.2.3.4]:587, status=deferred (SASL authentication failed; server h said: 535 5.7.3 x)",
    "x SMTP error from remote mail server after pipelined MAIL FROM:<a>: 530 5.7.57 y",
    "host=h tls=on smtpstatus=535 smtpmsg='535 a\\n535 b' exitcode=EX_NOPERM",
    "Send-MailMessage : The server response was: 5.7.57 x. Error: 535 5.7.139 y",
    "System.Net.Mail.SmtpException: Transaction failed.",
    "   at System.Net.Mail.DataStopCommand.CheckResponse",
    "SMTPC: received error code. [550] (8000)",
    "smtplib.SMTPAuthenticationError: (535, b'5.7.139 x')",
    "Error: Invalid login: 535 5.7.3",
    "  command: 'AUTH LOGIN'",
    "openssl s_client -connect h:587 -starttls smtp",
    "DATA",
    ".",
    "",
];

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(SHAPES).prop_map(str::to_string),
        1 => ".{0,120}",
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn log_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(line_strategy(), 0..40).prop_map(|v| v.join("\n"))
}

proptest! {
    #[test]
    fn parse_log_never_panics_and_lines_point_into_the_file(text in log_strategy()) {
        let parsed = logparse::parse_log(&text, "p");
        let lines = text.split(['\n', '\r']).count().max(1);
        for r in &parsed.facts.replies {
            prop_assert!(r.reply.line >= 1 && r.reply.line <= lines, "line {} of {}", r.reply.line, lines);
        }
        for e in &parsed.facts.client_errors {
            prop_assert!(e.line >= 1 && e.line <= lines);
        }
        prop_assert!(!parsed.formats.is_empty());
    }

    #[test]
    fn reader_and_str_entry_points_agree(text in log_strategy()) {
        let a = logparse::parse_log(&text, "p");
        let b = logparse::parse_reader(text.as_bytes(), "p").unwrap();
        prop_assert_eq!(a.facts, b.facts);
        prop_assert_eq!(a.formats, b.formats);
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = logparse::parse_reader(&bytes[..], "b").unwrap();
        let text = logparse::decode(&bytes);
        let _ = logparse::parse_log(&text, "b");
        let _ = logparse::redact(&text);
        let _ = reply::find_replies(&text, true);
        let _ = reply::find_replies(&text, false);
    }

    #[test]
    fn every_forced_format_survives(text in log_strategy(), k in 0..FORMATS.len()) {
        let f: Format = FORMATS[k].0;
        let _ = logparse::parse_log_as(&text, "f", Some(f));
    }

    #[test]
    fn redaction_removes_the_password_the_exchange_shows(user in "[a-z]{3,10}", pass in "[A-Za-z0-9!]{6,16}") {
        let b64 = |s: &str| base64(s.as_bytes());
        let log = format!(
            "<-  220 h\n -> AUTH LOGIN\n<-  334 VXNlcm5hbWU6\n -> {}\n<-  334 UGFzc3dvcmQ6\n -> {}\n<-  235 2.7.0 ok\n",
            b64(&format!("{}@contoso.com", user)),
            b64(&pass)
        );
        let out = logparse::redact(&log);
        prop_assert!(!out.contains(&b64(&pass)), "{}", out);
        let parsed = logparse::parse_log(&log, "r");
        let expected_user = format!("{}@contoso.com", user);
        prop_assert_eq!(parsed.facts.auth_user.as_deref(), Some(expected_user.as_str()));
        let json = serde_json::to_string(&parsed.fact_values()).unwrap();
        prop_assert!(!json.contains(&b64(&pass)));
    }
}

/// Standard base64 with padding (test helper).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn very_long_lines_stay_fast() {
    // 50 MB in one line of digits and spaces: cut at MAX_LINE, so this is instant.
    let line = "535 ".repeat(12_500_000);
    let start = std::time::Instant::now();
    let parsed = logparse::parse_reader(line.as_bytes(), "long").unwrap();
    assert!(parsed.facts.replies.len() <= logparse::MAX_REPLIES * 2);
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}
