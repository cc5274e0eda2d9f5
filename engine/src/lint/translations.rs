//! Translation checks, per language: texts not translated yet (one warning with
//! the count), translations of entries, fields or messages that no longer exist,
//! placeholders that differ from the English, lists with another shape, and
//! translations whose English source changed since they were written.
//!
//! Staleness works like gettext's fuzzy marks: beside each translated field sits
//! `fp: {field: <fingerprint of the English it was translated from>}` (and
//! `messages_fp` for report messages). When the English changes, the fingerprint
//! no longer matches; `kb i18n --refresh LANG` records the current ones after review.

use super::Findings;
use crate::i18n::fingerprint;
use crate::kb::load::RawKb;
use crate::suggest::did_you_mean;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An English source text: a plain text, or a list (a fix's `steps`).
#[derive(Debug, Clone, PartialEq)]
pub enum English {
    Text(String),
    List(Vec<String>),
}

impl English {
    /// The fingerprint stored in `fp:`; a list is fingerprinted as its lines joined.
    pub fn fingerprint(&self) -> String {
        match self {
            English::Text(t) => fingerprint(t),
            English::List(items) => fingerprint(&items.join("\n")),
        }
    }
}

/// A translatable field of an entry.
#[derive(Debug, Clone)]
pub struct Source {
    /// Counted as missing when not translated (a case's description is optional).
    pub required: bool,
    pub text: English,
}

/// Every translatable English text: entry id -> field -> source.
pub fn english(raw: &RawKb) -> BTreeMap<String, BTreeMap<&'static str, Source>> {
    let mut out: BTreeMap<String, BTreeMap<&'static str, Source>> = BTreeMap::new();
    let mut add = |id: &str, field: &'static str, text: English, required: bool| {
        out.entry(id.to_string()).or_default().insert(field, Source { required, text });
    };
    let t = |s: &String| English::Text(s.clone());
    for m in &raw.methods {
        add(&m.value.id, "title", t(&m.value.title), true);
        add(&m.value.id, "explanation", t(&m.value.explanation), true);
    }
    for s in &raw.symptoms {
        add(&s.value.id, "title", t(&s.value.title), true);
        add(&s.value.id, "explanation", t(&s.value.explanation), true);
    }
    for c in &raw.codes {
        add(&c.value.id, "title", t(&c.value.title), true);
        add(&c.value.id, "explanation", t(&c.value.explanation), true);
    }
    for c in &raw.causes {
        add(&c.value.id, "title", t(&c.value.title), true);
        add(&c.value.id, "explanation", t(&c.value.explanation), true);
    }
    for f in &raw.fixes {
        add(&f.value.id, "title", t(&f.value.title), true);
        add(&f.value.id, "steps", English::List(f.value.steps.clone()), true);
        if let Some(w) = &f.value.warning {
            add(&f.value.id, "warning", t(w), true);
        }
    }
    for r in &raw.rules {
        if let Some(e) = &r.value.evidence {
            add(&r.value.id, "evidence", t(e), true);
        }
        if let Some(w) = &r.value.why {
            add(&r.value.id, "why", t(w), true);
        }
    }
    for q in &raw.questions {
        add(&q.value.id, "text", t(&q.value.text), true);
    }
    for c in &raw.cases {
        add(&c.value.id, "description", t(&c.value.description), false);
    }
    out
}

/// The English report messages by key.
pub fn english_messages(raw: &RawKb) -> BTreeMap<String, String> {
    raw.messages.iter().flat_map(|m| m.value.messages.clone()).collect()
}

/// One language's state, for `kb i18n --status`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LangStatus {
    pub lang: String,
    pub files: Vec<String>,
    /// Required texts (entry fields and messages) and how many are translated.
    pub total: usize,
    pub translated: usize,
    /// `id.field` or `messages.key`.
    pub missing: Vec<String>,
    pub stale: Vec<String>,
    pub orphans: Vec<String>,
}

/// `{a}, {b}` or `none`, for messages.
fn show(p: &[String]) -> String {
    if p.is_empty() {
        "none".into()
    } else {
        p.iter().map(|x| format!("`{{{}}}`", x)).collect::<Vec<_>>().join(", ")
    }
}

fn placeholders(text: &str) -> Vec<String> {
    let mut p: Vec<String> = crate::placeholder::find(text).into_iter().map(|(_, path, _)| path).collect();
    p.sort();
    p
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

/// Each language's translated, missing, stale and orphaned texts.
pub fn status(raw: &RawKb) -> Vec<LangStatus> {
    check(raw, &mut Findings::default())
}

/// Checks every translation file; also returns the per-language status.
pub(crate) fn check(raw: &RawKb, out: &mut Findings) -> Vec<LangStatus> {
    let english = english(raw);
    let messages = english_messages(raw);
    let mut langs: BTreeMap<String, (LangStatus, BTreeSet<String>, usize)> = BTreeMap::new();
    for t in &raw.translations {
        let file = &raw.files[t.file];
        let lang = &t.value.lang;
        let (status, done, _) = langs.entry(lang.clone()).or_insert_with(|| {
            let s = LangStatus {
                lang: lang.clone(),
                ..LangStatus::default()
            };
            (s, BTreeSet::new(), t.file)
        });
        status.files.push(file.path.clone());
        for (id, fields) in &t.value.entries {
            let entry_ptr = format!("/entries/{}", id.replace('~', "~0").replace('/', "~1"));
            let key_pos = |ptr: &str, key: &str| {
                let (l, c) = file.index.locate_key(ptr, key).unwrap_or_else(|| file.index.locate(ptr));
                crate::diag::SourcePos::new(file.path.clone(), l, c)
            };
            let Some(sources) = english.get(id) else {
                out.error(
                    "translation-orphan",
                    key_pos("/entries", id),
                    format!("`{}` translates `{}`, which is no longer in the KB", lang, id),
                    match did_you_mean(id, english.keys()) {
                        Some(s) => format!("did you mean `{}`? otherwise delete the translation", s),
                        None => "delete the translation (the entry was removed or renamed)".into(),
                    },
                );
                status.orphans.push(id.clone());
                continue;
            };
            let fps = fields.get("fp").and_then(Value::as_object);
            for (field, value) in fields.iter().filter(|(f, _)| *f != "fp") {
                let key = format!("{}.{}", id, field);
                let Some(source) = sources.get(field.as_str()) else {
                    let names: Vec<String> = sources.keys().map(|s| s.to_string()).collect();
                    out.error(
                        "translation-orphan",
                        key_pos(&entry_ptr, field),
                        format!("`{}` translates `{}`, but `{}` has no English `{}`", lang, key, id, field),
                        format!("translatable fields of `{}`: {}", id, names.join(", ")),
                    );
                    status.orphans.push(key);
                    continue;
                };
                if is_blank(value) {
                    continue;
                }
                let at = file.pos(&format!("{}/{}", entry_ptr, field));
                let shape_ok = match (&source.text, value) {
                    (English::Text(en), Value::String(tr)) => {
                        if placeholders(en) != placeholders(tr) {
                            out.error(
                                "translation-placeholder",
                                at.clone(),
                                format!(
                                    "`{}` of `{}` has placeholders {}; the English has {}",
                                    lang,
                                    key,
                                    show(&placeholders(tr)),
                                    show(&placeholders(en))
                                ),
                                "keep every `{fact.path}` of the English (the fallback after `|` may be translated)",
                            );
                        }
                        true
                    }
                    (English::List(en), Value::Array(tr)) if en.len() == tr.len() => {
                        for (i, (e, t)) in en.iter().zip(tr).enumerate() {
                            let t = t.as_str().unwrap_or("");
                            if placeholders(e) != placeholders(t) {
                                out.error(
                                    "translation-placeholder",
                                    file.pos(&format!("{}/{}/{}", entry_ptr, field, i)),
                                    format!(
                                        "`{}` of `{}` step {} has placeholders {}; the English has {}",
                                        lang,
                                        key,
                                        i + 1,
                                        show(&placeholders(t)),
                                        show(&placeholders(e))
                                    ),
                                    "keep every `{fact.path}` of the English (the fallback after `|` may be translated)",
                                );
                            }
                        }
                        true
                    }
                    (English::List(en), Value::Array(tr)) => {
                        out.error(
                            "translation-shape",
                            at.clone(),
                            format!("`{}` of `{}` has {} steps; the English has {}", lang, key, tr.len(), en.len()),
                            "translate step by step; until the counts match, the English steps are shown",
                        );
                        false
                    }
                    (English::List(_), _) => {
                        out.error(
                            "translation-shape",
                            at.clone(),
                            format!("`{}` of `{}` must be a list of steps", lang, key),
                            "write one item per English step",
                        );
                        false
                    }
                    (English::Text(_), _) => {
                        out.error(
                            "translation-shape",
                            at.clone(),
                            format!("`{}` of `{}` must be a text", lang, key),
                            "write the translation as one string",
                        );
                        false
                    }
                };
                if !shape_ok {
                    continue;
                }
                if source.required {
                    done.insert(key.clone());
                }
                let current = source.text.fingerprint();
                match fps.and_then(|m| m.get(field.as_str())).and_then(Value::as_str) {
                    Some(fp) if fp == current => {}
                    recorded => {
                        let (pos, msg) = match recorded {
                            Some(_) => (
                                file.pos(&format!("{}/fp/{}", entry_ptr, field)),
                                format!("the English of `{}` changed since the `{}` translation was written", key, lang),
                            ),
                            None => (
                                at.clone(),
                                format!("the `{}` translation of `{}` has no fingerprint of its English", lang, key),
                            ),
                        };
                        out.warning(
                            "translation-stale",
                            pos,
                            msg,
                            format!("review it against the English, then run `smtp-doctor kb i18n --refresh {}`", lang),
                        );
                        status.stale.push(key);
                    }
                }
            }
        }
        for (k, text) in &t.value.messages {
            let key = format!("messages.{}", k);
            let Some(en) = messages.get(k) else {
                let (l, c) = file.index.locate_key("/messages", k).unwrap_or((1, 1));
                out.error(
                    "translation-orphan",
                    crate::diag::SourcePos::new(file.path.clone(), l, c),
                    format!("`{}` translates message `{}`, which kb/messages.yaml no longer has", lang, k),
                    match did_you_mean(k, messages.keys()) {
                        Some(s) => format!("did you mean `{}`?", s),
                        None => "delete the translation".into(),
                    },
                );
                status.orphans.push(key);
                continue;
            };
            let at = file.pos(&format!("/messages/{}", k.replace('~', "~0").replace('/', "~1")));
            if placeholders(en) != placeholders(text) {
                out.error(
                    "translation-placeholder",
                    at.clone(),
                    format!(
                        "`{}` of message `{}` has placeholders {}; the English has {}",
                        lang,
                        k,
                        show(&placeholders(text)),
                        show(&placeholders(en))
                    ),
                    "keep every `{fact.path}` of the English",
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            done.insert(key.clone());
            let current = fingerprint(en);
            match t.value.messages_fp.get(k) {
                Some(fp) if *fp == current => {}
                recorded => {
                    let pos = match recorded {
                        Some(_) => file.pos(&format!("/messages_fp/{}", k)),
                        None => at,
                    };
                    out.warning(
                        "translation-stale",
                        pos,
                        match recorded {
                            Some(_) => format!(
                                "the English of message `{}` changed since the `{}` translation was written",
                                k, lang
                            ),
                            None => format!("the `{}` translation of message `{}` has no fingerprint of its English", lang, k),
                        },
                        format!("review it against the English, then run `smtp-doctor kb i18n --refresh {}`", lang),
                    );
                    status.stale.push(key);
                }
            }
        }
    }
    let mut required: Vec<String> = english
        .iter()
        .flat_map(|(id, fields)| fields.iter().filter(|(_, s)| s.required).map(move |(f, _)| format!("{}.{}", id, f)))
        .collect();
    required.extend(messages.keys().map(|k| format!("messages.{}", k)));
    let mut result = Vec::new();
    for (_, (mut status, done, first_file)) in langs {
        status.total = required.len();
        status.missing = required.iter().filter(|k| !done.contains(*k)).cloned().collect();
        status.translated = status.total - status.missing.len();
        if !status.missing.is_empty() {
            let file = &raw.files[first_file];
            let shown: Vec<&str> = status.missing.iter().take(3).map(String::as_str).collect();
            out.warning(
                "translation-missing",
                file.pos("/lang"),
                format!(
                    "`{}`: {} of {} texts are not translated and show in English ({}{})",
                    status.lang,
                    status.missing.len(),
                    status.total,
                    shown.join(", "),
                    if status.missing.len() > 3 { ", ..." } else { "" }
                ),
                "`smtp-doctor kb i18n --status` lists them all",
            );
        }
        result.push(status);
    }
    result
}
