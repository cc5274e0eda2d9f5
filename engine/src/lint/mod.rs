//! `kb lint`: every check a KB edit must pass before it ships, collected in one
//! run. Loading and compilation contribute their own diagnostics (YAML syntax,
//! schema, ids, links, Rhai syntax); the modules here add what needs the whole KB
//! at once: fact references (`refs`), reachability, dated knowledge and coverage
//! (`graph`), translations (`translations`), and the KB's example cases.
//!
//! `CHECKS` is the registry of every lint id with its severity and a one-line
//! description: SARIF output lists it as the tool's rules and kb/README.md
//! documents it (a test keeps the two in step).

mod date;
mod graph;
pub mod output;
pub mod refresh;
mod refs;
mod span;
pub mod translations;

pub use date::Day;

use crate::cases::{run_case, CaseResult};
use crate::diag::{Diagnostic, Diagnostics, Severity, SourcePos};
use crate::kb::compile::compile;
use crate::kb::load::{KbFile, RawKb, SchemaSet};
use crate::kb::KbSource;
use std::collections::BTreeMap;

/// Every lint id: (id, severity, what it means). Sorted by id (a test keeps it so).
#[rustfmt::skip]
pub const CHECKS: &[(&str, Severity, &str)] = &[
    ("bad-code-match",            Severity::Error,   "a code class matcher is malformed or matches nothing"),
    ("bad-date",                  Severity::Error,   "a review_by / valid_from / valid_until date is not YYYY-MM-DD"),
    ("bad-id",                    Severity::Error,   "an id does not look like `<kind>.<name>`"),
    ("bad-rule",                  Severity::Error,   "a rule's effect is malformed (derive without set, diagnose without asserts, ...)"),
    ("bad-weight",                Severity::Error,   "a weight or confidence is outside 0 < w <= 1"),
    ("case-failed",               Severity::Error,   "an example case does not give the outcome it expects"),
    ("cause-without-case",        Severity::Warning, "no example case names this cause in expect.first or expect.in_top"),
    ("code-without-case",         Severity::Warning, "no example case names this code class in expect.codes"),
    ("dangling-link",             Severity::Error,   "a link names an id that does not exist"),
    ("duplicate-id",              Severity::Error,   "an id is defined twice (ids are unique across all files)"),
    ("duplicate-rule",            Severity::Warning, "two rules have the same cause and the same condition"),
    ("duplicate-settings",        Severity::Error,   "more than one settings file"),
    ("duplicate-translation",     Severity::Error,   "a text is translated twice for one language"),
    ("expired-but-suggested",     Severity::Error,   "an entry's valid_until has passed but it is still suggested or used"),
    ("high-risk-without-warning", Severity::Error,   "a high-risk fix has no warning text"),
    ("kb-not-utf8",               Severity::Error,   "a KB file is not UTF-8"),
    ("kb-unreadable",             Severity::Error,   "a KB file cannot be read"),
    ("missing-settings",          Severity::Error,   "the KB has no settings file"),
    ("review-overdue",            Severity::Warning, "an entry's review_by date has passed: re-check it against its source"),
    ("rhai-syntax",               Severity::Error,   "a rule's `when:` does not compile as a Rhai expression"),
    ("schema",                    Severity::Error,   "a file does not match its JSON Schema"),
    ("translation-missing",       Severity::Warning, "texts not translated into a language (count per language)"),
    ("translation-orphan",        Severity::Error,   "a translation for an entry, field or message that no longer exists"),
    ("translation-placeholder",   Severity::Error,   "a translation's placeholders differ from the English text's"),
    ("translation-shape",         Severity::Error,   "a translation is a list where the English is a text (or has another number of steps)"),
    ("translation-stale",         Severity::Warning, "the English text changed since it was translated (fingerprint differs or is missing)"),
    ("unknown-fact",              Severity::Error,   "a condition or question names a fact that is not declared"),
    ("unknown-file-kind",         Severity::Error,   "a YAML file is not any kind of KB file"),
    ("unknown-function",          Severity::Error,   "a condition calls a function that is not a registered helper or built-in"),
    ("unknown-placeholder",       Severity::Error,   "a `{fact.path}` placeholder names a fact that is not declared"),
    ("unreachable-cause",         Severity::Warning, "no rule, code or symptom can suggest this cause"),
    ("unused-fix",                Severity::Warning, "no cause is fixed by this fix"),
    ("unused-question",           Severity::Warning, "no rule reads the fact this question asks about"),
    ("wrong-link-kind",           Severity::Error,   "a link names an id of the wrong kind (a fix where a cause belongs)"),
    ("yaml-syntax",               Severity::Error,   "a file is not valid YAML"),
];

/// What `lint` should do besides the checks that always run.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// Run the KB's example cases (`kb lint --no-test` turns this off).
    pub run_cases: bool,
    /// The date dated knowledge is compared with.
    pub today: Day,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            run_cases: true,
            today: Day::today(),
        }
    }
}

/// The outcome of a lint run: the findings, sorted by place, and the file texts
/// they point into (for rendering the offending line).
#[derive(Debug, Default)]
pub struct LintReport {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: BTreeMap<String, String>,
    pub files: usize,
    /// Results of the example cases (empty when they did not run).
    pub cases: Vec<CaseResult>,
    /// Why the cases did not run, if they did not.
    pub cases_skipped: Option<String>,
}

impl LintReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Findings of the lint passes; a thin wrapper so each check reads as one call.
#[derive(Default)]
pub(crate) struct Findings(pub Vec<Diagnostic>);

impl Findings {
    pub fn error(&mut self, id: &'static str, pos: SourcePos, message: impl Into<String>, help: impl Into<String>) {
        self.0.push(Diagnostic::error(id, pos, message).with_help(help));
    }
    pub fn warning(&mut self, id: &'static str, pos: SourcePos, message: impl Into<String>, help: impl Into<String>) {
        self.0.push(Diagnostic::warning(id, pos, message).with_help(help));
    }
}

/// Reads the files of a source and loads them as raw entries. `Err` when the
/// source itself cannot be read (lint cannot run).
pub fn load_raw(source: &KbSource) -> Result<(RawKb, Diagnostics, Vec<KbFile>), String> {
    let mut diags = Diagnostics::default();
    let files = source.files(&mut diags)?;
    let raw = RawKb::load(files.clone(), &SchemaSet::embedded(), &mut diags);
    Ok((raw, diags, files))
}

/// Runs every check on a KB. `Err` only when the KB cannot be read at all.
pub fn lint(source: KbSource, options: &LintOptions) -> Result<LintReport, String> {
    let (raw, mut diags, files) = load_raw(&source)?;
    let kb = compile(raw.clone(), &mut diags);
    let mut found = Findings::default();

    let facts = refs::FactCatalog::new(&raw);
    let engine = crate::rules::build_engine();
    let asts: Vec<Option<rhai::AST>> = raw
        .rules
        .iter()
        .map(|r| refs::check_rule(&raw, r, &engine, &facts, &mut found))
        .collect();
    for (file, pointer, text, owner) in refs::placeholder_texts(&raw) {
        refs::check_placeholders(&raw, file, &pointer, text, owner, &facts, &mut found);
    }
    refs::check_questions(&raw, &facts, &mut found);
    graph::check(&raw, &asts, options.today, &mut found);
    translations::check(&raw, &mut found);

    let mut report = LintReport {
        files: files.len(),
        sources: files.into_iter().map(|f| (f.path, f.text)).collect(),
        ..LintReport::default()
    };
    let load_errors = diags.has_errors();
    match (&kb, options.run_cases) {
        (_, false) => report.cases_skipped = Some("--no-test".into()),
        // Cases on a KB that did not compile would only repeat its errors as failures.
        (Some(kb), true) if !load_errors => {
            report.cases = run_cases(kb);
            for r in report.cases.iter().filter(|r| !r.passed()) {
                let got = if r.got.is_empty() {
                    "no causes".to_string()
                } else {
                    r.got.join(", ")
                };
                found.error(
                    "case-failed",
                    SourcePos::new(r.file.clone(), r.line, case_col(&report.sources, &r.file, r.line)),
                    format!("case `{}` failed: {}", r.id, r.failures.join("; ")),
                    format!("got: {} (run `smtp-doctor kb test {}` for the diff)", got, r.id),
                );
            }
        }
        _ => report.cases_skipped = Some("the KB has errors".into()),
    }
    // Lint places condition syntax errors itself (see `refs::check_rule`).
    let mut all: Vec<Diagnostic> = diags.0.into_iter().filter(|d| d.id != "rhai-syntax").collect();
    all.extend(found.0);
    all.sort_by(|a, b| (&a.pos.file, a.pos.line, a.pos.col, a.id).cmp(&(&b.pos.file, b.pos.line, b.pos.col, b.id)));
    all.dedup();
    report.diagnostics = all;
    Ok(report)
}

/// Runs the example cases on all cores: they are independent, and with a hundred
/// of them they are most of lint's time (lint should be quick enough to run on save).
fn run_cases(kb: &crate::kb::Kb) -> Vec<CaseResult> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = kb.cases.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = kb
            .cases
            .chunks(chunk)
            .map(|cases| s.spawn(move || cases.iter().map(|c| run_case(kb, c)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a case panicked")).collect()
    })
}

/// Column of the first non-blank character of a line (the case's `- id:` item).
fn case_col(sources: &BTreeMap<String, String>, file: &str, line: usize) -> usize {
    sources
        .get(file)
        .and_then(|t| t.lines().nth(line.saturating_sub(1)))
        .map_or(0, |l| l.chars().take_while(|c| c.is_whitespace()).count() + 1)
}

/// The severity and description of a lint id.
pub fn check_info(id: &str) -> Option<(Severity, &'static str)> {
    CHECKS.iter().find(|(i, _, _)| *i == id).map(|(_, s, d)| (*s, *d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_sorted_and_kebab_case() {
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.0).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for id in ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                id
            );
        }
    }
}
