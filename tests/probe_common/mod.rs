//! What the probe tests share: running the real binary with a clean
//! environment, a CA file for the fake server's test CA, and reading the JSON
//! outputs. Every address the tests use is on loopback (the fake server and the
//! DNS stub assert it).
#![allow(dead_code)]

use fake_m365::{FakeServer, Scenario};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The password every fake scenario accepts; never printed by smtp-doctor.
pub const PASSWORD: &str = "Correct-Horse-7";
pub const USER: &str = "scanner@contoso.com";
pub const PASSWORD_VAR: &str = "SMTP_DOCTOR_TEST_PASSWORD";

/// One run of the binary.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({}): {}\nstderr: {}", e, self.stdout, self.stderr))
    }
}

/// Runs `smtp-doctor` with `args`, the test password in its environment variable, and `stdin`.
pub fn smtp_doctor(args: &[String], stdin: Option<&str>) -> Run {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"))
        .args(args)
        .env_remove("SMTP_DOCTOR_KB")
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .env(PASSWORD_VAR, PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smtp-doctor");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Writes the server's CA certificate to a fresh temporary file.
pub fn ca_file(server: &FakeServer) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Cargo's own scratch directory for integration tests (inside target/), not the system /tmp.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "smtp-doctor-probe-ca-{}-{}.pem",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, server.ca_pem()).expect("write CA file");
    path
}

/// Strings from a list of str.
pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A started scenario and the probe options that reach it (endpoint with role, CA file, short timeout).
pub struct Target {
    pub server: FakeServer,
    pub base: Vec<String>,
}

pub fn target(name: &str, role: &str) -> Target {
    target_with(Scenario::by_name(name).unwrap_or_else(|| panic!("no scenario {}", name)), role)
}

pub fn target_with(scenario: Scenario, role: &str) -> Target {
    let implicit = scenario.implicit_tls;
    let server = FakeServer::start(scenario);
    let scheme = if implicit { "smtps://" } else { "" };
    let endpoint = format!("{}{}/{}", scheme, server.addr, role);
    let ca = ca_file(&server);
    let base = args(&["--endpoint", &endpoint, "--ca-file", &ca.display().to_string(), "--timeout", "3"]);
    Target { server, base }
}

/// `probe --format json` with the target's options and `extra`.
pub fn probe(t: &Target, extra: &[&str]) -> Run {
    let mut a = args(&["probe", "--format", "json"]);
    a.extend(t.base.iter().cloned());
    a.extend(args(extra));
    smtp_doctor(&a, None)
}

/// `diagnose --probe --format json` with the target's options and `extra`.
pub fn diagnose(t: &Target, extra: &[&str]) -> Run {
    let mut a = args(&["diagnose", "--probe", "--format", "json"]);
    a.extend(t.base.iter().cloned());
    a.extend(args(extra));
    smtp_doctor(&a, None)
}

/// The sign-in options (password from the environment).
pub fn signin() -> Vec<&'static str> {
    vec!["--user", USER, "--password-env", PASSWORD_VAR]
}

/// The `probe` facts of a probe report.
pub fn facts(run: &Run) -> Value {
    run.json()["probe"].clone()
}

/// The first endpoint's record.
pub fn endpoint(run: &Run) -> Value {
    facts(run)["endpoints"][0].clone()
}

/// Ids of the causes a diagnosis ranked, in order.
pub fn causes(run: &Run) -> Vec<String> {
    run.json()["causes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Asserts the first cause, showing the ranking on failure.
pub fn assert_first_cause(run: &Run, want: &str) {
    let got = causes(run);
    assert_eq!(
        got.first().map(String::as_str),
        Some(want),
        "ranking: {:?}\nstderr: {}",
        got,
        run.stderr
    );
}

/// Stages of the probe replies with the given enhanced code.
pub fn reply_stages(run_facts: &Value, enhanced: &str) -> Vec<String> {
    run_facts["replies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["enhanced"] == enhanced)
        .filter_map(|r| r["stage"].as_str().map(str::to_string))
        .collect()
}
