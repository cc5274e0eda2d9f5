//! The KB's own example cases: each is an input the way users paste it and the
//! outcome the KB promises. Running a case goes through exactly the path a user's
//! input takes (`InputBuilder`, then `diagnose`), so a case is an end-to-end test
//! of the KB written as data.

use crate::diagnose::{diagnose, Options};
use crate::inputs::InputBuilder;
use crate::kb::load::Located;
use crate::kb::raw::RawCase;
use crate::kb::Kb;
use crate::report::Report;

/// One case's result; `failures` is empty when it passed.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub failures: Vec<String>,
    /// The ranking the engine produced (`cause score` per line), for diffs.
    pub got: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Builds the facts of a case.
pub fn case_report(kb: &Kb, case: &RawCase, lang: &str) -> Result<Report, String> {
    let mut b = InputBuilder::for_kb(kb);
    for (path, v) in &case.input.facts {
        let arg = format!("{}={}", path, serde_json::to_string(v).unwrap_or_default());
        // Values are JSON; strings keep their quotes so YAML parsing keeps them strings.
        b.set(&arg).map_err(|d| d.to_string())?;
    }
    for r in &case.input.replies {
        b.reply(r);
    }
    if let Some(log) = &case.input.log {
        b.log(log, &format!("{}:log", case.id));
    }
    for s in &case.input.symptoms {
        b.symptom(kb, s).map_err(|d| d.to_string())?;
    }
    Ok(diagnose(
        kb,
        b.finish(),
        &Options {
            lang: lang.to_string(),
            trace: false,
        },
    ))
}

/// Runs one case.
pub fn run_case(kb: &Kb, case: &Located<RawCase>) -> CaseResult {
    let c = &case.value;
    let mut failures = Vec::new();
    let report = match case_report(kb, c, "en") {
        Ok(r) => r,
        Err(e) => {
            return CaseResult {
                id: c.id.clone(),
                file: case.pos.file.clone(),
                line: case.pos.line,
                failures: vec![format!("input: {}", e)],
                got: vec![],
            };
        }
    };
    let got: Vec<String> = report.causes.iter().map(|x| format!("{} {:.3}", x.id, x.score)).collect();
    let ids: Vec<&str> = report.causes.iter().map(|x| x.id.as_str()).collect();
    let e = &c.expect;
    if let Some(first) = &e.first {
        if ids.first() != Some(&first.as_str()) {
            failures.push(format!("first cause: expected {}, got {}", first, ids.first().unwrap_or(&"(none)")));
        }
    }
    let n = e.top_n.unwrap_or(3);
    for want in &e.in_top {
        match ids.iter().position(|i| i == want) {
            Some(p) if p < n => {}
            Some(p) => failures.push(format!("{}: expected in the top {}, ranked {}", want, n, p + 1)),
            None => failures.push(format!("{}: expected in the top {}, not reported", want, n)),
        }
    }
    for not in &e.absent {
        if let Some(p) = ids.iter().position(|i| i == not) {
            failures.push(format!("{}: expected absent, ranked {}", not, p + 1));
        }
    }
    if let Some(m) = &e.method {
        let got_m = report.method.as_ref().map(|m| m.id.as_str()).unwrap_or("(none)");
        if got_m != m {
            failures.push(format!("method: expected {}, got {}", m, got_m));
        }
    }
    if let Some(f) = &e.first_fix {
        let got_f = report.fixes.first().map(|f| f.id.as_str()).unwrap_or("(none)");
        if got_f != f {
            failures.push(format!("first fix: expected {}, got {}", f, got_f));
        }
    }
    let seen: Vec<&str> = report.replies.iter().filter_map(|r| r.code_id.as_deref()).collect();
    let observed = report
        .facts
        .pointer("/observed/code_ids")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    for code in &e.codes {
        if !seen.contains(&code.as_str()) && !observed.iter().any(|v| v.as_str() == Some(code)) {
            failures.push(format!("code {}: expected to be recognised, was not", code));
        }
    }
    for q in &e.questions {
        if !report.questions.iter().any(|x| &x.id == q) {
            failures.push(format!("question {}: expected to be asked, was not", q));
        }
    }
    CaseResult {
        id: c.id.clone(),
        file: case.pos.file.clone(),
        line: case.pos.line,
        failures,
        got,
    }
}

/// Runs every case, or those whose id contains `filter`.
pub fn run_all(kb: &Kb, filter: Option<&str>) -> Vec<CaseResult> {
    kb.cases
        .iter()
        .filter(|c| filter.is_none_or(|f| c.value.id.contains(f)))
        .map(|c| run_case(kb, c))
        .collect()
}
