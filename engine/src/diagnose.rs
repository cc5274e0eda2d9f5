//! The diagnosis pipeline: classify replies, derive facts to a fixpoint, evaluate
//! diagnose rules, score causes, rank fixes, pick questions, build the report.
//!
//! Scoring: each piece of evidence for a cause (a recognised code class, a
//! reported symptom, a true diagnose rule) has a weight w; they combine by
//! noisy-OR, 1 - Π(1 - w). A true rule that rules a cause out with weight r
//! multiplies the score by (1 - r). A cause whose `applies_to` excludes the
//! identified method is multiplied by the KB's `method_mismatch_factor`. A fix
//! scores the best of (cause score × link weight × risk factor) over the causes
//! it fixes; equal scores put the lower risk first.

use crate::classify::ReplyView;
use crate::facts::Facts;
use crate::i18n::Translator;
use crate::kb::model::{Kb, RuleEffect};
use crate::kb::raw::{Confidence, Risk, Stage};
use crate::placeholder;
use crate::report::*;
use crate::rules::{self, Outcome};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Options for one diagnosis.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lang: String,
    pub trace: bool,
}

fn stage_of(s: &str) -> Option<Stage> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

fn source_of(v: &Value) -> Option<SourceOut> {
    let s = v.get("source")?;
    Some(SourceOut {
        file: s.get("file")?.as_str()?.to_string(),
        line: s.get("line")?.as_u64()? as usize,
    })
}

/// Classifies every reply and client error in `log` and `probe`, filling their
/// `code_id`, and computes `observed.*`.
pub fn observe(kb: &Kb, facts: &mut Facts) {
    let mut all_replies = Vec::new();
    let mut code_ids: Vec<String> = facts
        .get("observed.code_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut reply_codes = BTreeSet::new();
    let mut enhanced = BTreeSet::new();
    for root in ["log", "probe"] {
        let path = format!("{}.replies", root);
        if let Some(Value::Array(list)) = facts.get(&path).cloned() {
            let mut out = Vec::with_capacity(list.len());
            for mut r in list {
                let code = r.get("code").and_then(Value::as_u64).map(|c| c as u16);
                let enh = r.get("enhanced").and_then(Value::as_str).map(str::to_string);
                let text = r.get("text").and_then(Value::as_str).unwrap_or("").to_string();
                let stage = r.get("stage").and_then(Value::as_str).and_then(stage_of);
                let class = kb.classify_reply(&ReplyView {
                    code,
                    enhanced: enh.as_deref(),
                    text: &text,
                    stage,
                });
                let id = class.map(|c| c.entry.value.id.clone());
                if let Some(obj) = r.as_object_mut() {
                    obj.insert("code_id".into(), id.clone().map(Value::String).unwrap_or(Value::Null));
                }
                if let Some(id) = id {
                    code_ids.push(id);
                }
                if let Some(c) = code {
                    reply_codes.insert(c);
                }
                if let Some(e) = enh {
                    enhanced.insert(e);
                }
                all_replies.push(r.clone());
                out.push(r);
            }
            facts.set(&path, Value::Array(out)).expect("replies path");
        }
        let path = format!("{}.client_errors", root);
        if let Some(Value::Array(list)) = facts.get(&path).cloned() {
            let mut out = Vec::with_capacity(list.len());
            for mut e in list {
                let text = e.get("text").and_then(Value::as_str).unwrap_or("").to_string();
                let id = kb.classify_client_error(&text).map(|c| c.entry.value.id.clone());
                if let Some(obj) = e.as_object_mut() {
                    obj.insert("code_id".into(), id.clone().map(Value::String).unwrap_or(Value::Null));
                }
                if let Some(id) = id {
                    code_ids.push(id);
                }
                out.push(e);
            }
            facts.set(&path, Value::Array(out)).expect("client_errors path");
        }
    }
    let mut seen = BTreeSet::new();
    code_ids.retain(|c| seen.insert(c.clone()));
    facts.set("observed.code_ids", json!(code_ids)).expect("observed");
    facts.set("observed.reply_codes", json!(reply_codes)).expect("observed");
    facts.set("observed.enhanced_codes", json!(enhanced)).expect("observed");
    facts.set("observed.replies", Value::Array(all_replies)).expect("observed");
    if facts.get("observed.symptoms").is_none() {
        facts.set("observed.symptoms", json!([])).expect("observed");
    }
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

#[derive(Default)]
struct CauseAcc {
    supports: Vec<EvidenceOut>,
    rules: Vec<String>,
    downs: Vec<(String, f64)>,
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
    let code_ids: Vec<String> = facts
        .get("observed.code_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
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
    let symptoms: Vec<String> = facts
        .get("observed.symptoms")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
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

    // Scores.
    let mut causes: Vec<CauseOut> = Vec::new();
    for (order, c) in kb.causes.iter().enumerate() {
        let c = &c.value;
        let Some(a) = acc.remove(&c.id) else { continue };
        if a.supports.is_empty() {
            continue;
        }
        let mut score = 1.0 - a.supports.iter().map(|e| 1.0 - e.weight.clamp(0.0, 1.0)).product::<f64>();
        for (_, w) in &a.downs {
            score *= 1.0 - w.clamp(0.0, 1.0);
        }
        if let Some(m) = &method_id {
            if !c.applies_to.is_empty() && !c.applies_to.contains(m) {
                score *= kb.settings.method_mismatch_factor;
            }
        }
        if score < kb.settings.min_cause_score {
            continue;
        }
        let _ = order;
        causes.push(CauseOut {
            id: c.id.clone(),
            score: round3(score),
            title: tr.text(&c.id, "title", &c.title),
            explanation: placeholder::fill(&tr.text(&c.id, "explanation", &c.explanation), &facts),
            rules: a.rules,
            evidence: a.supports,
            ruled_down_by: a.downs.into_iter().map(|(r, _)| r).collect(),
            unconfirmed: c.confidence == Confidence::Unconfirmed,
        });
    }
    // Stable: equal scores keep KB order.
    causes.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal));
    causes.truncate(kb.settings.max_causes);

    // Fixes.
    let mut fix_scores: BTreeMap<String, (f64, Vec<String>, usize)> = BTreeMap::new();
    for (ci, c) in causes.iter().enumerate() {
        let Some(cause) = kb.cause(&c.id) else {
            continue;
        };
        for l in &cause.fixed_by {
            let Some(fix) = kb.fix(&l.fix) else { continue };
            let rf = kb.settings.risk_factor.get(fix.risk.as_str()).copied().unwrap_or(1.0);
            let s = c.score * l.weight * rf;
            let e = fix_scores.entry(l.fix.clone()).or_insert((0.0, Vec::new(), ci));
            if s > e.0 {
                e.0 = s;
            }
            e.1.push(c.id.clone());
            e.2 = e.2.min(ci);
        }
    }
    let mut ranked: Vec<(String, f64, Vec<String>, usize, Risk)> = fix_scores
        .into_iter()
        .filter_map(|(id, (s, f, ci))| kb.fix(&id).map(|fx| (id, round3(s), f, ci, fx.risk)))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.4.cmp(&b.4))
            .then(a.3.cmp(&b.3))
            .then(a.0.cmp(&b.0))
    });
    ranked.truncate(kb.settings.max_fixes);
    let fixes = ranked
        .into_iter()
        .enumerate()
        .map(|(i, (id, score, for_causes, _, _))| {
            let f = kb.fix(&id).expect("ranked fixes exist");
            FixOut {
                rank: i + 1,
                score,
                title: tr.text(&id, "title", &f.title),
                steps: tr
                    .list(&id, "steps", &f.steps)
                    .iter()
                    .map(|s| placeholder::fill(s, &facts))
                    .collect(),
                commands: f
                    .commands
                    .iter()
                    .map(|c| CommandOut {
                        shell: format!("{:?}", c.shell).to_lowercase(),
                        run: placeholder::fill_command(&c.run, &facts, c.shell),
                    })
                    .collect(),
                risk: f.risk.as_str().to_string(),
                warning: f.warning.as_deref().map(|w| tr.text(&id, "warning", w)),
                place: f.place.iter().map(|p| p.as_str().to_string()).collect(),
                for_causes,
                source: f.source.clone(),
                id,
            }
        })
        .collect();

    // Questions: weigh each unknown fact by the rules waiting on it.
    let mut q_weight: BTreeMap<String, f64> = BTreeMap::new();
    for (w, missing) in &undecided {
        for m in missing {
            *q_weight.entry(m.clone()).or_default() += w;
        }
    }
    let mut questions: Vec<(f64, QuestionOut)> = kb
        .questions
        .iter()
        .filter_map(|q| {
            let q = &q.value;
            let w = *q_weight.get(&q.fact)?;
            (w > 0.0 && !facts.is_known(&q.fact)).then(|| {
                (
                    w,
                    QuestionOut {
                        id: q.id.clone(),
                        fact: q.fact.clone(),
                        text: tr.text(&q.id, "text", &q.text),
                        answer_hint: q.answer_hint.clone(),
                    },
                )
            })
        })
        .collect();
    questions.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    questions.truncate(kb.settings.max_questions);

    Report {
        schema_version: SCHEMA_VERSION,
        lang: tr.lang().to_string(),
        method,
        replies: replies_out,
        causes,
        fixes,
        questions: questions.into_iter().map(|(_, q)| q).collect(),
        facts: facts.as_value().clone(),
        trace: opts.trace.then_some(trace),
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
