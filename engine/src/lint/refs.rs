//! References from KB text to facts and functions: the fact paths a rule's `when:`
//! reads, the functions it calls, the `{fact.path}` placeholders in texts and
//! commands, and the fact each question sets.
//!
//! A misspelt fact is the most dangerous KB mistake: the rule compiles, the fact
//! is simply never known, and the rule stays undecided forever. So every path
//! must be declared by `schemas/facts.schema.json`, be a `derived.*` fact that
//! some derive rule sets, or an `answers.*` fact that some question sets
//! (`probe` is open by design).

use super::span::{char_offset, pos_in_value};
use super::Findings;
use crate::facts::{declared_paths, ROOTS};
use crate::kb::load::{Located, RawKb};
use crate::kb::raw::{RawRule, RuleKind};
use crate::rules::{self, BUILTIN_METHODS, HELPERS};
use crate::suggest::did_you_mean;
use rhai::{ASTNode, Expr, AST};
use std::collections::BTreeSet;

/// Roots under which any name is allowed: probes grow without schema changes.
const OPEN_ROOTS: [&str; 1] = ["probe"];

/// The facts a KB may refer to.
pub struct FactCatalog {
    declared: BTreeSet<String>,
    /// Declared paths with declared children (objects); reading below any other
    /// declared path (a leaf) is the leaf's business, not a typo.
    parents: BTreeSet<String>,
    /// `derived.*` paths set by derive rules.
    derived: BTreeSet<String>,
    /// `answers.*` paths set by questions.
    answers: BTreeSet<String>,
}

impl FactCatalog {
    pub fn new(raw: &RawKb) -> FactCatalog {
        let declared = declared_paths();
        let parents = declared
            .iter()
            .filter_map(|p| p.rsplit_once('.').map(|(a, _)| a.to_string()))
            .collect();
        let derived = raw
            .rules
            .iter()
            .filter(|r| r.value.kind == RuleKind::Derive)
            .flat_map(|r| r.value.set.keys().cloned())
            .collect();
        let answers = crate::facts::answer_paths(&raw.questions).map(String::from).collect();
        FactCatalog {
            declared,
            parents,
            derived,
            answers,
        }
    }

    /// `Ok` when `path` names a fact, else the closest known path (if any is close).
    pub fn check(&self, path: &str) -> Result<(), Option<String>> {
        let root = path.split('.').next().unwrap_or("");
        if OPEN_ROOTS.contains(&root) {
            return Ok(());
        }
        if root == "answers" {
            return if self.answers.contains(path) {
                Ok(())
            } else {
                Err(did_you_mean(path, self.answers.iter()))
            };
        }
        if root == "derived" {
            let ok = self
                .derived
                .iter()
                .any(|k| k == path || path.starts_with(&format!("{}.", k)) || k.starts_with(&format!("{}.", path)));
            return if ok { Ok(()) } else { Err(did_you_mean(path, self.derived.iter())) };
        }
        if self.declared.contains(path) {
            return Ok(());
        }
        let mut p = path;
        while let Some((parent, _)) = p.rsplit_once('.') {
            if self.declared.contains(parent) && !self.parents.contains(parent) {
                return Ok(());
            }
            p = parent;
        }
        Err(did_you_mean(path, self.declared.iter().chain(self.derived.iter())))
    }
}

fn unknown_fact_help(suggestion: Option<String>) -> String {
    let base = "facts are declared in schemas/facts.schema.json; `derived.*` facts by a derive rule's `set:`, `answers.*` facts by a question's `fact:`";
    match suggestion {
        Some(s) => format!("did you mean `{}`? ({})", s, base),
        None => base.to_string(),
    }
}

/// A variable or a call found in a condition (fact reads come from `rules::analyze`,
/// the same walk the evaluator uses to name missing facts).
enum Use {
    Variable {
        name: String,
        pos: rhai::Position,
    },
    Call {
        name: String,
        args: usize,
        method: bool,
        pos: rhai::Position,
    },
    /// `"device.port" in known`: the string names a fact.
    KnownTest {
        path: String,
        pos: rhai::Position,
    },
}

fn uses(ast: &AST) -> Vec<Use> {
    let mut out = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        // `a in b` compiles to `contains(b, a)`.
        if let Some(ASTNode::Expr(Expr::FnCall(f, _)) | ASTNode::Stmt(rhai::Stmt::FnCall(f, _))) = path.last() {
            if let (true, [Expr::Variable(v, ..), Expr::StringConstant(s, pos)]) = (f.name == "contains", f.args.as_slice()) {
                if v.1 == "known" {
                    out.push(Use::KnownTest {
                        path: s.to_string(),
                        pos: *pos,
                    });
                }
            }
        }
        match path.last() {
            Some(ASTNode::Expr(Expr::Variable(v, _, pos))) => out.push(Use::Variable {
                name: v.1.to_string(),
                pos: *pos,
            }),
            // A call that is the whole condition is a statement, not an expression.
            Some(ASTNode::Expr(Expr::FnCall(f, pos)) | ASTNode::Stmt(rhai::Stmt::FnCall(f, pos))) if f.op_token.is_none() => {
                out.push(Use::Call {
                    name: f.name.to_string(),
                    args: f.args.len(),
                    method: false,
                    pos: *pos,
                })
            }
            Some(ASTNode::Expr(Expr::MethodCall(f, pos))) => out.push(Use::Call {
                name: f.name.to_string(),
                args: f.args.len() + 1,
                method: true,
                pos: *pos,
            }),
            _ => {}
        }
        true
    });
    out
}

/// Checks one rule's condition: it compiles, and the facts it reads, the
/// variables it names and the functions it calls exist. Returns the compiled AST.
///
/// `compile.rs` reports syntax errors too, but places them only roughly (it does
/// not see inside block scalars); lint reports its own, placed at the error, and
/// drops the loader's copy.
pub fn check_rule(raw: &RawKb, r: &Located<RawRule>, engine: &rhai::Engine, facts: &FactCatalog, out: &mut Findings) -> Option<AST> {
    let file = &raw.files[r.file];
    let ptr = format!("{}/when", r.pointer);
    let when = &r.value.when;
    let at = |p: rhai::Position, back: usize| {
        let off = char_offset(when, p.line().unwrap_or(1), p.position().unwrap_or(1)).saturating_sub(back);
        pos_in_value(file, &ptr, when, off)
    };
    let ast = match engine.compile_expression(when) {
        Ok(ast) => ast,
        Err(e) => {
            out.error(
                "rhai-syntax",
                at(e.1, 0),
                format!("condition does not compile: {}", e.0),
                "a condition is one Rhai expression giving true or false",
            );
            return None;
        }
    };
    let (reads, _) = rules::analyze(&ast);
    for read in reads.iter().filter(|r| r.path.contains('.')) {
        if let Err(suggestion) = facts.check(&read.path) {
            // The read's position is its first `.`; point at the root name before it.
            let root_len = read.path.split('.').next().map_or(0, |s| s.chars().count());
            out.error(
                "unknown-fact",
                at(read.pos, root_len),
                format!("`{}` reads `{}`, which is not a declared fact", r.value.id, read.path),
                unknown_fact_help(suggestion),
            );
        }
    }
    for u in uses(&ast) {
        match u {
            Use::Variable { name, pos } => {
                if !ROOTS.contains(&name.as_str()) && name != "known" {
                    let roots: Vec<String> = ROOTS.iter().map(|s| s.to_string()).chain(["known".to_string()]).collect();
                    let help = match did_you_mean(&name, roots.iter()) {
                        Some(s) => format!(
                            "did you mean `{}`? conditions start from a facts root: {}, known",
                            s,
                            ROOTS.join(", ")
                        ),
                        None => format!("conditions start from a facts root: {}, known", ROOTS.join(", ")),
                    };
                    out.error(
                        "unknown-fact",
                        at(pos, 0),
                        format!("`{}` uses `{}`, which is not a facts root", r.value.id, name),
                        help,
                    );
                }
            }
            Use::KnownTest { path, pos } => {
                if let Err(suggestion) = facts.check(&path) {
                    out.error(
                        "unknown-fact",
                        at(pos, 0),
                        format!("`{}` tests whether `{}` is known, but it is not a declared fact", r.value.id, path),
                        unknown_fact_help(suggestion),
                    );
                }
            }
            Use::Call { name, args, method, pos } => {
                // Operators (`!`, `-`) come through as calls with symbol names.
                if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    continue;
                }
                let helper = HELPERS.iter().find(|(n, _, _)| *n == name);
                let problem = match helper {
                    Some((_, arity, usage)) if *arity != args => Some(format!("takes {} argument(s): {}", arity, usage)),
                    Some(_) => None,
                    None if BUILTIN_METHODS.contains(&name.as_str()) => None,
                    None => {
                        let known: Vec<String> = HELPERS
                            .iter()
                            .map(|h| h.0)
                            .chain(BUILTIN_METHODS.iter().copied())
                            .map(String::from)
                            .collect();
                        Some(match did_you_mean(&name, known.iter()) {
                            Some(s) => format!("did you mean `{}`? (kb/README.md lists the helpers)", s),
                            None => "kb/README.md lists the helpers and built-in methods a condition may call".to_string(),
                        })
                    }
                };
                if let Some(help) = problem {
                    let what = if method { "method" } else { "function" };
                    let verb = if helper.is_some() {
                        "calls with the wrong number of arguments"
                    } else {
                        "calls unknown"
                    };
                    out.error(
                        "unknown-function",
                        at(pos, 0),
                        format!("`{}` {} {} `{}`", r.value.id, verb, what, name),
                        help,
                    );
                }
            }
        }
    }
    Some(ast)
}

/// `{word.word}` that looks like a placeholder but whose root is not a facts root
/// (`{devce.username}`); PowerShell blocks such as `{ $_.Name }` do not match.
fn near_placeholders(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = text[i..].find('{') {
        let start = i + open;
        i = start + 1;
        let Some(close) = text[start..].find('}') else { break };
        let inner = text[start + 1..start + close].split('|').next().unwrap_or("").trim();
        let shaped = inner.contains('.')
            && inner
                .split('.')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        let root = inner.split('.').next().unwrap_or("");
        if shaped && !ROOTS.contains(&root) {
            out.push((start, inner.to_string()));
        }
    }
    out
}

/// Checks the placeholders of one text value at `pointer` in file `file`.
pub fn check_placeholders(raw: &RawKb, file: usize, pointer: &str, text: &str, owner: &str, facts: &FactCatalog, out: &mut Findings) {
    let f = &raw.files[file];
    let chars_before = |byte: usize| text[..byte].chars().count();
    for (range, path, fallback) in crate::placeholder::find(text) {
        let alternatives = fallback.as_deref().map(crate::placeholder::fallback_paths).unwrap_or_default();
        for path in std::iter::once(path).chain(alternatives) {
            if let Err(suggestion) = facts.check(&path) {
                out.error(
                    "unknown-placeholder",
                    pos_in_value(f, pointer, text, chars_before(range.start)),
                    format!("placeholder `{{{}}}` in `{}` names no declared fact", path, owner),
                    unknown_fact_help(suggestion),
                );
            }
        }
    }
    for (start, inner) in near_placeholders(text) {
        let roots: Vec<String> = ROOTS.iter().map(|s| s.to_string()).collect();
        let root = inner.split('.').next().unwrap_or("");
        let help = match did_you_mean(root, roots.iter()) {
            Some(s) => format!(
                "did you mean `{{{}}}`? placeholders start from a facts root",
                inner.replacen(root, &s, 1)
            ),
            None => format!("placeholders start from a facts root: {}", ROOTS.join(", ")),
        };
        out.error(
            "unknown-placeholder",
            pos_in_value(f, pointer, text, chars_before(start)),
            format!(
                "`{{{}}}` in `{}` is not a placeholder: `{}` is not a facts root",
                inner, owner, root
            ),
            help,
        );
    }
}

/// Every English text that may hold placeholders, as (file, pointer, text, owner id).
pub fn placeholder_texts(raw: &RawKb) -> Vec<(usize, String, &str, &str)> {
    let mut out: Vec<(usize, String, &str, &str)> = Vec::new();
    for m in &raw.methods {
        out.push((m.file, format!("{}/explanation", m.pointer), &m.value.explanation, &m.value.id));
    }
    for s in &raw.symptoms {
        out.push((s.file, format!("{}/explanation", s.pointer), &s.value.explanation, &s.value.id));
    }
    for c in &raw.codes {
        out.push((c.file, format!("{}/explanation", c.pointer), &c.value.explanation, &c.value.id));
    }
    for c in &raw.causes {
        out.push((c.file, format!("{}/explanation", c.pointer), &c.value.explanation, &c.value.id));
    }
    for f in &raw.fixes {
        for (i, s) in f.value.steps.iter().enumerate() {
            out.push((f.file, format!("{}/steps/{}", f.pointer, i), s, &f.value.id));
        }
        for (i, c) in f.value.commands.iter().enumerate() {
            out.push((f.file, format!("{}/commands/{}/run", f.pointer, i), &c.run, &f.value.id));
        }
        if let Some(w) = &f.value.warning {
            out.push((f.file, format!("{}/warning", f.pointer), w, &f.value.id));
        }
    }
    for r in &raw.rules {
        if let Some(e) = &r.value.evidence {
            out.push((r.file, format!("{}/evidence", r.pointer), e, &r.value.id));
        }
        if let Some(w) = &r.value.why {
            out.push((r.file, format!("{}/why", r.pointer), w, &r.value.id));
        }
    }
    out
}

/// Each question must set a fact that exists.
pub fn check_questions(raw: &RawKb, facts: &FactCatalog, out: &mut Findings) {
    for q in &raw.questions {
        if let Err(suggestion) = facts.check(&q.value.fact) {
            out.error(
                "unknown-fact",
                raw.files[q.file].pos(&format!("{}/fact", q.pointer)),
                format!("`{}` asks about `{}`, which is not a declared fact", q.value.id, q.value.fact),
                unknown_fact_help(suggestion),
            );
        }
    }
}
