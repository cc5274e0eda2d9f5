//! The log fixtures, tested as data: every file under `tests/fixtures/logs/`
//! has a sidecar `<file>.expect.yaml` saying the detected format, the stage of
//! every reply, the replies, the client error kinds, the facts, and (when the
//! KB can tell) the first-ranked cause. One test walks the folder and names
//! every file that differs.
//!
//! `SMTP_DOCTOR_UPDATE_FIXTURES=1 cargo test --test logparse_fixtures` rewrites
//! the sidecars from what the parser finds (keeping `first_cause`); review the
//! diff before committing it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smtp_doctor_engine::logparse::{self, ParsedLog};
use smtp_doctor_engine::{diagnose, load_kb, InputBuilder, KbSource, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a fixture must give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The main format detected.
    format: String,
    /// The stage of every reply, in order.
    stages: Vec<String>,
    /// Every reply: line, code, enhanced code, stage and the start of its text.
    replies: Vec<ExpectReply>,
    /// Kinds of the client-side errors, in order.
    #[serde(default)]
    client_errors: Vec<String>,
    /// Every `log.*` fact besides replies, errors and formats (a fact not listed must stay unset).
    #[serde(default)]
    facts: BTreeMap<String, Value>,
    /// The cause the diagnosis must rank first (needs the KB entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectReply {
    line: usize,
    code: Option<u16>,
    enhanced: Option<String>,
    stage: String,
    text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nested: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/logs")
}

/// Every fixture file (not the sidecars), sorted.
fn fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("fixtures dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                // `_pending/` holds real-client output the parser does not handle yet (no sidecar).
                if !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_')) {
                    walk(&p, out);
                }
            } else if !p.to_string_lossy().ends_with(".expect.yaml") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&root(), &mut v);
    v.sort();
    v
}

fn sidecar(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}.expect.yaml", p.display()))
}

fn text_start(t: &str) -> String {
    let first = t.lines().next().unwrap_or("");
    first.chars().take(50).collect()
}

fn actual(parsed: &ParsedLog, first_cause: Option<String>) -> Expect {
    let facts: BTreeMap<String, Value> = parsed
        .fact_values()
        .into_iter()
        .filter(|(n, _)| !matches!(*n, "replies" | "client_errors" | "formats"))
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    Expect {
        format: parsed.format().to_string(),
        stages: parsed.facts.replies.iter().map(|r| r.stage.as_str().to_string()).collect(),
        replies: parsed
            .facts
            .replies
            .iter()
            .map(|r| ExpectReply {
                line: r.reply.line,
                code: r.reply.code,
                enhanced: r.reply.enhanced.clone(),
                stage: r.stage.as_str().to_string(),
                text: text_start(&r.reply.text),
                nested: r.reply.nested,
            })
            .collect(),
        client_errors: parsed.facts.client_errors.iter().map(|e| e.kind.clone()).collect(),
        facts,
        first_cause,
    }
}

fn parse_file(p: &Path) -> ParsedLog {
    let f = std::fs::File::open(p).expect("fixture");
    let name = p.strip_prefix(root()).unwrap_or(p).display().to_string();
    logparse::parse_reader(std::io::BufReader::new(f), &name).expect("readable")
}

fn load_expect(p: &Path) -> Result<Expect, String> {
    let text = std::fs::read_to_string(sidecar(p)).map_err(|e| format!("no sidecar {}: {}", sidecar(p).display(), e))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: {}", sidecar(p).display(), e))
}

#[test]
fn every_fixture_parses_as_its_sidecar_says() {
    let update = std::env::var_os("SMTP_DOCTOR_UPDATE_FIXTURES").is_some();
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() >= 48, "expected the 48 real samples and more, found {}", all.len());
    for p in &all {
        let parsed = parse_file(p);
        let expect = load_expect(p);
        if update {
            let keep = expect.as_ref().ok().and_then(|e| e.first_cause.clone());
            let header = format!(
                "# What the parser must find in {}; regenerate with SMTP_DOCTOR_UPDATE_FIXTURES=1 and review.\n",
                p.file_name().unwrap().to_string_lossy()
            );
            let body = serde_yaml::to_string(&actual(&parsed, keep)).expect("yaml");
            std::fs::write(sidecar(p), format!("{}{}", header, body)).expect("write sidecar");
            continue;
        }
        let expect = match expect {
            Ok(e) => e,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let got = actual(&parsed, expect.first_cause.clone());
        if got != expect {
            let mut why = Vec::new();
            if got.format != expect.format {
                why.push(format!("format {} (expected {})", got.format, expect.format));
            }
            if got.stages != expect.stages {
                why.push(format!("stages {:?} (expected {:?})", got.stages, expect.stages));
            }
            if got.replies != expect.replies && got.stages == expect.stages {
                for (g, e) in got.replies.iter().zip(&expect.replies) {
                    if g != e {
                        why.push(format!("reply {:?} (expected {:?})", g, e));
                    }
                }
            }
            if got.client_errors != expect.client_errors {
                why.push(format!(
                    "client errors {:?} (expected {:?})",
                    got.client_errors, expect.client_errors
                ));
            }
            for k in got
                .facts
                .keys()
                .chain(expect.facts.keys())
                .collect::<std::collections::BTreeSet<_>>()
            {
                if got.facts.get(k) != expect.facts.get(k) {
                    why.push(format!("log.{} = {:?} (expected {:?})", k, got.facts.get(k), expect.facts.get(k)));
                }
            }
            failures.push(format!("{}:\n    {}", p.display(), why.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_ranks_the_expected_cause_first() {
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb");
    let kb = match load_kb(KbSource::Dir(&kb_dir)) {
        Ok((kb, _)) => kb,
        Err(d) => panic!("the KB does not load: {:?}", d.errors().map(|e| e.to_string()).collect::<Vec<_>>()),
    };
    let mut failures = Vec::new();
    for p in fixtures() {
        let Ok(expect) = load_expect(&p) else { continue };
        let Some(want) = expect.first_cause else { continue };
        let text = logparse::decode(&std::fs::read(&p).expect("fixture"));
        let mut b = InputBuilder::new();
        b.log(&text, &p.display().to_string());
        let report = diagnose(
            &kb,
            b.finish(),
            &Options {
                lang: "en".into(),
                trace: false,
            },
        );
        let got: Vec<String> = report.causes.iter().take(3).map(|c| c.id.clone()).collect();
        if got.first() != Some(&want) {
            failures.push(format!("{}: first cause {:?} (expected {})", p.display(), got, want));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) rank another cause first:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
