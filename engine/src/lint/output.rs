//! The four renderings of a lint report, all from the same `Diagnostic` values:
//! human text (rustc style: id, message, position, the offending line with a `^`
//! marker, help), JSON, SARIF 2.1.0 for code-scanning UIs, and GitHub workflow
//! commands that annotate a pull request's diff.
//!
//! These return strings; the CLI decides where they go.

use super::{check_info, LintReport, CHECKS};
use crate::diag::{Diagnostic, Severity};
use serde_json::{json, Value};

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `N errors, M warnings` with the right plurals.
pub fn summary(report: &LintReport) -> String {
    let plural = |n: usize, w: &str| format!("{} {}{}", n, w, if n == 1 { "" } else { "s" });
    let mut s = format!(
        "{}, {} in {}",
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        plural(report.files, "file")
    );
    match &report.cases_skipped {
        Some(why) => s.push_str(&format!("; example cases not run ({})", why)),
        None => {
            let failed = report.cases.iter().filter(|c| !c.passed()).count();
            s.push_str(&format!(
                "; example cases: {} passed, {} failed",
                report.cases.len() - failed,
                failed
            ));
        }
    }
    s
}

/// Human-readable text; `color` adds ANSI colours to the headings.
pub fn text(report: &LintReport, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{}m{}\x1b[0m", code, s)
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for d in &report.diagnostics {
        let (word, code) = match d.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        out.push_str(&format!("{}: {}\n", paint(code, &format!("{}[{}]", word, d.id)), d.message));
        out.push_str(&format!(" {} {}\n", paint("1;34", "-->"), d.pos));
        let line = (d.pos.line > 0)
            .then(|| report.sources.get(&d.pos.file).and_then(|t| t.lines().nth(d.pos.line - 1)))
            .flatten();
        if let Some(src) = line {
            let num = d.pos.line.to_string();
            let pad = " ".repeat(num.len());
            out.push_str(&format!("{} |\n", pad));
            out.push_str(&format!("{} | {}\n", num, src));
            // The marker goes under the column, counting a tab as the tab it is.
            let lead: String = src
                .chars()
                .take(d.pos.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{} | {}{}\n", pad, lead, paint(code, "^")));
        }
        if let Some(h) = &d.help {
            out.push_str(&format!("  = help: {}\n", h));
        }
        out.push('\n');
    }
    let verdict = if report.errors() > 0 {
        paint("1;31", "lint failed")
    } else {
        paint("1;32", "lint passed")
    };
    out.push_str(&format!("{}: {}\n", verdict, summary(report)));
    out
}

fn diag_json(d: &Diagnostic) -> Value {
    json!({
        "id": d.id,
        "severity": severity_word(d.severity),
        "message": d.message,
        "file": d.pos.file,
        "line": d.pos.line,
        "col": d.pos.col,
        "help": d.help,
    })
}

/// JSON: `{diagnostics: [...], summary: {...}}`.
pub fn json(report: &LintReport) -> String {
    let failed = report.cases.iter().filter(|c| !c.passed()).count();
    let v = json!({
        "diagnostics": report.diagnostics.iter().map(diag_json).collect::<Vec<_>>(),
        "summary": {
            "errors": report.errors(),
            "warnings": report.warnings(),
            "files": report.files,
            "cases_run": report.cases_skipped.is_none(),
            "cases_passed": report.cases.len() - failed,
            "cases_failed": failed,
        },
    });
    let mut s = serde_json::to_string_pretty(&v).expect("serializable");
    s.push('\n');
    s
}

/// A path as a SARIF artifact URI: relative paths stay relative (to the working
/// directory, which is what code-scanning uploads expect); absolute ones become `file://`.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let encoded: String = p
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect();
    if encoded.starts_with('/') {
        format!("file://{}", encoded)
    } else {
        encoded
    }
}

/// SARIF 2.1.0, one run, the tool's rules being every lint id.
pub fn sarif(report: &LintReport, tool_version: &str) -> String {
    let rules: Vec<Value> = CHECKS
        .iter()
        .map(|(id, sev, desc)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": desc },
                "helpUri": "https://example.invalid/smtp-doctor/blob/main/kb/README.md#lint-checks",
                "defaultConfiguration": { "level": severity_word(*sev) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {}", h));
            }
            let mut r = json!({
                "ruleId": d.id,
                "level": severity_word(d.severity),
                "message": { "text": text },
            });
            if let Some(i) = CHECKS.iter().position(|c| c.0 == d.id) {
                r["ruleIndex"] = json!(i);
            }
            if !d.pos.file.is_empty() {
                let mut loc = json!({ "physicalLocation": { "artifactLocation": { "uri": uri(&d.pos.file) } } });
                if d.pos.line > 0 {
                    let mut region = json!({ "startLine": d.pos.line });
                    if d.pos.col > 0 {
                        region["startColumn"] = json!(d.pos.col);
                    }
                    loc["physicalLocation"]["region"] = region;
                }
                r["locations"] = json!([loc]);
            }
            r
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "smtp-doctor kb lint",
                "version": tool_version,
                "informationUri": "https://example.invalid/smtp-doctor",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&v).expect("serializable");
    s.push('\n');
    s
}

/// Escapes for workflow command data (`%`, CR, LF) and properties (also `:` and `,`).
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// GitHub Actions workflow commands: one `::error` / `::warning` line per finding.
pub fn github(report: &LintReport) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let mut props = Vec::new();
        if !d.pos.file.is_empty() {
            props.push(format!("file={}", gh_escape(&d.pos.file, true)));
        }
        if d.pos.line > 0 {
            props.push(format!("line={}", d.pos.line));
        }
        if d.pos.col > 0 {
            props.push(format!("col={}", d.pos.col));
        }
        props.push(format!("title={}", gh_escape(d.id, true)));
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {}", h));
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            severity_word(d.severity),
            props.join(","),
            gh_escape(&msg, false)
        ));
    }
    out.push_str(&format!("{}\n", summary(report)));
    out
}

/// The description of a lint id (for `--explain`-style help and docs).
pub fn describe(id: &str) -> Option<&'static str> {
    check_info(id).map(|(_, d)| d)
}

/// A Markdown table, for pasting into an issue or a pull request.
pub fn markdown(report: &LintReport) -> String {
    let mut out = String::from("| severity | id | where | message |\n|---|---|---|---|\n");
    for d in &report.diagnostics {
        let mut msg = d.message.replace('|', "\\|");
        if let Some(h) = &d.help {
            msg.push_str(&format!("<br>help: {}", h.replace('|', "\\|")));
        }
        out.push_str(&format!("| {} | `{}` | `{}` | {} |\n", severity_word(d.severity), d.id, d.pos, msg));
    }
    out.push_str(&format!("\n{}\n", summary(report)));
    out
}
