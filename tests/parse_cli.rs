//! End-to-end tests of `smtp-doctor parse` (text, JSON, stdin, `--input-format`,
//! `--redact`) on the real binary, and the guarantee that no password present
//! in the fixtures comes out of any command.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures/logs").join(rel)
}

fn run(args: &[&str], files: &[PathBuf], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"));
    cmd.args(args)
        .args(files)
        .env("SMTP_DOCTOR_KB", repo().join("kb"))
        .env("NO_COLOR", "1");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run smtp-doctor");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({}): {}\n{}", e, stdout(o), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn json_shows_format_stages_classes_and_facts() {
    let o = run(&["--format", "json", "parse"], &[fixture("swaks/swaks_disabled.txt")], None);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let log = &v[0];
    assert_eq!(log["format"], "swaks");
    let failure = log["replies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == 535)
        .expect("the 535");
    assert_eq!(failure["stage"], "auth");
    assert_eq!(failure["enhanced"], "5.7.139");
    assert!(
        failure["code_id"].as_str().is_some_and(|c| c.starts_with("code.5.7.139")),
        "{}",
        failure
    );
    assert_eq!(log["facts"]["log.auth_user"], "scanner-disabled@contoso.com");
    assert_eq!(log["facts"]["log.tls_established"], true);
    let stages: Vec<&str> = log["conversation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    for s in ["banner", "ehlo", "starttls", "tls", "auth", "quit"] {
        assert!(stages.contains(&s), "no {} in {:?}", s, stages);
    }
}

#[test]
fn text_lists_the_conversation_by_stage() {
    let o = run(&["parse"], &[fixture("nodemailer/nodemailer_noauth.txt")], None);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains(": nodemailer ("), "{}", out);
    assert!(out.contains("[mail-from]"), "{}", out);
    assert!(out.contains("530 5.7.57"), "{}", out);
    assert!(out.contains("log.mail_from = \"scanner@contoso.com\""), "{}", out);
}

#[test]
fn stdin_and_several_files() {
    let text = std::fs::read(fixture("smtplib/py_l1_disabled.txt")).unwrap();
    let o = run(&["--format", "json", "parse", "-"], &[fixture("postfix/postfix.log")], Some(&text));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v[0]["file"], "<stdin>");
    assert_eq!(v[0]["format"], "smtplib");
    assert_eq!(v[1]["format"], "postfix");
}

#[test]
fn input_format_overrides_detection() {
    let file = fixture("raw/telnet_session.txt");
    let o = run(
        &["--format", "json", "parse", "--input-format", "raw"],
        std::slice::from_ref(&file),
        None,
    );
    assert_eq!(json(&o)[0]["format"], "raw");
    let o = run(&["parse", "--input-format", "fax"], &[file], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown input format `fax`"));
}

#[test]
fn redact_keeps_the_log_but_not_the_secrets() {
    let file = fixture("swaks/swaks_disabled.txt");
    let original = std::fs::read_to_string(&file).unwrap();
    let o = run(&["parse", "--redact"], &[file], None);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), original.lines().count());
    assert!(!out.contains("UzNjcmV0IQ=="), "{}", out);
    assert!(
        out.contains("c2Nhbm5lci1kaXNhYmxlZEBjb250b3NvLmNvbQ=="),
        "the login name stays: {}",
        out
    );
    assert!(out.contains(" ~> [redacted]"), "{}", out);
}

/// Secrets that appear in the fixtures: the dummy password, its base64, an
/// AUTH PLAIN blob and an XOAUTH2 blob.
const SECRETS: [&str; 6] = [
    "S3cret!",
    "Correct-Horse-7",
    "Q29ycmVjdC1Ib3JzZS03",
    "UzNjcmV0IQ==",
    "AHNjYW5uZXJAY29udG9zby5jb20AUzNjcmV0IQ==",
    "dXNlcj1zY2FubmVyQGNvbnRvc28uY29tAWF1dGg9QmVhcmVy",
];

fn all_fixtures() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.to_string_lossy().ends_with(".expect.yaml") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&repo().join("tests/fixtures/logs"), &mut v);
    v.sort();
    v
}

#[test]
fn no_password_from_the_fixtures_reaches_any_output() {
    let files = all_fixtures();
    let inputs: String = files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect();
    let present: Vec<&str> = SECRETS.iter().copied().filter(|s| inputs.contains(s)).collect();
    assert!(
        present.len() >= 4,
        "the fixtures should carry the secrets this test looks for: {:?}",
        present
    );
    for args in [
        vec!["parse"],
        vec!["--format", "json", "parse"],
        vec!["parse", "--redact"],
        vec!["--format", "json", "diagnose"],
        vec!["diagnose"],
    ] {
        let o = run(&args, &files, None);
        let out = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert!(!out.is_empty(), "{:?} printed nothing", args);
        for s in &present {
            if let Some(i) = out.find(s) {
                let around = &out[i.saturating_sub(120)..(i + 60).min(out.len())];
                panic!("`smtp-doctor {}` leaks {:?}: ...{}...", args.join(" "), s, around);
            }
        }
    }
}
