//! `smtp-doctor explain`: what a reply code, an enhanced code or a KB id means,
//! and what fixes it.

use super::common::{emit, to_json, CliError, Format, GlobalArgs};
use clap::Args;
use serde::Serialize;
use smtp_doctor_engine::classify::ReplyView;
use smtp_doctor_engine::i18n::Translator;
use smtp_doctor_engine::kb::model::{EnhancedPattern, EntryKind};
use smtp_doctor_engine::{reply, Kb};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// `535`, `5.7.139`, a whole reply, or an id such as `cause.tls-legacy`.
    pub what: String,
}

#[derive(Debug, Serialize)]
struct Explained {
    id: String,
    kind: String,
    title: String,
    explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    example: Option<String>,
    causes: Vec<Linked>,
    fixes: Vec<FixBrief>,
    source: String,
}

#[derive(Debug, Serialize)]
struct Linked {
    id: String,
    title: String,
}

#[derive(Debug, Serialize)]
struct FixBrief {
    id: String,
    title: String,
    risk: String,
    steps: Vec<String>,
    commands: Vec<String>,
    warning: Option<String>,
}

fn fix_brief(kb: &Kb, tr: &Translator, id: &str) -> Option<FixBrief> {
    let f = kb.fix(id)?;
    Some(FixBrief {
        id: id.into(),
        title: tr.text(id, "title", &f.title),
        risk: f.risk.as_str().into(),
        steps: tr.list(id, "steps", &f.steps),
        commands: f.commands.iter().map(|c| c.run.clone()).collect(),
        warning: f.warning.as_deref().map(|w| tr.text(id, "warning", w)),
    })
}

fn explain_cause(kb: &Kb, tr: &Translator, id: &str) -> Option<Explained> {
    let c = kb.cause(id)?;
    Some(Explained {
        id: id.into(),
        kind: "cause".into(),
        title: tr.text(id, "title", &c.title),
        explanation: tr.text(id, "explanation", &c.explanation),
        example: None,
        causes: vec![],
        fixes: c.fixed_by.iter().filter_map(|l| fix_brief(kb, tr, &l.fix)).collect(),
        source: c.source.clone(),
    })
}

fn explain_id(kb: &Kb, tr: &Translator, id: &str) -> Option<Explained> {
    let linked = |ids: Vec<&String>| -> Vec<Linked> {
        ids.into_iter()
            .filter_map(|c| {
                kb.cause(c).map(|x| Linked {
                    id: c.clone(),
                    title: tr.text(c, "title", &x.title),
                })
            })
            .collect()
    };
    let fixes_of = |causes: &[Linked]| -> Vec<FixBrief> {
        let mut seen = Vec::new();
        for c in causes {
            for l in kb.cause(&c.id).map(|c| c.fixed_by.clone()).unwrap_or_default() {
                if !seen.contains(&l.fix) {
                    seen.push(l.fix.clone());
                }
            }
        }
        seen.iter().filter_map(|f| fix_brief(kb, tr, f)).collect()
    };
    match kb.kind_of(id)? {
        EntryKind::Cause => explain_cause(kb, tr, id),
        EntryKind::Code => {
            let c = &kb.code(id)?.entry.value;
            let causes = linked(c.suggests.iter().map(|l| &l.cause).collect());
            Some(Explained {
                id: id.into(),
                kind: "code".into(),
                title: tr.text(id, "title", &c.title),
                explanation: tr.text(id, "explanation", &c.explanation),
                example: Some(c.example.clone()),
                fixes: fixes_of(&causes),
                causes,
                source: c.source.clone(),
            })
        }
        EntryKind::Symptom => {
            let s = kb.symptom(id)?;
            let causes = linked(s.suggests.iter().map(|l| &l.cause).collect());
            Some(Explained {
                id: id.into(),
                kind: "symptom".into(),
                title: tr.text(id, "title", &s.title),
                explanation: tr.text(id, "explanation", &s.explanation),
                example: None,
                fixes: fixes_of(&causes),
                causes,
                source: s.source.clone(),
            })
        }
        EntryKind::Fix => {
            let f = kb.fix(id)?;
            let causes: Vec<Linked> = kb
                .causes
                .iter()
                .filter(|c| c.value.fixed_by.iter().any(|l| l.fix == id))
                .map(|c| Linked {
                    id: c.value.id.clone(),
                    title: tr.text(&c.value.id, "title", &c.value.title),
                })
                .collect();
            Some(Explained {
                id: id.into(),
                kind: "fix".into(),
                title: tr.text(id, "title", &f.title),
                explanation: tr.list(id, "steps", &f.steps).join("\n"),
                example: None,
                causes,
                fixes: fix_brief(kb, tr, id).into_iter().collect(),
                source: f.source.clone(),
            })
        }
        EntryKind::Method => {
            let m = kb.method(id)?;
            Some(Explained {
                id: id.into(),
                kind: "method".into(),
                title: tr.text(id, "title", &m.title),
                explanation: tr.text(id, "explanation", &m.explanation),
                example: None,
                causes: kb
                    .causes
                    .iter()
                    .filter(|c| c.value.applies_to.iter().any(|a| a == id))
                    .map(|c| Linked {
                        id: c.value.id.clone(),
                        title: tr.text(&c.value.id, "title", &c.value.title),
                    })
                    .collect(),
                fixes: vec![],
                source: m.source.clone(),
            })
        }
        EntryKind::Question | EntryKind::Rule | EntryKind::Case => None,
    }
}

/// Code classes a query names: a reply code, an enhanced code, or a whole reply.
fn codes_for(kb: &Kb, q: &str) -> Vec<String> {
    let q = q.trim();
    if q.len() == 3 && q.bytes().all(|b| b.is_ascii_digit()) {
        let n: u16 = q.parse().unwrap_or(0);
        return kb
            .codes
            .iter()
            .filter(|c| c.entry.value.matcher.reply.contains(&n))
            .map(|c| c.entry.value.id.clone())
            .collect();
    }
    if EnhancedPattern::parse(q).is_some() && !q.contains('-') {
        return kb
            .codes
            .iter()
            .filter(|c| c.enhanced.iter().any(|p| p.matches(q)))
            .map(|c| c.entry.value.id.clone())
            .collect();
    }
    let mut out = Vec::new();
    for r in reply::parse_reply(q) {
        let view = ReplyView {
            code: r.code,
            enhanced: r.enhanced.as_deref(),
            text: &r.text,
            stage: None,
        };
        if let Some(c) = kb.classify_reply(&view) {
            if !out.contains(&c.entry.value.id) {
                out.push(c.entry.value.id.clone());
            }
        }
    }
    out
}

pub fn run(g: &GlobalArgs, a: &ExplainArgs) -> Result<i32, CliError> {
    let (kb, _) = g.load_kb()?;
    let lang = g.lang();
    let tr = Translator::new(&kb, &lang);
    let ids: Vec<String> = if kb.kind_of(&a.what).is_some() {
        vec![a.what.clone()]
    } else {
        codes_for(&kb, &a.what)
    };
    let items: Vec<Explained> = ids.iter().filter_map(|id| explain_id(&kb, &tr, id)).collect();
    if items.is_empty() {
        return Err(CliError::usage(format!(
            "nothing in the knowledge base matches `{}` (try a reply code like 535, an enhanced code like 5.7.139, or an id from `smtp-doctor kb list`)",
            a.what
        )));
    }
    let out = match g.format {
        Format::Json => to_json(&items),
        Format::Text | Format::Markdown => {
            let md = g.format == Format::Markdown;
            let mut o = String::new();
            for e in &items {
                if md {
                    o.push_str(&format!("## {} (`{}`)\n\n{}\n\n", e.title, e.id, e.explanation));
                } else {
                    o.push_str(&format!("{}  [{}]\n", e.title, e.id));
                    for l in e.explanation.lines() {
                        o.push_str(&format!("  {}\n", l));
                    }
                }
                if let Some(x) = &e.example {
                    o.push_str(&format!("  {} {}\n", tr.msg("explain.example"), x));
                }
                if !e.causes.is_empty() {
                    o.push_str(&format!("  {}\n", tr.msg("explain.causes")));
                    for c in &e.causes {
                        o.push_str(&format!("    - {} [{}]\n", c.title, c.id));
                    }
                }
                if !e.fixes.is_empty() {
                    o.push_str(&format!("  {}\n", tr.msg("explain.fixes")));
                    for f in &e.fixes {
                        o.push_str(&format!(
                            "    - {} [{}] ({} {})\n",
                            f.title,
                            f.id,
                            tr.msg("report.risk"),
                            tr.msg(&format!("risk.{}", f.risk))
                        ));
                        if let Some(w) = &f.warning {
                            o.push_str(&format!("      {} {}\n", tr.msg("report.warning"), w));
                        }
                        for c in &f.commands {
                            o.push_str(&format!("      > {}\n", c));
                        }
                    }
                }
                o.push_str(&format!("  {} {}\n\n", tr.msg("explain.source"), e.source));
            }
            o
        }
    };
    emit(&out)?;
    Ok(0)
}
