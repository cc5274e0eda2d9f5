//! From raw entries to the checked `Kb`: id and link checks, code matchers, rule
//! compilation. Every problem is a diagnostic with the position of the offending
//! value; a KB with errors is not returned (the caller prints the diagnostics).

use super::load::{KbFile, KbSource, Located, RawKb, SchemaSet};
use super::model::*;
use super::raw::*;
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::rules;
use crate::suggest::did_you_mean;
use std::collections::{BTreeMap, HashMap};

/// Loads and compiles a KB. `Err` carries the diagnostics when any is an error
/// (or when the source itself cannot be read).
pub fn load_kb(source: KbSource) -> Result<(Kb, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::default();
    let files: Vec<KbFile> = match source.files(&mut diags) {
        Ok(f) => f,
        Err(msg) => {
            diags.push(Diagnostic::error("kb-unreadable", SourcePos::file_only(""), msg));
            return Err(diags);
        }
    };
    let schemas = SchemaSet::embedded();
    let raw = RawKb::load(files, &schemas, &mut diags);
    let kb = compile(raw, &mut diags);
    match kb {
        Some(kb) if !diags.has_errors() => Ok((kb, diags)),
        _ => Err(diags),
    }
}

struct Ctx<'a> {
    raw: &'a RawKb,
    diags: &'a mut Diagnostics,
    index: HashMap<String, (EntryKind, usize)>,
}

impl Ctx<'_> {
    fn pos(&self, file: usize, pointer: &str) -> SourcePos {
        self.raw.files[file].pos(pointer)
    }

    fn register(&mut self, id: &str, kind: EntryKind, i: usize, file: usize, pointer: &str) {
        let pos = self.pos(file, &format!("{}/id", pointer));
        let well_formed = id
            .strip_prefix(kind.prefix())
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
            });
        if !well_formed {
            self.diags.push(
                Diagnostic::error(
                    "bad-id",
                    pos.clone(),
                    format!("id `{}` must look like `{}.<name>` (lower-case, digits, - . _)", id, kind.prefix()),
                )
                .with_help(format!("entries in this file are {} entries", kind.prefix())),
            );
        }
        if let Some((k, _)) = self.index.get(id) {
            self.diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    pos,
                    format!("id `{}` is already defined (as a {} entry)", id, k.prefix()),
                )
                .with_help("ids are unique across all KB files"),
            );
            return;
        }
        self.index.insert(id.to_string(), (kind, i));
    }

    /// Checks that `target` is an id of `kind`; `at` is the JSON pointer of the link.
    fn link(&mut self, file: usize, at: &str, target: &str, kind: EntryKind) {
        match self.index.get(target) {
            Some((k, _)) if *k == kind => {}
            Some((k, _)) => self.diags.push(Diagnostic::error(
                "wrong-link-kind",
                self.pos(file, at),
                format!("`{}` is a {} entry, expected a {} here", target, k.prefix(), kind.prefix()),
            )),
            None => {
                let help = did_you_mean(target, self.index.keys().filter(|k| k.starts_with(kind.prefix())));
                let mut d = Diagnostic::error(
                    "dangling-link",
                    self.pos(file, at),
                    format!("no {} entry `{}`", kind.prefix(), target),
                );
                if let Some(h) = help {
                    d = d.with_help(format!("did you mean `{}`?", h));
                }
                self.diags.push(d);
            }
        }
    }

    fn weight(&mut self, file: usize, at: &str, w: f64) {
        if !(w > 0.0 && w <= 1.0) {
            self.diags.push(Diagnostic::error(
                "bad-weight",
                self.pos(file, at),
                format!("weight {} is outside 0 < w <= 1", w),
            ));
        }
    }
}

fn compile_code(c: &Located<RawCode>, ctx: &mut Ctx) -> CodeClass {
    let m = &c.value.matcher;
    let mut enhanced = Vec::new();
    for (i, e) in m.enhanced.iter().enumerate() {
        match EnhancedPattern::parse(e) {
            Some(p) => enhanced.push(p),
            None => ctx.diags.push(
                Diagnostic::error(
                    "bad-code-match",
                    ctx.pos(c.file, &format!("{}/match/enhanced/{}", c.pointer, i)),
                    format!("`{}` is not an enhanced status code or range", e),
                )
                .with_help("write `5.7.139` or a range within one class.subject, `5.7.606-5.7.649`"),
            ),
        }
    }
    if m.reply.is_empty() && m.enhanced.is_empty() && m.text_any.is_empty() && m.text_all.is_empty() {
        ctx.diags.push(Diagnostic::error(
            "bad-code-match",
            ctx.pos(c.file, &format!("{}/match", c.pointer)),
            "a code class must match on at least one of reply, enhanced, text_any, text_all",
        ));
    }
    let lower = |v: &Vec<String>| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
    let specificity = u32::from(!m.reply.is_empty())
        + enhanced
            .iter()
            .map(|e| if matches!(e, EnhancedPattern::Exact(_)) { 3 } else { 2 })
            .max()
            .unwrap_or(0)
        + if m.text_any.is_empty() { 0 } else { 5 }
        + 5 * m.text_all.len() as u32
        + u32::from(!m.stages.is_empty());
    CodeClass {
        entry: c.clone(),
        enhanced,
        text_any: lower(&m.text_any),
        text_all: lower(&m.text_all),
        text_none: lower(&m.text_none),
        specificity,
    }
}

fn compile_rule(r: &Located<RawRule>, engine: &rhai::Engine, ctx: &mut Ctx) -> Option<Rule> {
    let v = &r.value;
    let at = |f: &str| format!("{}/{}", r.pointer, f);
    let ast = match engine.compile_expression(&v.when) {
        Ok(a) => a,
        Err(e) => {
            let mut pos = ctx.pos(r.file, &at("when"));
            // Point inside the condition when it is written on the same line as `when:`.
            if let Some(c) = e.1.position() {
                if !v.when.contains('\n') && pos.col > 0 {
                    pos.col += c.saturating_sub(1);
                } else if let Some(l) = e.1.line() {
                    pos.line += l.saturating_sub(1);
                }
            }
            ctx.diags.push(
                Diagnostic::error("rhai-syntax", pos, format!("condition does not compile: {}", e.0))
                    .with_help("a condition is one Rhai expression giving true or false"),
            );
            return None;
        }
    };
    let (reads, _) = rules::analyze(&ast);
    let effect = match v.kind {
        RuleKind::Derive => {
            if v.set.is_empty() || v.asserts.is_some() || v.rules_out.is_some() {
                ctx.diags.push(Diagnostic::error(
                    "bad-rule",
                    ctx.pos(r.file, &r.pointer),
                    "a derive rule needs `set:` and no `asserts`/`rules_out`",
                ));
                return None;
            }
            for k in v.set.keys() {
                if !k.starts_with("derived.") || k.len() <= "derived.".len() {
                    ctx.diags.push(Diagnostic::error(
                        "bad-rule",
                        ctx.pos(r.file, &at("set")),
                        format!("derive rules may only set `derived.*` facts, not `{}`", k),
                    ));
                }
            }
            let confidence = v.confidence.unwrap_or(1.0);
            ctx.weight(r.file, &at("confidence"), confidence);
            RuleEffect::Derive {
                set: v.set.clone(),
                confidence,
            }
        }
        RuleKind::Diagnose => {
            let weight = v.weight.unwrap_or(0.0);
            if !v.set.is_empty() {
                ctx.diags.push(Diagnostic::error(
                    "bad-rule",
                    ctx.pos(r.file, &at("set")),
                    "a diagnose rule cannot `set:` facts; use a derive rule",
                ));
            }
            match (&v.asserts, &v.rules_out) {
                (Some(c), None) => {
                    ctx.link(r.file, &at("asserts"), c, EntryKind::Cause);
                    ctx.weight(r.file, &at("weight"), weight);
                    RuleEffect::Supports { cause: c.clone(), weight }
                }
                (None, Some(c)) => {
                    ctx.link(r.file, &at("rules_out"), c, EntryKind::Cause);
                    ctx.weight(r.file, &at("weight"), weight);
                    RuleEffect::RulesOut { cause: c.clone(), weight }
                }
                _ => {
                    ctx.diags.push(Diagnostic::error(
                        "bad-rule",
                        ctx.pos(r.file, &r.pointer),
                        "a diagnose rule needs exactly one of `asserts` or `rules_out`, and a `weight`",
                    ));
                    return None;
                }
            }
        }
    };
    Some(Rule {
        entry: r.clone(),
        ast,
        reads,
        effect,
    })
}

/// Compiles raw entries. Returns `None` when nothing usable could be built.
pub fn compile(raw: RawKb, diags: &mut Diagnostics) -> Option<Kb> {
    let mut ctx = Ctx {
        raw: &raw,
        diags,
        index: HashMap::new(),
    };
    macro_rules! reg {
        ($list:expr, $kind:expr) => {
            for (i, e) in $list.iter().enumerate() {
                ctx.register(&e.value.id, $kind, i, e.file, &e.pointer);
            }
        };
    }
    reg!(raw.methods, EntryKind::Method);
    reg!(raw.symptoms, EntryKind::Symptom);
    reg!(raw.codes, EntryKind::Code);
    reg!(raw.causes, EntryKind::Cause);
    reg!(raw.fixes, EntryKind::Fix);
    reg!(raw.questions, EntryKind::Question);
    reg!(raw.cases, EntryKind::Case);
    // Rules are indexed after compilation (derive first), so register ids separately below.

    for s in &raw.symptoms {
        for (i, l) in s.value.suggests.iter().enumerate() {
            let at = format!("{}/suggests/{}", s.pointer, i);
            ctx.link(s.file, &format!("{}/cause", at), &l.cause, EntryKind::Cause);
            ctx.weight(s.file, &format!("{}/weight", at), l.weight);
        }
    }
    let codes: Vec<CodeClass> = raw.codes.iter().map(|c| compile_code(c, &mut ctx)).collect();
    for c in &raw.codes {
        for (i, l) in c.value.suggests.iter().enumerate() {
            let at = format!("{}/suggests/{}", c.pointer, i);
            ctx.link(c.file, &format!("{}/cause", at), &l.cause, EntryKind::Cause);
            ctx.weight(c.file, &format!("{}/weight", at), l.weight);
        }
    }
    for c in &raw.causes {
        for (i, l) in c.value.fixed_by.iter().enumerate() {
            let at = format!("{}/fixed_by/{}", c.pointer, i);
            ctx.link(c.file, &format!("{}/fix", at), &l.fix, EntryKind::Fix);
            ctx.weight(c.file, &format!("{}/weight", at), l.weight);
        }
        for (i, m) in c.value.applies_to.iter().enumerate() {
            ctx.link(c.file, &format!("{}/applies_to/{}", c.pointer, i), m, EntryKind::Method);
        }
    }
    for case in &raw.cases {
        let e = &case.value.expect;
        let p = |f: &str| format!("{}/expect/{}", case.pointer, f);
        if let Some(c) = &e.first {
            ctx.link(case.file, &p("first"), c, EntryKind::Cause);
        }
        for (i, c) in e.in_top.iter().enumerate() {
            ctx.link(case.file, &p(&format!("in_top/{}", i)), c, EntryKind::Cause);
        }
        for (i, c) in e.absent.iter().enumerate() {
            ctx.link(case.file, &p(&format!("absent/{}", i)), c, EntryKind::Cause);
        }
        if let Some(m) = &e.method {
            ctx.link(case.file, &p("method"), m, EntryKind::Method);
        }
        if let Some(f) = &e.first_fix {
            ctx.link(case.file, &p("first_fix"), f, EntryKind::Fix);
        }
        for (i, c) in e.codes.iter().enumerate() {
            ctx.link(case.file, &p(&format!("codes/{}", i)), c, EntryKind::Code);
        }
        for (i, q) in e.questions.iter().enumerate() {
            ctx.link(case.file, &p(&format!("questions/{}", i)), q, EntryKind::Question);
        }
        for (i, s) in case.value.input.symptoms.iter().enumerate() {
            ctx.link(case.file, &format!("{}/input/symptoms/{}", case.pointer, i), s, EntryKind::Symptom);
        }
    }

    let engine = rules::build_engine();
    let mut compiled: Vec<Rule> = raw.rules.iter().filter_map(|r| compile_rule(r, &engine, &mut ctx)).collect();
    // Derive rules run first; stable sort keeps KB order within each stratum.
    compiled.sort_by_key(|r| !matches!(r.effect, RuleEffect::Derive { .. }));
    for (i, r) in compiled.iter().enumerate() {
        ctx.register(&r.entry.value.id.clone(), EntryKind::Rule, i, r.entry.file, &r.entry.pointer);
    }

    let settings = match raw.settings.as_slice() {
        [one] => Some(one.value.clone()),
        [] => {
            ctx.diags.push(
                Diagnostic::error("missing-settings", SourcePos::file_only("kb"), "the KB has no `settings:` file")
                    .with_help("add kb/settings.yaml"),
            );
            None
        }
        [_, second, ..] => {
            ctx.diags.push(Diagnostic::error(
                "duplicate-settings",
                second.pos.clone(),
                "a second `settings:` file; the KB has exactly one",
            ));
            None
        }
    };
    let mut messages = BTreeMap::new();
    for m in &raw.messages {
        messages.extend(m.value.messages.clone());
    }
    // A language may be split over several files; an entry field translated twice is an error.
    let mut translations: BTreeMap<String, TranslationFile> = BTreeMap::new();
    for t in &raw.translations {
        let Some(merged) = translations.get_mut(&t.value.lang) else {
            translations.insert(t.value.lang.clone(), t.value.clone());
            continue;
        };
        for (id, fields) in &t.value.entries {
            let target = merged.entries.entry(id.clone()).or_default();
            for (field, text) in fields {
                if field == "fp" {
                    let fp = target.entry("fp".to_string()).or_insert_with(|| serde_json::json!({}));
                    if let (Some(into), Some(from)) = (fp.as_object_mut(), text.as_object()) {
                        into.extend(from.clone());
                    }
                    continue;
                }
                if target.contains_key(field) {
                    let pos = ctx.pos(t.file, &format!("/entries/{}/{}", id, field));
                    let msg = format!("`{}.{}` is already translated to `{}` in another file", id, field, t.value.lang);
                    ctx.diags.push(Diagnostic::error("duplicate-translation", pos, msg));
                    continue;
                }
                target.insert(field.clone(), text.clone());
            }
        }
        for (k, v) in &t.value.messages {
            if merged.messages.insert(k.clone(), v.clone()).is_some() {
                let msg = format!("message `{}` is already translated to `{}` in another file", k, t.value.lang);
                ctx.diags.push(Diagnostic::error("duplicate-translation", t.pos.clone(), msg));
            }
        }
        merged.messages_fp.extend(t.value.messages_fp.clone());
    }
    let index = std::mem::take(&mut ctx.index);
    let settings = settings?;
    Some(Kb {
        methods: raw.methods.clone(),
        symptoms: raw.symptoms.clone(),
        codes,
        causes: raw.causes.clone(),
        fixes: raw.fixes.clone(),
        rules: compiled,
        questions: raw.questions.clone(),
        cases: raw.cases.clone(),
        settings,
        messages,
        translations,
        engine,
        raw,
        index,
    })
}
