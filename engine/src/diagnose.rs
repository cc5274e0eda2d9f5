//! The diagnosis pipeline: classify what was observed (`observe`), derive facts
//! to a bounded fixpoint, gather evidence per cause from recognised code classes,
//! reported symptoms and diagnose rules, identify the sending method, then score
//! and rank (`score`) and build the report.

use crate::facts::Facts;
use crate::i18n::Translator;
use crate::kb::model::{Kb, RuleEffect};
use crate::kb::raw::Confidence;
use crate::observe::{observe, source_of, string_list};
use crate::placeholder;
use crate::report::*;
use crate::rules::{self, Outcome};
use crate::score::{self, CauseAcc};
use serde_json::Value;
use std::collections::BTreeMap;

/// Options for one diagnosis.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lang: String,
    pub trace: bool,
}

/// Who set a derived fact.
#[derive(Debug, Clone)]
struct Provenance {
    rule: String,
    confidence: f64,
    why: String,
}

/// Runs derive rules until nothing changes (bounded by the KB's `derive_max_passes`).
fn derive(kb: &Kb, facts: &mut Facts, trace: &mut Vec<TraceOut>) -> BTreeMap<String, Provenance> {
    let mut prov = BTreeMap::new();
    let derive_rules: Vec<_> = kb.rules.iter().filter(|r| matches!(r.effect, RuleEffect::Derive { .. })).collect();
    for _pass in 0..kb.settings.derive_max_passes.max(1) {
        let mut changed = false;
        for r in &derive_rules {
            let mut scope = rules::scope_for(facts);
            if rules::evaluate(&kb.engine, &mut scope, &r.ast, &r.reads, facts) != Outcome::True {
                continue;
            }
            let RuleEffect::Derive { set, confidence } = &r.effect else {
                continue;
            };
            for (path, value) in set {
                if facts.get(path) != Some(value) && facts.set(path, value.clone()).is_ok() {
                    changed = true;
                    prov.insert(
                        path.clone(),
                        Provenance {
                            rule: r.entry.value.id.clone(),
                            confidence: *confidence,
                            why: r.entry.value.why.clone().unwrap_or_default(),
                        },
                    );
                }
            }
        }
        if !changed {
            break;
        }
    }
    for r in &derive_rules {
        let mut scope = rules::scope_for(facts);
        trace.push(trace_of(
            &r.entry.value.id,
            rules::evaluate(&kb.engine, &mut scope, &r.ast, &r.reads, facts),
        ));
    }
    prov
}

fn trace_of(id: &str, o: Outcome) -> TraceOut {
    match o {
        Outcome::True => TraceOut {
            rule: id.into(),
            outcome: "true".into(),
            missing: vec![],
            error: None,
        },
        Outcome::False => TraceOut {
            rule: id.into(),
            outcome: "false".into(),
            missing: vec![],
            error: None,
        },
        Outcome::Undecided { missing, error } => TraceOut {
            rule: id.into(),
            outcome: "undecided".into(),
            missing,
            error,
        },
    }
}

fn cap(kb: &Kb, conf: Confidence, w: f64) -> f64 {
    if conf == Confidence::Unconfirmed {
        w.min(kb.settings.unconfirmed_weight_cap)
    } else {
        w
    }
}

/// Runs the whole pipeline on the facts.
pub fn diagnose(kb: &Kb, mut facts: Facts, opts: &Options) -> Report {
    let tr = Translator::new(kb, &opts.lang);
    let mut trace = Vec::new();
    observe(kb, &mut facts);
    let prov = derive(kb, &mut facts, &mut trace);

    // Evidence from code classes (once per class, at its first reply) and symptoms.
    let mut acc: BTreeMap<String, CauseAcc> = BTreeMap::new();
    let mut replies_out = Vec::new();
    let mut first_source: BTreeMap<String, Option<SourceOut>> = BTreeMap::new();
    if let Some(Value::Array(all)) = facts.get("observed.replies") {
        for r in all {
            let code_id = r.get("code_id").and_then(Value::as_str).map(str::to_string);
            let class = code_id.as_deref().and_then(|id| kb.code(id));
            let src = source_of(r);
            if let Some(id) = &code_id {
                first_source.entry(id.clone()).or_insert_with(|| src.clone());
            }
            replies_out.push(ReplyOut {
                code: r.get("code").and_then(Value::as_u64).map(|c| c as u16),
                enhanced: r.get("enhanced").and_then(Value::as_str).map(str::to_string),
                text: r.get("text").and_then(Value::as_str).unwrap_or("").to_string(),
                stage: r.get("stage").and_then(Value::as_str).unwrap_or("unknown").to_string(),
                code_title: class.map(|c| tr.text(&c.entry.value.id, "title", &c.entry.value.title)),
                confidence: class.map(|c| format!("{:?}", c.entry.value.confidence).to_lowercase()),
                code_id,
                nested: r.get("nested").and_then(Value::as_bool).unwrap_or(false),
                origin: r.get("origin").and_then(Value::as_str).unwrap_or("log").to_string(),
                source: src,
            });
        }
    }
    // Client errors carry code ids too; their source is their own line.
    for root in ["log", "probe"] {
        if let Some(Value::Array(errs)) = facts.get(&format!("{}.client_errors", root)) {
            for e in errs {
                if let Some(id) = e.get("code_id").and_then(Value::as_str) {
                    first_source.entry(id.to_string()).or_insert_with(|| source_of(e));
                }
            }
        }
    }
    let code_ids = string_list(&facts, "observed.code_ids");
    for id in &code_ids {
        let Some(class) = kb.code(id) else { continue };
        let c = &class.entry.value;
        for l in &c.suggests {
            acc.entry(l.cause.clone()).or_default().supports.push(EvidenceOut {
                kind: "code".into(),
                id: id.clone(),
                text: tr.text(id, "title", &c.title),
                weight: cap(kb, c.confidence, l.weight),
                source: first_source.get(id).cloned().flatten(),
            });
        }
    }
    let symptoms = string_list(&facts, "observed.symptoms");
    for id in &symptoms {
        let Some(s) = kb.symptom(id) else { continue };
        for l in &s.suggests {
            acc.entry(l.cause.clone()).or_default().supports.push(EvidenceOut {
                kind: "symptom".into(),
                id: id.clone(),
                text: tr.text(id, "title", &s.title),
                weight: l.weight,
                source: None,
            });
        }
    }

    // Diagnose rules.
    let mut undecided: Vec<(f64, Vec<String>)> = Vec::new();
    for t in &trace {
        if t.outcome == "undecided" && !t.missing.is_empty() {
            // A derive rule only matters while the facts it would set are still unknown.
            let conf = kb.rule(&t.rule).map(|r| match &r.effect {
                RuleEffect::Derive { confidence, set } if set.keys().any(|p| !facts.is_known(p)) => *confidence * 0.5,
                _ => 0.0,
            });
            undecided.push((conf.unwrap_or(0.0), t.missing.clone()));
        }
    }
    let mut scope = rules::scope_for(&facts);
    for r in kb.rules.iter().filter(|r| !matches!(r.effect, RuleEffect::Derive { .. })) {
        let o = rules::evaluate(&kb.engine, &mut scope, &r.ast, &r.reads, &facts);
        let id = r.entry.value.id.clone();
        match (&o, &r.effect) {
            (Outcome::True, RuleEffect::Supports { cause, weight }) => {
                let a = acc.entry(cause.clone()).or_default();
                let text = r
                    .entry
                    .value
                    .evidence
                    .as_deref()
                    .map(|e| placeholder::fill(&tr.text(&id, "evidence", e), &facts))
                    .unwrap_or_default();
                a.supports.push(EvidenceOut {
                    kind: "rule".into(),
                    id: id.clone(),
                    text,
                    weight: *weight,
                    source: None,
                });
                a.rules.push(id.clone());
            }
            (Outcome::True, RuleEffect::RulesOut { cause, weight }) => {
                acc.entry(cause.clone()).or_default().downs.push((id.clone(), *weight));
            }
            (Outcome::Undecided { missing, .. }, RuleEffect::Supports { weight, .. } | RuleEffect::RulesOut { weight, .. })
                if !missing.is_empty() =>
            {
                undecided.push((*weight, missing.clone()));
            }
            _ => {}
        }
        trace.push(trace_of(&id, o));
    }

    // Method.
    let method_id = facts.get(&kb.settings.method_fact).and_then(Value::as_str).map(str::to_string);
    let method = method_id.as_deref().and_then(|id| {
        let m = kb.method(id)?;
        let p = prov.get(&kb.settings.method_fact);
        Some(MethodOut {
            id: id.to_string(),
            title: tr.text(id, "title", &m.title),
            confidence: p.map(|p| p.confidence).unwrap_or(1.0),
            why: p
                .map(|p| placeholder::fill(&tr.text(&p.rule, "why", &p.why), &facts))
                .unwrap_or_else(|| tr.msg("report.method-given")),
        })
    });

    let causes = score::score_causes(kb, &tr, &facts, acc, method_id.as_deref());
    let fixes = score::rank_fixes(kb, &tr, &facts, &causes);
    let questions = score::pick_questions(kb, &tr, &facts, &undecided);

    Report {
        schema_version: SCHEMA_VERSION,
        lang: tr.lang().to_string(),
        method,
        replies: replies_out,
        causes,
        fixes,
        questions,
        facts: facts.as_value().clone(),
        trace: opts.trace.then_some(trace),
    }
}
