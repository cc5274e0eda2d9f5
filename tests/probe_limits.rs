//! Bounds and secrets: a hung server costs at most the step timeout, the
//! whole run stops at its overall bound, endless lines and endless multi-line
//! replies are cut off with a clear fact, and the password never appears in
//! any output (text, transcript, JSON, diagnosis, errors).

mod probe_common;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use fake_m365::{FakeServer, Scenario};
use probe_common::*;
use std::time::Duration;

#[test]
fn a_silent_server_costs_at_most_the_timeout() {
    let t = target_with(Scenario::by_name("silent").unwrap(), "submission");
    let one_second: Vec<String> = t.base.iter().map(|a| if a == "3" { "1".to_string() } else { a.clone() }).collect();
    let mut a = args(&["probe", "--format", "json"]);
    a.extend(one_second.iter().cloned());
    let run = smtp_doctor(&a, None);
    // One step timeout (1 s), not more: the run's own clock, and a loose bound on the process.
    let f = facts(&run);
    assert!(f["elapsed_ms"].as_u64().unwrap() < 1600, "run took {} ms", f["elapsed_ms"]);
    assert!(run.elapsed < Duration::from_secs(5), "process took {:?}", run.elapsed);
    assert_eq!(f["any_connected"], true);
    assert_eq!(f["read_errors"], serde_json::json!(["timeout"]));
    assert_eq!(f["endpoints"][0]["stopped_at"], "banner");
    let steps = f["endpoints"][0]["steps"].as_array().unwrap();
    let banner = steps.iter().find(|s| s["step"] == "banner").unwrap();
    assert!(banner["ms"].as_u64().unwrap() >= 900, "{}", banner);
    let mut d = args(&["diagnose", "--probe", "--format", "json"]);
    d.extend(one_second);
    assert_first_cause(&smtp_doctor(&d, None), "cause.port-blocked");
}

#[test]
fn the_whole_run_stops_at_its_overall_bound() {
    let servers: Vec<FakeServer> = (0..3).map(|_| FakeServer::start(Scenario::by_name("silent").unwrap())).collect();
    let mut a = args(&["probe", "--format", "json", "--timeout", "20", "--overall-timeout", "1"]);
    for s in &servers {
        a.extend(args(&["--endpoint", &format!("{}/submission", s.addr)]));
    }
    let run = smtp_doctor(&a, None);
    let f = facts(&run);
    assert!(f["elapsed_ms"].as_u64().unwrap() < 1600, "run took {} ms", f["elapsed_ms"]);
    assert!(run.elapsed < Duration::from_secs(6), "process took {:?}", run.elapsed);
    assert_eq!(f["overall_timeout"], true);
    assert_eq!(f["endpoints"].as_array().unwrap().len(), 3);
    for e in f["endpoints"].as_array().unwrap() {
        assert_eq!(e["connect"], "ok", "partial results survive the bound: {}", e);
        assert_eq!(e["stopped_at"], "overall-timeout");
    }
    assert_eq!(run.status, 1);
}

#[test]
fn endpoints_are_probed_concurrently() {
    let servers: Vec<FakeServer> = (0..4).map(|_| FakeServer::start(Scenario::by_name("silent").unwrap())).collect();
    let mut a = args(&["probe", "--format", "json", "--timeout", "1"]);
    for s in &servers {
        a.extend(args(&["--endpoint", &format!("{}/submission", s.addr)]));
    }
    let run = smtp_doctor(&a, None);
    // Four 1 s banner timeouts in parallel, not in a row (4 s).
    let f = facts(&run);
    assert!(f["elapsed_ms"].as_u64().unwrap() < 2000, "run took {} ms", f["elapsed_ms"]);
    assert_eq!(f["endpoints"].as_array().unwrap().len(), 4);
}

#[test]
fn an_endless_line_is_cut_off() {
    let t = target("endless-line", "submission");
    let run = probe(&t, &[]);
    assert!(run.elapsed < Duration::from_secs(5), "took {:?}", run.elapsed);
    let f = facts(&run);
    assert_eq!(f["read_errors"], serde_json::json!(["line-too-long"]));
    let e = endpoint(&run);
    assert_eq!(e["read_error"], "line-too-long");
    assert_eq!(e["stopped_at"], "banner");
    assert!(run.stdout.len() < 200_000, "the report stays small: {} bytes", run.stdout.len());
    assert_eq!(f["client_errors"][0]["kind"], "line-too-long");
}

#[test]
fn an_endless_multi_line_reply_is_cut_off() {
    let t = target("endless-multiline", "submission");
    let run = probe(&t, &[]);
    assert!(run.elapsed < Duration::from_secs(5), "took {:?}", run.elapsed);
    let e = endpoint(&run);
    assert_eq!(e["read_error"], "reply-too-long");
    assert_eq!(e["stopped_at"], "banner");
    assert!(run.stdout.len() < 200_000, "the report stays small: {} bytes", run.stdout.len());
}

fn assert_no_secret(run: &Run, what: &str) {
    let plain_login = B64.encode(PASSWORD);
    let plain_blob = B64.encode(format!("\0{}\0{}", USER, PASSWORD));
    for secret in [PASSWORD, plain_login.as_str(), plain_blob.as_str()] {
        assert!(!run.stdout.contains(secret), "{}: stdout shows a secret form `{}`", what, secret);
        assert!(!run.stderr.contains(secret), "{}: stderr shows a secret form `{}`", what, secret);
    }
}

#[test]
fn the_password_never_appears_in_any_output() {
    let plain = Scenario {
        auth_mechanisms: "PLAIN".into(),
        ..Scenario::submission()
    };
    for (label, scenario) in [
        ("login ok", Scenario::by_name("ok").unwrap()),
        ("login refused", Scenario::by_name("wrong-credentials").unwrap()),
        ("plain ok", plain),
    ] {
        let t = target_with(scenario, "submission");
        let mut signed = signin();
        signed.extend(["--from", USER, "--to", "colleague@contoso.com"]);
        for (cmd, format) in [("probe", "json"), ("probe", "text"), ("diagnose", "json"), ("diagnose", "text")] {
            let mut a = args(&[cmd]);
            if cmd == "diagnose" {
                a.push("--probe".into());
            }
            a.extend(args(&["--format", format, "--transcript"]));
            a.extend(t.base.iter().cloned());
            a.extend(args(&signed));
            let run = smtp_doctor(&a, None);
            let signed_in = run.stdout.contains("235") || run.stdout.contains("535");
            assert!(signed_in, "{} {} {}: the run tried to sign in\n{}", label, cmd, format, run.stderr);
            assert_no_secret(&run, &format!("{} {} {}", label, cmd, format));
        }
    }
}

#[test]
fn the_password_comes_from_stdin_or_an_environment_variable_only() {
    let t = target("ok", "submission");
    let mut a = args(&["probe", "--format", "json", "--user", USER, "--password-stdin", "--transcript"]);
    a.extend(t.base.iter().cloned());
    let run = smtp_doctor(&a, Some(&format!("{}\n", PASSWORD)));
    assert_eq!(facts(&run)["auth_succeeded"], true, "{}", run.stderr);
    assert_no_secret(&run, "stdin");
    // No password source: an error, not a prompt and not an unauthenticated run.
    let mut a = args(&["probe", "--user", USER]);
    a.extend(t.base.iter().cloned());
    let run = smtp_doctor(&a, None);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("--password-env"), "{}", run.stderr);
    // An unset variable is named, its (absent) value is not.
    let mut a = args(&["probe", "--user", USER, "--password-env", "SMTP_DOCTOR_NO_SUCH_VAR"]);
    a.extend(t.base.iter().cloned());
    let run = smtp_doctor(&a, None);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("SMTP_DOCTOR_NO_SUCH_VAR"), "{}", run.stderr);
    // There is no option that takes the password itself.
    let run = smtp_doctor(&args(&["probe", "--password", PASSWORD]), None);
    assert_eq!(run.status, 2);
    assert_no_secret(&run, "--password rejected");
}

#[test]
fn probe_options_need_probe_in_diagnose() {
    let run = smtp_doctor(&args(&["diagnose", "--endpoint", "127.0.0.1:9/submission"]), None);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("--probe"), "{}", run.stderr);
}
