//! The compiled KB: entries that passed validation, with links resolved, code
//! matchers prepared and rule conditions compiled. Only `compile.rs` builds it,
//! so the evaluator never sees an entry with a dangling link or a broken condition.

use super::load::{Located, RawKb};
use super::raw::*;
use crate::rules::FactRead;
use std::collections::{BTreeMap, HashMap};

/// The kinds of KB entry, told apart by the id prefix (`cause.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Method,
    Symptom,
    Code,
    Cause,
    Fix,
    Rule,
    Question,
    Case,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Method,
        EntryKind::Symptom,
        EntryKind::Code,
        EntryKind::Cause,
        EntryKind::Fix,
        EntryKind::Rule,
        EntryKind::Question,
        EntryKind::Case,
    ];
    pub fn prefix(self) -> &'static str {
        match self {
            EntryKind::Method => "method",
            EntryKind::Symptom => "symptom",
            EntryKind::Code => "code",
            EntryKind::Cause => "cause",
            EntryKind::Fix => "fix",
            EntryKind::Rule => "rule",
            EntryKind::Question => "question",
            EntryKind::Case => "case",
        }
    }
    pub fn from_id(id: &str) -> Option<EntryKind> {
        let p = id.split('.').next()?;
        EntryKind::ALL.into_iter().find(|k| k.prefix() == p)
    }
    pub fn parse(name: &str) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.prefix() == name || format!("{}s", k.prefix()) == name || (name == "fixes" && *k == EntryKind::Fix))
    }
}

/// An enhanced-code pattern: exact, or an inclusive range within one class.subject.
#[derive(Debug, Clone, PartialEq)]
pub enum EnhancedPattern {
    Exact(String),
    Range { class_subject: String, from: u32, to: u32 },
}

impl EnhancedPattern {
    pub fn parse(s: &str) -> Option<EnhancedPattern> {
        let valid = |c: &str| {
            let parts: Vec<&str> = c.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        };
        match s.split_once('-') {
            None => valid(s).then(|| EnhancedPattern::Exact(s.to_string())),
            Some((a, b)) => {
                if !valid(a) || !valid(b) {
                    return None;
                }
                let (ca, da) = a.rsplit_once('.')?;
                let (cb, db) = b.rsplit_once('.')?;
                let (from, to) = (da.parse().ok()?, db.parse().ok()?);
                (ca == cb && from <= to).then(|| EnhancedPattern::Range {
                    class_subject: ca.to_string(),
                    from,
                    to,
                })
            }
        }
    }
    pub fn matches(&self, code: &str) -> bool {
        match self {
            EnhancedPattern::Exact(e) => e == code,
            EnhancedPattern::Range { class_subject, from, to } => code
                .rsplit_once('.')
                .is_some_and(|(cs, d)| cs == class_subject && d.parse::<u32>().is_ok_and(|d| d >= *from && d <= *to)),
        }
    }
}

/// A code class ready to match replies.
#[derive(Debug, Clone)]
pub struct CodeClass {
    pub entry: Located<RawCode>,
    pub enhanced: Vec<EnhancedPattern>,
    /// Lower-cased phrases.
    pub text_any: Vec<String>,
    pub text_all: Vec<String>,
    pub text_none: Vec<String>,
    /// How specific the match is; the most specific matching class wins.
    pub specificity: u32,
}

/// What a diagnose rule does to its cause.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleEffect {
    /// Sets facts (derive stratum).
    Derive {
        set: BTreeMap<String, serde_json::Value>,
        confidence: f64,
    },
    Supports {
        cause: String,
        weight: f64,
    },
    RulesOut {
        cause: String,
        weight: f64,
    },
}

/// A rule with its compiled condition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub entry: Located<RawRule>,
    pub ast: rhai::AST,
    pub reads: Vec<FactRead>,
    pub effect: RuleEffect,
}

/// The checked knowledge base.
pub struct Kb {
    pub methods: Vec<Located<RawMethod>>,
    pub symptoms: Vec<Located<RawSymptom>>,
    pub codes: Vec<CodeClass>,
    pub causes: Vec<Located<RawCause>>,
    pub fixes: Vec<Located<RawFix>>,
    /// Derive rules first, then diagnose rules, each in KB order.
    pub rules: Vec<Rule>,
    pub questions: Vec<Located<RawQuestion>>,
    pub cases: Vec<Located<RawCase>>,
    pub settings: RawSettings,
    pub messages: BTreeMap<String, String>,
    pub translations: BTreeMap<String, TranslationFile>,
    pub engine: rhai::Engine,
    /// The loaded files and raw entries, for lint and positions.
    pub raw: RawKb,
    pub(crate) index: HashMap<String, (EntryKind, usize)>,
}

impl Kb {
    fn lookup(&self, id: &str, kind: EntryKind) -> Option<usize> {
        self.index.get(id).filter(|(k, _)| *k == kind).map(|(_, i)| *i)
    }
    pub fn method(&self, id: &str) -> Option<&RawMethod> {
        self.lookup(id, EntryKind::Method).map(|i| &self.methods[i].value)
    }
    pub fn symptom(&self, id: &str) -> Option<&RawSymptom> {
        self.lookup(id, EntryKind::Symptom).map(|i| &self.symptoms[i].value)
    }
    pub fn code(&self, id: &str) -> Option<&CodeClass> {
        self.lookup(id, EntryKind::Code).map(|i| &self.codes[i])
    }
    pub fn cause(&self, id: &str) -> Option<&RawCause> {
        self.lookup(id, EntryKind::Cause).map(|i| &self.causes[i].value)
    }
    pub fn fix(&self, id: &str) -> Option<&RawFix> {
        self.lookup(id, EntryKind::Fix).map(|i| &self.fixes[i].value)
    }
    pub fn question(&self, id: &str) -> Option<&RawQuestion> {
        self.lookup(id, EntryKind::Question).map(|i| &self.questions[i].value)
    }
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.lookup(id, EntryKind::Rule).map(|i| &self.rules[i])
    }
    /// The kind of an id, if the KB defines it.
    pub fn kind_of(&self, id: &str) -> Option<EntryKind> {
        self.index.get(id).map(|(k, _)| *k)
    }
    /// All ids with their kind and English title, in KB order per kind.
    pub fn titles(&self) -> Vec<(EntryKind, String, String)> {
        let mut out = Vec::new();
        out.extend(
            self.methods
                .iter()
                .map(|e| (EntryKind::Method, e.value.id.clone(), e.value.title.clone())),
        );
        out.extend(
            self.symptoms
                .iter()
                .map(|e| (EntryKind::Symptom, e.value.id.clone(), e.value.title.clone())),
        );
        out.extend(
            self.codes
                .iter()
                .map(|e| (EntryKind::Code, e.entry.value.id.clone(), e.entry.value.title.clone())),
        );
        out.extend(
            self.causes
                .iter()
                .map(|e| (EntryKind::Cause, e.value.id.clone(), e.value.title.clone())),
        );
        out.extend(
            self.fixes
                .iter()
                .map(|e| (EntryKind::Fix, e.value.id.clone(), e.value.title.clone())),
        );
        out.extend(self.rules.iter().map(|r| {
            let t = r
                .entry
                .value
                .evidence
                .clone()
                .or_else(|| r.entry.value.why.clone())
                .unwrap_or_default();
            (EntryKind::Rule, r.entry.value.id.clone(), t)
        }));
        out.extend(
            self.questions
                .iter()
                .map(|e| (EntryKind::Question, e.value.id.clone(), e.value.text.clone())),
        );
        out.extend(
            self.cases
                .iter()
                .map(|e| (EntryKind::Case, e.value.id.clone(), e.value.description.clone())),
        );
        out
    }
}
