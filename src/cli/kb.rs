//! `smtp-doctor kb ...`: working with the knowledge base: `list` its entries,
//! `lint` it (every check, in text, JSON, SARIF or GitHub annotations), `test` its
//! example cases with a diff per failure, and keep translations in step (`i18n`).
//!
//! Exit status: 0 clean, 1 findings (lint errors, failed cases), 2 when the
//! command could not run (no such directory, a KB that does not load for `test`).

use super::common::{emit, to_json, use_color, CliError, Format, FormatArg, GlobalArgs};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use smtp_doctor_engine::cases::{run_all, CaseResult};
use smtp_doctor_engine::i18n::Translator;
use smtp_doctor_engine::kb::EntryKind;
use smtp_doctor_engine::lint::{self, output, refresh, translations, Day, LintOptions};
use smtp_doctor_engine::KbSource;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// List the entries with their ids and titles.
    List(ListArgs),
    /// Check the KB for every mistake that would make the tool wrong at run time.
    Lint(LintArgs),
    /// Run the KB's example cases; print a diff for each failure.
    Test(TestArgs),
    /// Translation status, and refreshing the fingerprints of reviewed translations.
    I18n(I18nArgs),
}

impl KbCommand {
    /// Only `kb lint` writes SARIF and GitHub annotations.
    pub fn accepts_lint_formats(&self) -> bool {
        matches!(self, KbCommand::Lint(_))
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this kind (method, symptom, code, cause, fix, rule, question, case).
    #[arg(long)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Fail (exit 1) on warnings too.
    Warnings,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// `--deny warnings`: warnings fail the lint as errors do.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Do not run the example cases.
    #[arg(long)]
    pub no_test: bool,
    /// Compare dates with this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Run only the cases whose id contains this text.
    pub case: Option<String>,
}

#[derive(Debug, Args)]
pub struct I18nArgs {
    /// Record the current English fingerprints in LANG's files (after reviewing the translations).
    #[arg(long, value_name = "LANG", conflicts_with = "status")]
    pub refresh: Option<String>,
    /// Per language: texts translated, missing, stale and orphaned.
    #[arg(long)]
    pub status: bool,
}

pub fn run(g: &GlobalArgs, c: &KbCommand) -> Result<i32, CliError> {
    match c {
        KbCommand::List(a) => list(g, a),
        KbCommand::Lint(a) => run_lint(g, a),
        KbCommand::Test(a) => run_test(g, a),
        KbCommand::I18n(a) => run_i18n(g, a),
    }
}

#[derive(Serialize)]
struct Row {
    kind: &'static str,
    id: String,
    title: String,
}

fn list(g: &GlobalArgs, a: &ListArgs) -> Result<i32, CliError> {
    let kind = match &a.kind {
        Some(k) => Some(EntryKind::parse(k).ok_or_else(|| {
            CliError::usage(format!(
                "unknown kind `{}` (method, symptom, code, cause, fix, rule, question, case)",
                k
            ))
        })?),
        None => None,
    };
    let (kb, _) = g.load_kb()?;
    let lang = g.lang();
    let tr = Translator::new(&kb, &lang);
    let rows: Vec<Row> = kb
        .titles()
        .into_iter()
        .filter(|(k, _, _)| kind.is_none_or(|w| w == *k))
        .map(|(k, id, title)| {
            let field = match k {
                EntryKind::Rule => "evidence",
                EntryKind::Question => "text",
                EntryKind::Case => "description",
                _ => "title",
            };
            Row {
                kind: k.prefix(),
                title: tr.text(&id, field, &title),
                id,
            }
        })
        .collect();
    let out = match g.format {
        Format::Json => to_json(&rows),
        Format::Markdown => {
            let mut o = String::from("| kind | id | title |\n|---|---|---|\n");
            for r in &rows {
                o.push_str(&format!("| {} | `{}` | {} |\n", r.kind, r.id, r.title.replace('|', "\\|")));
            }
            o
        }
        Format::Text => {
            let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(0);
            rows.iter().map(|r| format!("{:<w$}  {}\n", r.id, r.title, w = w)).collect()
        }
    };
    emit(&out)?;
    Ok(0)
}

fn source(g: &GlobalArgs) -> KbSource<'_> {
    match &g.kb {
        Some(dir) => KbSource::Dir(dir),
        None => KbSource::Embedded,
    }
}

fn run_lint(g: &GlobalArgs, a: &LintArgs) -> Result<i32, CliError> {
    let today = match &a.today {
        Some(d) => Day::parse(d).ok_or_else(|| CliError::usage(format!("--today `{}`: expected a date YYYY-MM-DD", d)))?,
        None => Day::today(),
    };
    let options = LintOptions {
        run_cases: !a.no_test,
        today,
    };
    let report = lint::lint(source(g), &options).map_err(|e| CliError::usage(format!("cannot lint the KB: {}", e)))?;
    let out = match g.format_arg {
        FormatArg::Text => output::text(&report, use_color()),
        FormatArg::Markdown => output::markdown(&report),
        FormatArg::Json => output::json(&report),
        FormatArg::Sarif => output::sarif(&report, env!("CARGO_PKG_VERSION")),
        FormatArg::Github => output::github(&report),
    };
    emit(&out)?;
    let failed = report.errors() > 0 || (a.deny == Some(Deny::Warnings) && report.warnings() > 0);
    Ok(i32::from(failed))
}

/// One expectation as a diff pair: "first cause: expected A, got B" gives
/// ("first cause: A", "first cause: B").
fn diff_pair(failure: &str) -> Option<(String, String)> {
    let (label, rest) = failure.split_once(": expected ")?;
    let (want, got) = rest.split_once(", ")?;
    let got = got.strip_prefix("got ").unwrap_or(got);
    Some((format!("{}: {}", label, want), format!("{}: {}", label, got)))
}

fn case_diff(r: &CaseResult) -> String {
    let mut o = format!("FAIL {} ({}:{})\n", r.id, r.file, r.line);
    o.push_str("  --- expected\n  +++ got\n");
    for f in &r.failures {
        match diff_pair(f) {
            Some((want, got)) => o.push_str(&format!("  - {}\n  + {}\n", want, got)),
            None => o.push_str(&format!("  ! {}\n", f)),
        }
    }
    o.push_str("  ranking got:\n");
    if r.got.is_empty() {
        o.push_str("    (no causes)\n");
    }
    for (i, line) in r.got.iter().enumerate() {
        o.push_str(&format!("    {}. {}\n", i + 1, line));
    }
    o
}

#[derive(Serialize)]
struct CaseOut<'a> {
    id: &'a str,
    file: &'a str,
    line: usize,
    passed: bool,
    failures: &'a [String],
    got: &'a [String],
}

fn run_test(g: &GlobalArgs, a: &TestArgs) -> Result<i32, CliError> {
    let (kb, _) = g.load_kb()?;
    let results = run_all(&kb, a.case.as_deref());
    if results.is_empty() {
        return Err(CliError::usage(match &a.case {
            Some(f) => format!("no example case id contains `{}` (`smtp-doctor kb list --kind case` lists them)", f),
            None => "the KB has no example cases".to_string(),
        }));
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    let passed = results.len() - failed;
    let out = match g.format {
        Format::Json => to_json(&serde_json::json!({
            "cases": results.iter().map(|r| CaseOut {
                id: &r.id, file: &r.file, line: r.line, passed: r.passed(), failures: &r.failures, got: &r.got,
            }).collect::<Vec<_>>(),
            "passed": passed,
            "failed": failed,
        })),
        Format::Text | Format::Markdown => {
            let mut o = String::new();
            for r in &results {
                if r.passed() {
                    o.push_str(&format!("ok   {}\n", r.id));
                } else {
                    o.push_str(&case_diff(r));
                }
            }
            o.push_str(&format!("{} passed, {} failed\n", passed, failed));
            o
        }
    };
    emit(&out)?;
    Ok(i32::from(failed > 0))
}

/// The directory `kb i18n --refresh` edits: `--kb`, else `./kb`.
fn kb_dir(g: &GlobalArgs) -> Result<PathBuf, CliError> {
    let dir = g.kb.clone().unwrap_or_else(|| PathBuf::from("kb"));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(CliError::usage(format!(
            "{}: not a directory; `kb i18n --refresh` edits KB files, give their directory with --kb DIR",
            dir.display()
        )))
    }
}

fn run_i18n(g: &GlobalArgs, a: &I18nArgs) -> Result<i32, CliError> {
    if let Some(lang) = &a.refresh {
        let dir = kb_dir(g)?;
        return refresh_lang(&dir, lang);
    }
    if !a.status {
        return Err(CliError::usage("give --status or --refresh LANG"));
    }
    let (raw, _, _) = lint::load_raw(&source(g)).map_err(|e| CliError::usage(format!("cannot read the KB: {}", e)))?;
    let statuses = translations::status(&raw);
    let out = match g.format {
        Format::Json => to_json(&statuses),
        Format::Text | Format::Markdown => {
            let mut o = String::new();
            for s in &statuses {
                o.push_str(&format!(
                    "{}: {}/{} translated, {} missing, {} stale, {} orphaned ({})\n",
                    s.lang,
                    s.translated,
                    s.total,
                    s.missing.len(),
                    s.stale.len(),
                    s.orphans.len(),
                    s.files.join(", ")
                ));
                for (what, keys) in [("missing", &s.missing), ("stale", &s.stale), ("orphaned", &s.orphans)] {
                    for k in keys {
                        o.push_str(&format!("  {:<8} {}\n", what, k));
                    }
                }
            }
            if statuses.is_empty() {
                o.push_str("the KB has no translations\n");
            }
            o
        }
    };
    emit(&out)?;
    Ok(0)
}

fn refresh_lang(dir: &Path, lang: &str) -> Result<i32, CliError> {
    let (raw, diags, _) = lint::load_raw(&KbSource::Dir(dir)).map_err(|e| CliError::usage(format!("cannot read the KB: {}", e)))?;
    if diags.has_errors() {
        return Err(CliError {
            message: format!(
                "the KB in {} does not load; fix it first (`smtp-doctor kb lint --kb {}`)",
                dir.display(),
                dir.display()
            ),
            exit: 2,
            details: diags.errors().map(|d| d.to_string()).take(20).collect(),
        });
    }
    let rewrites = refresh::refresh(&raw, lang).map_err(CliError::usage)?;
    let mut out = String::new();
    for r in &rewrites {
        let old = raw.files.iter().find(|f| f.path == r.path).map(|f| f.text.as_str());
        if old != Some(r.text.as_str()) {
            std::fs::write(&r.path, &r.text).map_err(|e| CliError::usage(format!("{}: {}", r.path, e)))?;
        }
        out.push_str(&format!("{}: {} fingerprint(s) updated\n", r.path, r.changed));
        for id in &r.skipped {
            out.push_str(&format!(
                "  skipped `{}`: written as a flow map; write it as a block to refresh it\n",
                id
            ));
        }
    }
    emit(&out)?;
    Ok(0)
}
