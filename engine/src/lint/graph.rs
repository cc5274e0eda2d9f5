//! Checks over the KB as a graph of links: reachability (a cause nothing can
//! suggest, a fix no cause uses, a question no rule needs), dated knowledge
//! (`review_by`, `valid_until`), high-risk fixes without a warning, and coverage
//! by example cases (and rules that duplicate each other).
//!
//! These are the mistakes that load fine and never fail a test: an entry that can
//! never show, or advice that silently went out of date.

use super::{Day, Findings};
use crate::kb::load::RawKb;
use crate::kb::raw::{Risk, RuleKind};
use std::collections::{BTreeMap, BTreeSet};

/// An entry with dates: (file, pointer, id, [valid_from, review_by, valid_until], still in use).
type Dated<'a> = (usize, &'a str, &'a str, [&'a Option<String>; 3], bool);

/// Runs the graph checks. `asts` holds the compiled condition of each raw rule
/// (None when it did not compile).
pub fn check(raw: &RawKb, asts: &[Option<rhai::AST>], today: Day, out: &mut Findings) {
    let pos = |file: usize, pointer: String| raw.files[file].pos(&pointer);

    // ---- who suggests whom
    let mut suggested: BTreeSet<&str> = BTreeSet::new();
    for c in &raw.codes {
        suggested.extend(c.value.suggests.iter().map(|l| l.cause.as_str()));
    }
    for s in &raw.symptoms {
        suggested.extend(s.value.suggests.iter().map(|l| l.cause.as_str()));
    }
    suggested.extend(raw.rules.iter().filter_map(|r| r.value.asserts.as_deref()));
    for c in &raw.causes {
        if !suggested.contains(c.value.id.as_str()) {
            out.warning(
                "unreachable-cause",
                pos(c.file, format!("{}/id", c.pointer)),
                format!("no rule, code or symptom suggests `{}`, so it can never be reported", c.value.id),
                "add a diagnose rule that `asserts:` it, or list it under a code's or symptom's `suggests:`",
            );
        }
    }
    let used_fixes: BTreeSet<&str> = raw
        .causes
        .iter()
        .flat_map(|c| c.value.fixed_by.iter().map(|l| l.fix.as_str()))
        .collect();
    for f in &raw.fixes {
        if !used_fixes.contains(f.value.id.as_str()) {
            out.warning(
                "unused-fix",
                pos(f.file, format!("{}/id", f.pointer)),
                format!("no cause lists `{}` under `fixed_by:`, so it is never offered", f.value.id),
                "link it from the cause it fixes, or remove it",
            );
        }
    }
    let reads: BTreeSet<String> = asts
        .iter()
        .flatten()
        .flat_map(|ast| crate::rules::analyze(ast).0.into_iter().map(|r| r.path))
        .collect();
    for q in &raw.questions {
        if !reads.contains(&q.value.fact) {
            out.warning(
                "unused-question",
                pos(q.file, format!("{}/fact", q.pointer)),
                format!("no rule reads `{}`, so `{}` is never asked", q.value.fact, q.value.id),
                "questions are asked for the unknown facts that undecided rules read",
            );
        }
    }

    // ---- risk
    for f in &raw.fixes {
        if f.value.risk == Risk::High && f.value.warning.as_deref().is_none_or(|w| w.trim().is_empty()) {
            out.error(
                "high-risk-without-warning",
                pos(f.file, format!("{}/risk", f.pointer)),
                format!("`{}` is high-risk but has no `warning:`", f.value.id),
                "say what can go wrong (security, mail flow) in `warning:`; the report shows it in capitals",
            );
        }
    }

    // ---- dated knowledge
    let methods_used: BTreeSet<String> = raw
        .causes
        .iter()
        .flat_map(|c| c.value.applies_to.iter().cloned())
        .chain(
            raw.rules
                .iter()
                .flat_map(|r| r.value.set.values().filter_map(|v| v.as_str().map(String::from))),
        )
        .collect();
    let mut dated: Vec<Dated> = Vec::new();
    for m in &raw.methods {
        let v = &m.value;
        dated.push((
            m.file,
            &m.pointer,
            &v.id,
            [&v.valid_from, &v.review_by, &v.valid_until],
            methods_used.contains(&v.id),
        ));
    }
    for c in &raw.codes {
        let v = &c.value;
        dated.push((
            c.file,
            &c.pointer,
            &v.id,
            [&v.valid_from, &v.review_by, &v.valid_until],
            !v.suggests.is_empty(),
        ));
    }
    for c in &raw.causes {
        let v = &c.value;
        dated.push((
            c.file,
            &c.pointer,
            &v.id,
            [&v.valid_from, &v.review_by, &v.valid_until],
            suggested.contains(v.id.as_str()),
        ));
    }
    for f in &raw.fixes {
        let v = &f.value;
        dated.push((
            f.file,
            &f.pointer,
            &v.id,
            [&v.valid_from, &v.review_by, &v.valid_until],
            used_fixes.contains(v.id.as_str()),
        ));
    }
    for (file, pointer, id, dates, in_use) in dated {
        for (field, value) in ["valid_from", "review_by", "valid_until"].into_iter().zip(dates) {
            let Some(text) = value else { continue };
            let at = pos(file, format!("{}/{}", pointer, field));
            let Some(day) = Day::parse(text) else {
                out.error(
                    "bad-date",
                    at,
                    format!("`{}`: {} `{}` is not a date", id, field, text),
                    "write dates as YYYY-MM-DD",
                );
                continue;
            };
            if day >= today {
                continue;
            }
            match field {
                "review_by" => out.warning(
                    "review-overdue",
                    at,
                    format!("`{}` was due for review on {}", id, text),
                    "re-check the entry against its `source:`, then move `review_by` forward",
                ),
                "valid_until" if in_use => out.error(
                    "expired-but-suggested",
                    at,
                    format!("`{}` stopped being true on {} but is still suggested", id, text),
                    "remove the links that suggest it, or update the entry and its `valid_until`",
                ),
                _ => {}
            }
        }
    }

    // ---- coverage by example cases
    let mut case_causes: BTreeSet<&str> = BTreeSet::new();
    let mut case_codes: BTreeSet<&str> = BTreeSet::new();
    for c in &raw.cases {
        let e = &c.value.expect;
        case_causes.extend(e.first.iter().chain(e.in_top.iter()).map(String::as_str));
        case_codes.extend(e.codes.iter().map(String::as_str));
    }
    for c in &raw.causes {
        if !case_causes.contains(c.value.id.as_str()) {
            out.warning(
                "cause-without-case",
                pos(c.file, format!("{}/id", c.pointer)),
                format!("no example case expects `{}` (in `expect.first` or `expect.in_top`)", c.value.id),
                "add a case to kb/cases/ with the input that shows this cause",
            );
        }
    }
    for c in &raw.codes {
        if !case_codes.contains(c.value.id.as_str()) {
            out.warning(
                "code-without-case",
                pos(c.file, format!("{}/id", c.pointer)),
                format!("no example case expects `{}` to be recognised (in `expect.codes`)", c.value.id),
                format!("add a case to kb/cases/ whose input holds a reply like: {}", c.value.example),
            );
        }
    }
    let mut seen: BTreeMap<(bool, &str, String), &str> = BTreeMap::new();
    for r in raw.rules.iter().filter(|r| r.value.kind == RuleKind::Diagnose) {
        let (supports, cause) = match (&r.value.asserts, &r.value.rules_out) {
            (Some(c), _) => (true, c.as_str()),
            (None, Some(c)) => (false, c.as_str()),
            _ => continue,
        };
        let condition = r.value.when.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(first) = seen.insert((supports, cause, condition), &r.value.id) {
            out.warning(
                "duplicate-rule",
                pos(r.file, format!("{}/when", r.pointer)),
                format!("`{}` has the same cause and condition as `{}`", r.value.id, first),
                "merge the two rules (their weights would count twice)",
            );
        }
    }
}
