//! Scoring and ranking. Each piece of evidence for a cause (a recognised code
//! class, a reported symptom, a true diagnose rule) has a weight w; they combine
//! by noisy-OR, 1 - Π(1 - w). A true rule that rules a cause out with weight r
//! multiplies the score by (1 - r). A cause whose `applies_to` excludes the
//! identified method is multiplied by the KB's `method_mismatch_factor`. A fix
//! scores the best of (cause score × link weight × risk factor) over the causes
//! it fixes; equal scores put the lower risk first. Questions are ranked by the
//! summed weight of the undecided rules waiting on their fact.

use crate::facts::Facts;
use crate::i18n::Translator;
use crate::kb::model::Kb;
use crate::kb::raw::{Confidence, Risk};
use crate::placeholder;
use crate::report::*;
use std::collections::BTreeMap;

/// The evidence gathered for one cause.
#[derive(Default)]
pub(crate) struct CauseAcc {
    pub supports: Vec<EvidenceOut>,
    pub rules: Vec<String>,
    pub downs: Vec<(String, f64)>,
}

/// Scores and orders the causes with evidence; drops those under the KB's minimum.
pub(crate) fn score_causes(
    kb: &Kb,
    tr: &Translator,
    facts: &Facts,
    mut acc: BTreeMap<String, CauseAcc>,
    method_id: Option<&str>,
) -> Vec<CauseOut> {
    let mut causes: Vec<CauseOut> = Vec::new();
    for c in &kb.causes {
        let c = &c.value;
        let Some(a) = acc.remove(&c.id) else { continue };
        if a.supports.is_empty() {
            continue;
        }
        let mut score = 1.0 - a.supports.iter().map(|e| 1.0 - e.weight.clamp(0.0, 1.0)).product::<f64>();
        for (_, w) in &a.downs {
            score *= 1.0 - w.clamp(0.0, 1.0);
        }
        if let Some(m) = method_id {
            if !c.applies_to.is_empty() && !c.applies_to.iter().any(|a| a == m) {
                score *= kb.settings.method_mismatch_factor;
            }
        }
        if score < kb.settings.min_cause_score {
            continue;
        }
        causes.push(CauseOut {
            id: c.id.clone(),
            score: round3(score),
            title: tr.text(&c.id, "title", &c.title),
            explanation: placeholder::fill(&tr.text(&c.id, "explanation", &c.explanation), facts),
            rules: a.rules,
            evidence: a.supports,
            ruled_down_by: a.downs.into_iter().map(|(r, _)| r).collect(),
            unconfirmed: c.confidence == Confidence::Unconfirmed,
        });
    }
    // Stable: equal scores keep KB order.
    causes.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal));
    causes.truncate(kb.settings.max_causes);
    causes
}

/// Ranks the fixes of the reported causes.
pub(crate) fn rank_fixes(kb: &Kb, tr: &Translator, facts: &Facts, causes: &[CauseOut]) -> Vec<FixOut> {
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
    ranked
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
                    .map(|s| placeholder::fill(s, facts))
                    .collect(),
                commands: f
                    .commands
                    .iter()
                    .map(|c| CommandOut {
                        shell: format!("{:?}", c.shell).to_lowercase(),
                        run: placeholder::fill_command(&c.run, facts, c.shell),
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
        .collect()
}

/// The questions whose facts the undecided rules wait on, most important first.
pub(crate) fn pick_questions(kb: &Kb, tr: &Translator, facts: &Facts, undecided: &[(f64, Vec<String>)]) -> Vec<QuestionOut> {
    let mut q_weight: BTreeMap<String, f64> = BTreeMap::new();
    for (w, missing) in undecided {
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
    questions.into_iter().map(|(_, q)| q).collect()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
