//! End-to-end tests of `diagnose`, `explain`, `kb list`, `--kb`, languages,
//! output formats and exit codes, run against the real binary.

mod support;
use support::*;

const MAILBOX_DISABLED: &str =
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.";

fn diagnose_json(extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec![
        "diagnose",
        "--reply",
        MAILBOX_DISABLED,
        "--set",
        "device.username=scanner@contoso.com",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let r = run_args(&args);
    let v = json(&r);
    (r, v)
}

#[test]
fn mailbox_disabled_ranks_cause_and_fix_first_with_filled_command() {
    let (r, v) = diagnose_json(&[]);
    assert_eq!(r.code, 1, "a diagnosed cause exits 1; stderr: {}", r.stderr);
    assert_eq!(v["lang"], "en");
    assert_eq!(v["causes"][0]["id"], "cause.smtp-auth-disabled");
    assert_eq!(v["fixes"][0]["id"], "fix.enable-smtp-auth-mailbox");
    assert_eq!(v["fixes"][0]["rank"], 1);
    let cmds = field_strings(&v["fixes"][0]["commands"], "run");
    assert!(
        cmds.contains(&"Set-CASMailbox -Identity scanner@contoso.com -SmtpClientAuthenticationDisabled $false"),
        "{:?}",
        cmds
    );
    assert_eq!(v["method"]["id"], "method.smtp-auth-submission");
    assert!(!v["method"]["why"].as_str().unwrap().is_empty());
    assert_eq!(v["replies"][0]["code"], 535);
    assert_eq!(v["replies"][0]["enhanced"], "5.7.139");
    assert_eq!(v["replies"][0]["code_id"], "code.5.7.139-mailbox");
    assert_eq!(v["replies"][0]["source"]["file"], "--reply #1");
    let score = v["causes"][0]["score"].as_f64().unwrap();
    assert!(score > 0.5 && score <= 1.0, "{}", score);
    assert_valid("report.schema.json", &v);
    assert_valid("facts.schema.json", &v["facts"]);
}

#[test]
fn italian_by_flag_and_by_locale() {
    let (_, en) = diagnose_json(&[]);
    let (_, it) = diagnose_json(&["--lang", "it"]);
    assert_eq!(it["lang"], "it");
    assert_eq!(it["causes"][0]["id"], "cause.smtp-auth-disabled");
    assert_eq!(it["fixes"][0]["id"], "fix.enable-smtp-auth-mailbox");
    assert_ne!(it["causes"][0]["title"], en["causes"][0]["title"], "the title must be translated");
    assert!(it["fixes"][0]["commands"][1]["run"]
        .as_str()
        .unwrap()
        .contains("scanner@contoso.com"));
    assert!(it["fixes"][0]["steps"][0]
        .as_str()
        .unwrap()
        .contains("PowerShell di Exchange Online"));

    let r = run(cmd().env("LANG", "it_IT.UTF-8").args(["diagnose", "--reply", MAILBOX_DISABLED]));
    assert!(r.stdout.contains("Cause probabili"), "{}", r.stdout);
    let r = run(cmd()
        .env("LANG", "it_IT.UTF-8")
        .env("LC_ALL", "C")
        .args(["diagnose", "--reply", MAILBOX_DISABLED]));
    assert!(r.stdout.contains("Likely causes"), "LC_ALL wins over LANG: {}", r.stdout);
}

#[test]
fn text_and_markdown_formats() {
    let r = run_args(&[
        "diagnose",
        "--reply",
        MAILBOX_DISABLED,
        "--set",
        "device.username=scanner@contoso.com",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("Likely causes"), "{}", r.stdout);
    assert!(r.stdout.contains("Set-CASMailbox -Identity scanner@contoso.com"));
    assert!(!r.stdout.contains('\x1b'), "no colour when not a terminal");
    let r = run_args(&["diagnose", "--reply", MAILBOX_DISABLED, "--format", "markdown"]);
    assert!(r.stdout.starts_with("# "), "{}", r.stdout);
    assert!(
        r.stdout.contains("```powershell\nSet-CASMailbox -Identity <EmailAddress>"),
        "unknown values stay visible placeholders: {}",
        r.stdout
    );
}

#[test]
fn exit_codes() {
    // Nothing wrong found.
    let r = run_args(&["diagnose", "--reply", "250 2.0.0 OK <msgid> Queued mail for delivery"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Bad usage: one line saying what and where.
    for args in [
        vec!["diagnose", "--set", "device.usrname=x"],
        vec!["diagnose", "/nonexistent/printer.log"],
        vec!["diagnose", "--symptom", "marked-as-jnuk"],
        vec!["diagnose", "--kb", "/nonexistent-kb-dir", "--reply", "535 5.7.3 x"],
        vec!["explain", "9.9.9"],
        vec!["kb", "list", "--kind", "nope"],
        vec!["no-such-command"],
    ] {
        let r = run_args(&args);
        assert_eq!(r.code, 2, "{:?}: {}{}", args, r.stdout, r.stderr);
        assert!(
            r.stderr.starts_with("smtp-doctor: error:") || r.stderr.starts_with("error:"),
            "{:?}: {}",
            args,
            r.stderr
        );
    }
    let r = run_args(&["diagnose", "--set", "device.usrname=x"]);
    assert!(
        r.stderr.contains("device.usrname") && r.stderr.contains("device.username"),
        "did-you-mean: {}",
        r.stderr
    );
    let r = run_args(&["diagnose", "/nonexistent/printer.log"]);
    assert!(r.stderr.contains("/nonexistent/printer.log"), "{}", r.stderr);
}

#[test]
fn config_file_errors_name_file_and_line() {
    let d = scratch("config");
    let f = d.join("device.yaml");
    std::fs::write(&f, "server: smtp.office365.com\nport: 587\nusrname: scanner@contoso.com\n").unwrap();
    let r = run_args(&["diagnose", "--config", f.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{}:3:", f.display())), "{}", r.stderr);
    std::fs::write(&f, "server: smtp.office365.com\nport: 587\nusername: scanner@contoso.com\n").unwrap();
    let r = run_args(&[
        "diagnose",
        "--config",
        f.to_str().unwrap(),
        "--reply",
        MAILBOX_DISABLED,
        "--format",
        "json",
    ]);
    let v = json(&r);
    assert_eq!(v["facts"]["device"]["port"], 587);
    assert_eq!(v["method"]["id"], "method.smtp-auth-submission");
}

/// `answers.*` names come from the KB's questions: a mistyped answer is an
/// error (it would otherwise be ignored while the report keeps asking).
#[test]
fn answers_must_be_ones_the_kb_asks_for() {
    let r = run_args(&["diagnose", "--reply", MAILBOX_DISABLED, "--set", "answers.mfa_enabeld=true"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("answers.mfa_enabeld") && r.stderr.contains("did you mean `answers.mfa_enabled`"),
        "{}",
        r.stderr
    );
    let r = run_args(&[
        "diagnose",
        "--reply",
        MAILBOX_DISABLED,
        "--set",
        "answers.mfa_enabled=true",
        "--format",
        "json",
    ]);
    assert_ne!(r.code, 2, "{}", r.stderr);
    assert_eq!(json(&r)["facts"]["answers"]["mfa_enabled"], true);

    let d = scratch("answers");
    let f = d.join("facts.yaml");
    std::fs::write(
        &f,
        "device:\n  server: smtp.office365.com\nanswers:\n  owa_signin_ok: true\n  mfa_enabeld: true\n",
    )
    .unwrap();
    let r = run_args(&["diagnose", "--config", f.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{}:5:3", f.display())), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `answers.mfa_enabled`"), "{}", r.stderr);
}

#[test]
fn explain_codes_and_ids() {
    for q in ["5.7.139", "535", "cause.smtp-auth-disabled", MAILBOX_DISABLED] {
        let r = run_args(&["explain", q]);
        assert_eq!(r.code, 0, "{}: {}", q, r.stderr);
        assert!(r.stdout.contains("fix.enable-smtp-auth-mailbox"), "{}: {}", q, r.stdout);
    }
    let r = run_args(&["explain", "cause.smtp-auth-disabled", "--format", "json"]);
    let v = json(&r);
    assert_eq!(v[0]["id"], "cause.smtp-auth-disabled");
    assert_eq!(v[0]["fixes"][0]["id"], "fix.enable-smtp-auth-mailbox");
    let r = run_args(&["explain", "cause.smtp-auth-disabled", "--lang", "it"]);
    assert!(r.stdout.contains("disattivato"), "{}", r.stdout);
}

#[test]
fn kb_list() {
    let r = run_args(&["kb", "list", "--kind", "cause", "--format", "json"]);
    assert_eq!(r.code, 0);
    let v = json(&r);
    let rows = v.as_array().unwrap();
    assert!(rows.iter().all(|r| r["kind"] == "cause"));
    assert!(rows.iter().any(|r| r["id"] == "cause.smtp-auth-disabled"));
    let r = run_args(&["kb", "list"]);
    assert!(r.stdout.contains("method.direct-send"));
}

#[test]
fn kb_dir_override_takes_edits_without_rebuild() {
    let d = scratch("kbdir");
    let kb = d.join("kb");
    copy_dir(&repo().join("kb"), &kb);
    let causes = kb.join("causes/auth.yaml");
    let text = std::fs::read_to_string(&causes).unwrap();
    let edited = text.replacen(
        "SMTP AUTH is turned off for the device's mailbox",
        "EDITED TITLE for the mailbox switch",
        1,
    );
    assert_ne!(text, edited, "the title to edit is in kb/causes/auth.yaml");
    std::fs::write(&causes, edited).unwrap();
    std::fs::write(
        kb.join("rules/extra.yaml"),
        "rules:\n  - id: rule.test-added\n    kind: diagnose\n    when: 'device.model == \"TestMFP 9000\"'\n    asserts: cause.smtp-auth-disabled\n    weight: 0.5\n    evidence: \"ADDED RULE fired for {device.model}\"\n",
    )
    .unwrap();
    let args = [
        "diagnose",
        "--reply",
        MAILBOX_DISABLED,
        "--set",
        "device.model=TestMFP 9000",
        "--format",
        "json",
    ];
    let r = run(cmd().arg("--kb").arg(&kb).args(args));
    let v = json(&r);
    assert_eq!(v["causes"][0]["title"], "EDITED TITLE for the mailbox switch");
    let ev = field_strings(&v["causes"][0]["evidence"], "text");
    assert!(ev.contains(&"ADDED RULE fired for TestMFP 9000"), "{:?}", ev);
    assert!(v["causes"][0]["rules"].as_array().unwrap().iter().any(|r| r == "rule.test-added"));
    // The environment variable does the same.
    let r = run(cmd().env("SMTP_DOCTOR_KB", &kb).args(args));
    assert_eq!(json(&r)["causes"][0]["title"], "EDITED TITLE for the mailbox switch");
    // Without --kb the built-in KB is used.
    let r = run_args(&args);
    assert_ne!(json(&r)["causes"][0]["title"], "EDITED TITLE for the mailbox switch");

    // A broken edit is an error with file and line, exit 2.
    std::fs::write(
        kb.join("rules/extra.yaml"),
        "rules:\n  - id: rule.test-added\n    kind: diagnose\n    when: 'device.model == '\n",
    )
    .unwrap();
    let r = run(cmd().arg("--kb").arg(&kb).args(args));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("extra.yaml:"), "{}", r.stderr);
}

#[test]
fn sample_log_in_readme_diagnoses() {
    let sample = repo().join("tests/samples/scan-to-email.log");
    let r = run(cmd()
        .args(["diagnose", "--format", "json", "--set", "device.username=scanner@contoso.com"])
        .arg(&sample));
    let v = json(&r);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(v["causes"][0]["id"], "cause.smtp-auth-disabled-tenant");
    assert!(v["replies"].as_array().unwrap().iter().any(|x| x["enhanced"] == "5.7.139"));
    assert!(v["replies"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["source"]["file"].as_str().unwrap().ends_with("scan-to-email.log")));
    // Without --set, the login name the log shows fills the commands.
    let r = run(cmd().args(["diagnose", "--format", "json"]).arg(&sample));
    let v = json(&r);
    let cmds = field_strings(&v["fixes"][0]["commands"], "run");
    assert!(cmds.iter().any(|c| c.contains("-Identity scanner@contoso.com")), "{:?}", cmds);
}

#[test]
fn empty_report_matches_the_schema_too() {
    let r = run_args(&["diagnose", "--format", "json", "--reply", "250 2.0.0 OK Queued mail for delivery"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert!(v["method"].is_null());
    assert!(v["causes"].as_array().unwrap().is_empty());
    assert_valid("report.schema.json", &v);
}
