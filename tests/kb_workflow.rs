//! The README's KB-editing workflow, done the way a new user would: copy the KB,
//! change a cause's title, add a rule in a new file, then `kb lint --kb`,
//! `kb test --kb` and `diagnose --kb`, and see both changes in the report.
//!
//! The shipped KB is edited by many hands, so lint is judged against the
//! untouched copy: the edit must add no error of its own.

#[path = "lint-corpus/harness.rs"]
mod harness;

use harness::{copy_dir, smtp_doctor, stdout, TempDir};
use serde_json::Value;
use std::collections::BTreeSet;

const REPLY: &str = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.";
const NEW_TITLE: &str = "SMTP AUTH is switched off on the scanner's mailbox";
const NEW_RULE: &str = r#"# A local rule: our Contoso scanners ship with SMTP AUTH off on their mailbox.
rules:
  - id: rule.local-contoso-scanner-auth-off
    kind: diagnose
    when: >-
      device.vendor == "Contoso"
      && "code.5.7.139-mailbox" in observed.code_ids
    asserts: cause.smtp-auth-disabled
    weight: 0.5
    evidence: "Contoso scanners are delivered with SMTP AUTH off on {device.username|their mailbox}."
"#;

/// Error findings as (id, file, message): positions left out, so the two runs compare.
fn errors(kb: &str) -> BTreeSet<(String, String, String)> {
    let out = smtp_doctor(&["kb", "lint", "--kb", kb, "--format", "json", "--no-test"]);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("lint JSON");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            let file = d["file"].as_str().unwrap_or("").rsplit("/kb/").next().unwrap_or("").to_string();
            (
                d["id"].as_str().unwrap().to_string(),
                file,
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn edit_lint_test_diagnose_as_the_readme_says() {
    let tmp = TempDir::new("kb-workflow");
    let original = tmp.0.join("original/kb");
    let kb = tmp.0.join("mine/kb");
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kb");
    copy_dir(&shipped, &original);
    copy_dir(&shipped, &kb);

    // 1. Edit: a cause's title, and a new rule in a file of its own.
    let causes = kb.join("causes/auth.yaml");
    let text = std::fs::read_to_string(&causes).unwrap();
    let old_title = "title: \"SMTP AUTH is turned off for the device's mailbox\"";
    assert!(
        text.contains(old_title),
        "the README's example cause changed; update this test and the README"
    );
    std::fs::write(&causes, text.replacen(old_title, &format!("title: \"{}\"", NEW_TITLE), 1)).unwrap();
    std::fs::write(kb.join("rules/local.yaml"), NEW_RULE).unwrap();

    // 2. kb lint: the edit brings no error of its own.
    let (kb_s, original_s) = (kb.display().to_string(), original.display().to_string());
    let added: Vec<_> = errors(&kb_s).difference(&errors(&original_s)).cloned().collect();
    assert!(added.is_empty(), "the edit introduced lint errors: {:?}", added);

    // 3. kb test: runs the cases and ends with the count line.
    let test = smtp_doctor(&["kb", "test", "--kb", &kb_s]);
    let out = stdout(&test);
    let last = out.lines().last().unwrap_or("");
    assert!(
        last.ends_with(" failed") && last.contains(" passed, "),
        "kb test must end with `N passed, M failed`: {:?} (stderr: {})",
        last,
        harness::stderr(&test)
    );
    let original_test = smtp_doctor(&["kb", "test", "--kb", &original_s]);
    assert_eq!(test.status.code(), original_test.status.code(), "{}", out);

    // 4. diagnose --kb shows the new title and the new rule's evidence.
    let report = smtp_doctor(&[
        "diagnose",
        "--kb",
        &kb_s,
        "--reply",
        REPLY,
        "--set",
        "device.vendor=Contoso",
        "--set",
        "device.username=scanner@contoso.com",
        "--lang",
        "en",
    ]);
    let text = stdout(&report);
    assert!(text.contains(NEW_TITLE), "new title missing:\n{}", text);
    assert!(
        text.contains("Contoso scanners are delivered with SMTP AUTH off on scanner@contoso.com."),
        "new rule's evidence missing:\n{}\n{}",
        text,
        harness::stderr(&report)
    );
}
