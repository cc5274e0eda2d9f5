//! The lint corpus: each directory of tests/lint-corpus/ breaks the clean base KB
//! (`_base/kb`) in one way and says, in `expect.yaml`, which lint id must be
//! reported at which file, line and (optionally) column. One test walks them all
//! through the real binary and names every directory whose expectation failed.
//!
//! expect.yaml: `diagnostics: [{id, file, line, col?}]` (file relative to the KB
//! directory), optional `remove: [files]`, `args: [...]`, `exit: N` (default 1 when
//! an expected id is an error, else 0) and `only: true` (nothing else reported).

#[path = "lint-corpus/harness.rs"]
mod harness;

use harness::{corpus, overlay, smtp_doctor, stderr, stdout};
use serde_json::Value;
use smtp_doctor_engine::diag::Severity;
use smtp_doctor_engine::kb::load::parse_yaml;
use smtp_doctor_engine::lint::{check_info, CHECKS};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expect.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn expectation(name: &str) -> Value {
    let path = corpus().join(name).join("expect.yaml");
    parse_yaml(&path.display().to_string(), &std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|d| panic!("{}: {}", name, d))
}

/// Runs one case; `Err` says what differs.
fn check_case(name: &str) -> Result<(), String> {
    let exp = expectation(name);
    let (_tmp, kb) = overlay(name, &strings(&exp["remove"]));
    let kb_str = kb.display().to_string();
    let mut args = vec!["kb", "lint", "--kb", &kb_str, "--format", "json", "--today", "2026-06-01"];
    let extra = strings(&exp["args"]);
    args.extend(extra.iter().map(String::as_str));
    let out = smtp_doctor(&args);
    let report: Value = serde_json::from_str(&stdout(&out)).map_err(|e| format!("output is not JSON ({}): {}", e, stderr(&out)))?;
    let got: Vec<&Value> = report["diagnostics"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let rel = |f: &str| -> String {
        f.strip_prefix(&format!("{}/", kb_str))
            .map(String::from)
            .unwrap_or_else(|| f.to_string())
    };
    let shown: Vec<String> = got
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}:{}",
                d["id"].as_str().unwrap_or("?"),
                rel(d["file"].as_str().unwrap_or("")),
                d["line"],
                d["col"]
            )
        })
        .collect();
    let expected = exp["diagnostics"].as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for e in &expected {
        let hit = got.iter().any(|d| {
            d["id"] == e["id"]
                && rel(d["file"].as_str().unwrap_or("")) == e["file"].as_str().unwrap_or("")
                && d["line"] == e["line"]
                && (e["col"].is_null() || d["col"] == e["col"])
        });
        if !hit {
            problems.push(format!("expected {} at {}:{}:{}", e["id"], e["file"], e["line"], e["col"]));
        }
    }
    if exp["only"] == Value::Bool(true) && got.len() != expected.len() {
        problems.push(format!("expected only {} finding(s)", expected.len()));
    }
    let errors_expected = expected
        .iter()
        .any(|e| e["id"].as_str().and_then(check_info).is_some_and(|(s, _)| s == Severity::Error));
    let want_exit = exp["exit"].as_i64().unwrap_or(i64::from(errors_expected));
    if i64::from(out.status.code().unwrap_or(-1)) != want_exit {
        problems.push(format!("exit {:?}, expected {}", out.status.code(), want_exit));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n      reported: {}", problems.join("; "), shown.join(", ")))
    }
}

#[test]
fn every_corpus_case_reports_its_lint_id_at_its_line() {
    let names = cases();
    assert!(names.len() > 30, "corpus not found: {:?}", names);
    let failures: Vec<String> = names
        .iter()
        .filter_map(|n| check_case(n).err().map(|e| format!("  tests/lint-corpus/{}: {}", n, e)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn every_lint_id_has_a_corpus_case() {
    // kb-unreadable ends the run before lint starts (exit 2; see lint_output.rs).
    let covered: Vec<String> = cases()
        .iter()
        .flat_map(|n| expectation(n)["diagnostics"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d["id"].as_str().map(String::from))
        .collect();
    let missing: Vec<&str> = CHECKS
        .iter()
        .map(|c| c.0)
        .filter(|id| *id != "kb-unreadable" && !covered.iter().any(|c| c == id))
        .collect();
    assert!(missing.is_empty(), "lint ids without a corpus case: {:?}", missing);
}
