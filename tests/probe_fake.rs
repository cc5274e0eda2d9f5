//! `probe` and `diagnose --probe` against the fake Microsoft 365 server, one
//! test per scenario: the probe facts it must produce, and the cause that
//! `diagnose --probe` must rank first. Loopback only.

mod probe_common;
use probe_common::*;

#[test]
fn healthy_submission_endpoint_end_to_end() {
    let t = target("ok", "submission");
    let mut extra = signin();
    extra.extend([
        "--from",
        USER,
        "--to",
        "colleague@contoso.com",
        "--to",
        "someone@example.net",
        "--send-test",
    ]);
    let run = probe(&t, &extra);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let f = facts(&run);
    assert_eq!(f["ran"], true);
    assert_eq!(f["validation"], "ca-file");
    assert_eq!(f["any_connected"], true);
    assert_eq!(f["all_connect_failed"], false);
    assert_eq!(f["submission_reachable"], true);
    assert_eq!(f["endpoint_role"], "submission");
    assert_eq!(f["starttls_offered"], true);
    assert_eq!(f["tls_versions"], serde_json::json!(["TLSv1.3"]));
    assert_eq!(f["cert_valid"], true);
    assert_eq!(f["auth_offered_before_tls"], false);
    assert_eq!(f["auth_mechanisms"], serde_json::json!(["LOGIN", "XOAUTH2"]));
    assert_eq!(f["auth_succeeded"], true);
    assert_eq!(f["mail_from_accepted"], true);
    assert_eq!(f["rcpt_accepted"].as_array().unwrap().len(), 2);
    assert_eq!(f["data_accepted"], true);
    let e = endpoint(&run);
    assert_eq!(e["connect"], "ok");
    assert_eq!(e["banner_code"], 220);
    assert_eq!(e["banner_host"], "FAKE01CA0001.outlook.office365.com");
    assert_eq!(e["auth_mechanism"], "LOGIN");
    assert_eq!(e["auth_result_code"], 235);
    assert_eq!(e["quit_code"], 221);
    assert!(e["cert_names"].as_array().unwrap().iter().any(|n| n == "localhost"));
    let steps: Vec<&str> = e["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "dns",
            "connect",
            "banner",
            "ehlo",
            "starttls",
            "tls",
            "ehlo-tls",
            "auth",
            "mail-from",
            "rcpt-to",
            "rcpt-to",
            "data",
            "quit"
        ]
    );
    // Replies carry their stage, so the KB's code classes see them as they see log replies.
    assert_eq!(reply_stages(&f, "2.7.0"), ["auth"]);
    let d = diagnose(&t, &extra);
    assert!(!causes(&d).contains(&"cause.port-blocked".to_string()), "{:?}", causes(&d));
    assert_eq!(d.json()["method"]["id"], "method.smtp-auth-submission");
}

fn auth_failure(scenario: &str, enhanced: &str, cause: &str) {
    let t = target(scenario, "submission");
    let run = probe(&t, &signin());
    let f = facts(&run);
    assert_eq!(f["auth_attempted"], true);
    assert_eq!(f["auth_succeeded"], false);
    assert_eq!(f["auth_result_codes"], serde_json::json!([535]));
    assert_eq!(endpoint(&run)["auth_enhanced"], enhanced);
    assert_eq!(reply_stages(&f, enhanced), ["auth"]);
    assert_eq!(run.status, 1, "a failed step is a finding");
    assert_first_cause(&diagnose(&t, &signin()), cause);
}

#[test]
fn wrong_credentials_535_5_7_3() {
    auth_failure("wrong-credentials", "5.7.3", "cause.wrong-credentials");
}

#[test]
fn smtp_auth_disabled_for_the_mailbox() {
    auth_failure("auth-disabled-mailbox", "5.7.139", "cause.smtp-auth-disabled");
}

#[test]
fn smtp_auth_disabled_for_the_tenant() {
    auth_failure("auth-disabled-tenant", "5.7.139", "cause.smtp-auth-disabled-tenant");
}

#[test]
fn sign_in_criteria_not_met() {
    auth_failure("auth-criteria-not-met", "5.7.139", "cause.conditional-access-legacy-auth");
}

#[test]
fn anonymous_mail_from_530_5_7_57() {
    let t = target("ok", "submission");
    let extra = ["--from", USER, "--to", "colleague@contoso.com"];
    let run = probe(&t, &extra);
    let f = facts(&run);
    assert_eq!(f["mail_from_refused"], true);
    assert_eq!(endpoint(&run)["mail_from_code"], 530);
    assert_eq!(reply_stages(&f, "5.7.57"), ["mail-from"]);
    assert_first_cause(&diagnose(&t, &extra), "cause.no-credentials");
}

#[test]
fn foreign_sender_550_5_7_60() {
    let t = target("send-as-denied", "submission");
    let mut extra = signin();
    extra.extend(["--from", "sales@contoso.com", "--to", "colleague@contoso.com"]);
    let run = probe(&t, &extra);
    assert_eq!(endpoint(&run)["mail_from_enhanced"], "5.7.60");
    assert_eq!(facts(&run)["auth_succeeded"], true);
    assert_first_cause(&diagnose(&t, &extra), "cause.send-as-missing");
}

#[test]
fn restricted_sender_550_5_1_8() {
    let t = target("restricted-sender", "submission");
    let mut extra = signin();
    extra.extend(["--from", USER, "--to", "colleague@contoso.com"]);
    let run = probe(&t, &extra);
    assert_eq!(endpoint(&run)["mail_from_enhanced"], "5.1.8");
    assert_first_cause(&diagnose(&t, &extra), "cause.mailbox-restricted");
}

#[test]
fn direct_send_to_an_outside_recipient_550_5_7_54() {
    let t = target("direct-send-external", "mx");
    let extra = ["--from", USER, "--to", "colleague@contoso.com", "--to", "customer@example.net"];
    let run = probe(&t, &extra);
    let f = facts(&run);
    assert_eq!(f["mx_reachable"], true);
    assert_eq!(f["auth_mechanisms"], serde_json::json!([]));
    assert_eq!(f["rcpt_accepted"], serde_json::json!(["colleague@contoso.com"]));
    assert_eq!(f["rcpt_refused"], serde_json::json!(["customer@example.net"]));
    assert_eq!(reply_stages(&f, "5.7.54"), ["rcpt-to"]);
    let d = diagnose(&t, &[&extra[..], &["--set", "device.connector_present=false"]].concat());
    assert_eq!(d.json()["method"]["id"], "method.direct-send");
    assert_first_cause(&d, "cause.direct-send-external");
}

#[test]
fn relay_not_attributed_550_5_7_64() {
    let t = target("tenant-attribution", "mx");
    let extra = [
        "--from",
        USER,
        "--to",
        "customer@example.net",
        "--set",
        "device.connector_present=true",
    ];
    let run = probe(&t, &extra[..4]);
    assert_eq!(reply_stages(&facts(&run), "5.7.64"), ["rcpt-to"]);
    assert_first_cause(&diagnose(&t, &extra), "cause.tenant-attribution");
}

#[test]
fn wrong_region_451_4_4_62() {
    let t = target("wrong-region", "mx");
    let extra = ["--from", USER, "--to", "colleague@contoso.com"];
    let run = probe(&t, &extra);
    assert_eq!(reply_stages(&facts(&run), "4.4.62"), ["rcpt-to"]);
    let d = diagnose(&t, &extra);
    let c = causes(&d);
    assert!(
        c.first()
            .is_some_and(|c| c == "cause.tenant-attribution" || c == "cause.legacy-smart-host"),
        "{:?}",
        c
    );
}

#[test]
fn tls_1_2_minimum_and_a_tls_1_0_device() {
    let t = target("tls12-only", "submission");
    let run = probe(&t, &[]);
    let f = facts(&run);
    assert_eq!(f["tls_versions"], serde_json::json!(["TLSv1.2"]));
    assert!(endpoint(&run)["tls_cipher"].as_str().unwrap().starts_with("TLS_ECDHE_"));
    let d = diagnose(&t, &["--set", "device.tls_max_version=\"1.0\""]);
    assert_first_cause(&d, "cause.tls-legacy");
}

#[test]
fn no_starttls_offered_then_451_5_7_3() {
    let t = target("no-starttls", "submission");
    let mut extra = signin();
    extra.extend(["--from", USER, "--to", "colleague@contoso.com"]);
    let run = probe(&t, &extra);
    let f = facts(&run);
    assert_eq!(f["starttls_offered"], false);
    let e = endpoint(&run);
    assert_eq!(e["auth_skipped"], "no-tls", "credentials are never sent without TLS");
    assert_eq!(e["mail_from_code"], 451);
    assert_first_cause(&diagnose(&t, &extra), "cause.starttls-not-used");
}

#[test]
fn expired_certificate_fails_validation_and_insecure_goes_on() {
    let t = target("expired-cert", "submission");
    let run = probe(&t, &[]);
    let e = endpoint(&run);
    assert_eq!(e["tls_established"], false);
    assert_eq!(e["tls_error"], "certificate");
    assert_eq!(e["cert_valid"], false);
    assert_eq!(e["cert_error"], "expired");
    assert!(e["cert_days_left"].as_i64().unwrap() < 0);
    // --insecure is explicit and reported; the certificate is still checked and its problem recorded.
    let server = fake_m365::FakeServer::start(fake_m365::Scenario::by_name("expired-cert").unwrap());
    let endpoint_arg = format!("{}/submission", server.addr);
    let run = smtp_doctor(
        &args(&[
            "probe",
            "--format",
            "json",
            "--endpoint",
            &endpoint_arg,
            "--insecure",
            "--timeout",
            "3",
        ]),
        None,
    );
    let f = facts(&run);
    assert_eq!(f["validation"], "insecure");
    assert_eq!(f["cert_valid"], false);
    assert_eq!(f["tls_established"], true);
    // Checked against the public roots, the expired leaf is the first problem rustls names.
    assert_eq!(f["endpoints"][0]["cert_error"], "expired");
}

#[test]
fn default_trust_refuses_an_unknown_ca() {
    let server = fake_m365::FakeServer::start(fake_m365::Scenario::by_name("ok").unwrap());
    let endpoint_arg = format!("{}/submission", server.addr);
    let run = smtp_doctor(
        &args(&["probe", "--format", "json", "--endpoint", &endpoint_arg, "--timeout", "3"]),
        None,
    );
    let f = facts(&run);
    assert_eq!(f["validation"], "public-roots");
    assert_eq!(f["tls_failed"], true);
    assert_eq!(f["cert_errors"], serde_json::json!(["unknown-issuer"]));
}

#[test]
fn implicit_tls_port_speaks_tls_first() {
    let t = target("implicit-tls", "submission");
    let run = probe(&t, &signin());
    let f = facts(&run);
    assert_eq!(f["implicit_tls_refused"], false);
    let e = endpoint(&run);
    assert_eq!(e["implicit_tls"], true);
    assert_eq!(e["tls_first"], true);
    assert_eq!(e["banner_code"], 220);
    assert_eq!(f["auth_succeeded"], true);
}

#[test]
fn implicit_tls_against_a_starttls_port() {
    let server = fake_m365::FakeServer::start(fake_m365::Scenario::by_name("ok").unwrap());
    let ca = ca_file(&server);
    let base = args(&[
        "--endpoint",
        &format!("smtps://{}/submission", server.addr),
        "--ca-file",
        &ca.display().to_string(),
        "--timeout",
        "3",
    ]);
    let run = smtp_doctor(&[args(&["probe", "--format", "json"]), base.clone()].concat(), None);
    let f = facts(&run);
    assert_eq!(f["implicit_tls_refused"], true);
    assert_eq!(f["endpoints"][0]["tls_first"], false);
    assert_eq!(f["endpoints"][0]["banner_code"], 220);
    let d = smtp_doctor(
        &[
            args(&["diagnose", "--probe", "--format", "json", "--set", "device.tls_mode=implicit"]),
            base,
        ]
        .concat(),
        None,
    );
    assert_first_cause(&d, "cause.implicit-tls-mismatch");
}

#[test]
fn closed_port_is_refused_and_points_at_a_blocked_port() {
    let t = target("closed", "submission");
    let run = probe(&t, &[]);
    let f = facts(&run);
    assert_eq!(f["all_connect_failed"], true);
    assert_eq!(f["connect_errors"], serde_json::json!(["refused"]));
    assert_eq!(f["submission_reachable"], false);
    assert_eq!(f["client_errors"][0]["kind"], "connection-refused");
    assert_first_cause(&diagnose(&t, &[]), "cause.port-blocked");
}

/// `--format markdown` is a ticket-ready document: heading, verdict, and the
/// text report in a fence (the password is redacted there as everywhere).
#[test]
fn markdown_report_for_a_ticket() {
    let t = target("ok", "submission");
    let mut a = args(&["probe", "--format", "markdown", "--transcript"]);
    a.extend(t.base.iter().cloned());
    a.extend(args(&signin()));
    let run = smtp_doctor(&a, None);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("## smtp-doctor probe\n\nEvery step worked"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("```text\nsmtp-doctor probe: 1 endpoint(s)"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with("```"), "{}", run.stdout);
    assert!(!run.stdout.contains(PASSWORD), "{}", run.stdout);
}
