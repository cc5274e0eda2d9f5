//! `kb lint` output formats and exit codes, `kb test` diffs and `kb i18n`, run
//! through the real binary on small KBs from the lint corpus.

#[path = "lint-corpus/harness.rs"]
mod harness;

use harness::{overlay, smtp_doctor, stderr, stdout};
use serde_json::Value;
use smtp_doctor_engine::lint::CHECKS;

fn lint(kb: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let kb = kb.display().to_string();
    let mut args = vec!["kb", "lint", "--kb", kb.as_str(), "--today", "2026-06-01"];
    args.extend_from_slice(extra);
    smtp_doctor(&args)
}

#[test]
fn text_output_shows_id_position_source_line_marker_help_and_summary() {
    let (_t, kb) = overlay("dangling-link", &[]);
    let out = lint(&kb, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let expected = format!(
        "error[dangling-link]: no cause entry `cause.auth-of`\n --> {}/rules.yaml:15:14\n   |\n15 |     asserts: cause.auth-of\n   |              ^\n  = help: did you mean `cause.auth-off`?\n",
        kb.display()
    );
    assert!(text.contains(&expected), "{}", text);
    assert!(
        text.ends_with("lint failed: 1 error, 0 warnings in 10 files; example cases not run (the KB has errors)\n"),
        "{}",
        text
    );
}

#[test]
fn json_output_has_every_field() {
    let (_t, kb) = overlay("review-overdue", &[]);
    let out = lint(&kb, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "warnings alone pass");
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["id"], "review-overdue");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["line"], 9);
    assert_eq!(d["col"], 16);
    assert!(d["file"].as_str().unwrap().ends_with("causes.yaml"));
    assert!(d["message"].as_str().unwrap().contains("2026-01-01"));
    assert!(d["help"].is_string());
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["warnings"], 1);
    assert_eq!(v["summary"]["cases_passed"], 1);
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let (_t, kb) = overlay("unknown-fact-block-scalar", &[]);
    let out = lint(&kb, &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), CHECKS.len());
    assert!(rules
        .iter()
        .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
    assert!(run["tool"]["driver"]["name"].is_string());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["ruleId"], "unknown-fact");
    assert_eq!(r["level"], "error");
    assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], "unknown-fact");
    assert!(r["message"]["text"].as_str().unwrap().contains("device.usrname"));
    let loc = &r["locations"][0]["physicalLocation"];
    let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with("/kb/rules.yaml"), "{}", uri);
    assert_eq!(loc["region"]["startLine"], 16);
    assert_eq!(loc["region"]["startColumn"], 10);
}

#[test]
fn github_output_is_workflow_commands() {
    let (_t, kb) = overlay("no-example-case", &["cases.yaml".to_string()]);
    let out = lint(&kb, &["--format", "github"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains("cause-without-case")).expect(&text);
    let want = format!(
        "::warning file={}/causes.yaml,line=2,col=9,title=cause-without-case::no example case expects",
        kb.display()
    );
    assert!(line.starts_with(&want), "{}", line);
    assert!(line.contains("%0Ahelp: "), "help on its own line: {}", line);
    // --deny warnings turns the same run into a failure.
    assert_eq!(lint(&kb, &["--format", "github", "--deny", "warnings"]).status.code(), Some(1));
}

#[test]
fn exit_codes() {
    let (_t, base) = overlay("_base", &[]);
    assert_eq!(lint(&base, &["--deny", "warnings"]).status.code(), Some(0));
    let (_t2, broken) = overlay("rhai-syntax", &[]);
    assert_eq!(lint(&broken, &[]).status.code(), Some(1));
    let missing = smtp_doctor(&["kb", "lint", "--kb", "/nonexistent/smtp-doctor-kb"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot lint the KB"), "{}", stderr(&missing));
    let bad_date = lint(&base, &["--today", "2026-02-30"]);
    assert_eq!(bad_date.status.code(), Some(2));
}

#[test]
fn lint_only_formats_are_refused_elsewhere() {
    for args in [&["diagnose", "--format", "sarif"][..], &["kb", "list", "--format", "github"][..]] {
        let out = smtp_doctor(args);
        assert_eq!(out.status.code(), Some(2), "{:?}", args);
        assert!(stderr(&out).contains("only for `smtp-doctor kb lint`"), "{}", stderr(&out));
    }
}

#[test]
fn no_test_skips_the_example_cases() {
    let (_t, kb) = overlay("case-failed", &[]);
    assert_eq!(lint(&kb, &[]).status.code(), Some(1));
    let out = lint(&kb, &["--no-test"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("example cases not run (--no-test)"));
}

#[test]
fn kb_test_prints_a_diff_per_failing_case_and_a_count() {
    let (_t, kb) = overlay("case-failed", &[]);
    let kb = kb.display().to_string();
    let out = smtp_doctor(&["kb", "test", "--kb", &kb]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let expected = format!(
        "ok   case.auth-off\nFAIL case.wrong-expectation ({kb}/cases.yaml:12)\n  --- expected\n  +++ got\n  - cause.auth-off: absent\n  + cause.auth-off: ranked 1\n  ranking got:\n    1. cause.auth-off 0.990\n1 passed, 1 failed\n"
    );
    assert_eq!(text, expected);
    // One case by id substring.
    let one = smtp_doctor(&["kb", "test", "--kb", &kb, "auth-off"]);
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(stdout(&one), "ok   case.auth-off\n1 passed, 0 failed\n");
    let none = smtp_doctor(&["kb", "test", "--kb", &kb, "no-such-case"]);
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn i18n_refresh_updates_fingerprints_and_keeps_the_file() {
    let (_t, kb) = overlay("translation-stale", &[]);
    let it = kb.join("i18n/it.yaml");
    let before = std::fs::read_to_string(&it).unwrap();
    let kb_s = kb.display().to_string();
    let status = smtp_doctor(&["kb", "i18n", "--status", "--kb", &kb_s]);
    assert!(
        stdout(&status).contains("it: 13/13 translated, 0 missing, 1 stale, 0 orphaned"),
        "{}",
        stdout(&status)
    );
    assert!(stdout(&status).contains("  stale    fix.enable-auth.title"), "{}", stdout(&status));

    let out = smtp_doctor(&["kb", "i18n", "--refresh", "it", "--kb", &kb_s]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 fingerprint(s) updated"), "{}", stdout(&out));
    let after = std::fs::read_to_string(&it).unwrap();
    // Only the one `fp:` line changed; comments and the rest are untouched.
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "{:?}", changed);
    assert!(changed[0].1.trim_start().starts_with("fp: { steps:"), "{:?}", changed);
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(lint(&kb, &["--deny", "warnings"]).status.code(), Some(0));
}

#[test]
fn kb_readme_documents_every_lint_id() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kb/README.md")).unwrap();
    let missing: Vec<&str> = CHECKS
        .iter()
        .map(|c| c.0)
        .filter(|id| !readme.contains(&format!("| `{}` |", id)))
        .collect();
    assert!(missing.is_empty(), "kb/README.md does not list: {:?}", missing);
}
