//! Turning what the user gives (settings files, `--set`, raw replies, log files,
//! symptoms) into one facts tree. Shared by the CLI and the KB's example cases,
//! so a case runs exactly the path a user's input runs.

use crate::diag::{Diagnostic, SourcePos};
use crate::facts::{self, Facts};
use crate::kb::Kb;
use crate::logparse;
use crate::reply;
use crate::suggest::did_you_mean;
use crate::yaml_pos::PositionIndex;
use serde_json::{json, Value};

/// Collects inputs into facts. Errors name the input and, where possible, the line.
#[derive(Debug, Default)]
pub struct InputBuilder {
    facts: Facts,
    replies_given: usize,
    /// The `answers.*` facts the KB's questions set, when the builder knows
    /// the KB: `answers` is open in the facts schema (the KB names its
    /// answers), so without this a mistyped answer would be silently ignored.
    answer_facts: Option<Vec<String>>,
}

impl InputBuilder {
    pub fn new() -> InputBuilder {
        InputBuilder::default()
    }

    /// A builder that also checks `answers.*` names against `kb`'s questions.
    pub fn for_kb(kb: &Kb) -> InputBuilder {
        InputBuilder {
            answer_facts: Some(facts::answer_paths(&kb.questions).map(String::from).collect()),
            ..InputBuilder::default()
        }
    }

    /// The first `answers.*` fact in `facts` that no question sets, with a
    /// diagnostic (a close name suggested).
    fn undeclared_answer(&self, facts: &Facts, origin: SourcePos) -> Option<(String, Diagnostic)> {
        let asked = self.answer_facts.as_ref()?;
        let given = facts.get("answers").and_then(Value::as_object)?;
        let key = given
            .keys()
            .find(|k| !asked.iter().any(|a| a.strip_prefix("answers.") == Some(k.as_str())))?;
        let path = format!("answers.{}", key);
        let d = Diagnostic::error(
            "bad-fact",
            origin,
            format!("unknown fact `{}`: no question of the knowledge base sets it", path),
        );
        let d = match did_you_mean(&path, asked.iter()) {
            Some(s) => d.with_help(format!(
                "did you mean `{}`? (`smtp-doctor kb list --kind question` lists the questions)",
                s
            )),
            None => d.with_help("`smtp-doctor kb list --kind question` lists the questions and the facts they set"),
        };
        Some((key.clone(), d))
    }

    /// A device settings file: either the `device` map itself, or a facts tree
    /// with roots (`device:`, `answers:`, ...).
    pub fn config_yaml(&mut self, path: &str, text: &str) -> Result<(), Diagnostic> {
        let doc = crate::kb::load::parse_yaml(path, text)?;
        let index = PositionIndex::build(text);
        let Value::Object(map) = doc else {
            return Err(Diagnostic::error(
                "bad-config",
                SourcePos::new(path, 1, 1),
                "a settings file must be a mapping of setting: value",
            ));
        };
        let has_roots = map.keys().any(|k| facts::ROOTS.contains(&k.as_str()));
        let mut local = Facts::new();
        if has_roots {
            for (root, v) in &map {
                let Some(obj) = v.as_object().filter(|_| facts::ROOTS.contains(&root.as_str())) else {
                    let (l, c) = index.locate_key("", root).unwrap_or((1, 1));
                    return Err(Diagnostic::error(
                        "bad-config",
                        SourcePos::new(path, l, c),
                        format!("`{}` is not a facts root (use one of {})", root, facts::ROOTS.join(", ")),
                    ));
                };
                local
                    .merge_root(root, obj)
                    .map_err(|m| Diagnostic::error("bad-config", SourcePos::file_only(path), m))?;
            }
        } else {
            local
                .merge_root("device", &map)
                .map_err(|m| Diagnostic::error("bad-config", SourcePos::file_only(path), m))?;
        }
        if let Some(d) = facts::validate(&local, path).into_iter().next() {
            // Point at the offending key: the last path segment named in the message.
            let name = d.message.split('`').nth(1).unwrap_or("").to_string();
            let mut segs: Vec<&str> = name.split('.').collect();
            if !has_roots && segs.first() == Some(&"device") {
                segs.remove(0);
            }
            let key = segs.pop().unwrap_or("");
            let parent = if segs.is_empty() {
                String::new()
            } else {
                format!("/{}", segs.join("/"))
            };
            let (l, c) = index.locate_key(&parent, key).unwrap_or((1, 1));
            return Err(Diagnostic {
                pos: SourcePos::new(path, l, c),
                ..d
            });
        }
        if let Some((key, d)) = self.undeclared_answer(&local, SourcePos::file_only(path)) {
            let (l, c) = if has_roots { index.locate_key("/answers", &key) } else { None }.unwrap_or((1, 1));
            return Err(Diagnostic {
                pos: SourcePos::new(path, l, c),
                ..d
            });
        }
        for (root, v) in local.as_value().as_object().into_iter().flatten() {
            if let Some(obj) = v.as_object() {
                self.facts
                    .merge_root(root, obj)
                    .map_err(|m| Diagnostic::error("bad-config", SourcePos::file_only(path), m))?;
            }
        }
        Ok(())
    }

    /// A `--set path=value` argument.
    pub fn set(&mut self, arg: &str) -> Result<(), Diagnostic> {
        let err = |m: String| Diagnostic::error("bad-set", SourcePos::file_only("--set"), m);
        let (path, mut value) = facts::parse_assignment(arg).map_err(err)?;
        let mut local = Facts::new();
        local.set(&path, value.clone()).map_err(err)?;
        let mut problems = facts::validate(&local, "--set");
        if !problems.is_empty() && !value.is_string() {
            // `device.tls_max_version=1.2` reads as a number; the fact wants the text.
            let raw = arg.split_once('=').map(|(_, r)| r.trim()).unwrap_or("");
            let mut as_text = Facts::new();
            as_text.set(&path, serde_json::Value::String(raw.to_string())).map_err(err)?;
            if facts::validate(&as_text, "--set").is_empty() {
                value = serde_json::Value::String(raw.to_string());
                problems.clear();
            }
        }
        if let Some(mut d) = problems.into_iter().next() {
            let declared = facts::declared_paths();
            if let Some(s) = did_you_mean(&path, declared.iter()) {
                d = d.with_help(format!("did you mean `{}`?", s));
            }
            return Err(d);
        }
        if let Some((_, d)) = self.undeclared_answer(&local, SourcePos::file_only("--set")) {
            return Err(d);
        }
        self.facts.set(&path, value).map_err(err)
    }

    /// One raw reply (or a paste with several) given with `--reply`.
    pub fn reply(&mut self, text: &str) {
        self.replies_given += 1;
        let label = format!("--reply #{}", self.replies_given);
        for r in reply::parse_reply(text) {
            let v = reply_fact(&r, "unknown", "reply", &label, r.line);
            self.facts.push("log.replies", v).expect("log.replies is a list");
        }
    }

    /// A pasted log or transcript (`file` names it in evidence).
    pub fn log(&mut self, text: &str, file: &str) {
        let parsed = logparse::parse_log(text, file);
        parsed.merge_into(&mut self.facts);
    }

    /// A log read as a stream: memory stays bounded whatever the file's size.
    pub fn log_reader(&mut self, reader: impl std::io::BufRead, file: &str) -> std::io::Result<()> {
        let parsed = logparse::parse_reader(reader, file)?;
        parsed.merge_into(&mut self.facts);
        Ok(())
    }

    /// A symptom the user reports, by id or by its short name.
    pub fn symptom(&mut self, kb: &Kb, name: &str) -> Result<(), Diagnostic> {
        let id = if name.starts_with("symptom.") {
            name.to_string()
        } else {
            format!("symptom.{}", name)
        };
        if kb.symptom(&id).is_none() {
            let ids: Vec<String> = kb.symptoms.iter().map(|s| s.value.id.clone()).collect();
            let mut d = Diagnostic::error(
                "unknown-symptom",
                SourcePos::file_only("--symptom"),
                format!("no symptom `{}`", name),
            );
            d = match did_you_mean(&id, ids.iter()) {
                Some(s) => d.with_help(format!("did you mean `{}`? (`smtp-doctor kb list --kind symptom` lists them)", s)),
                None => d.with_help("`smtp-doctor kb list --kind symptom` lists them"),
            };
            return Err(d);
        }
        self.facts.push("observed.symptoms", json!(id)).expect("list");
        Ok(())
    }

    pub fn facts_mut(&mut self) -> &mut Facts {
        &mut self.facts
    }

    pub fn finish(self) -> Facts {
        self.facts
    }
}

/// The facts form of one reply.
pub fn reply_fact(r: &reply::Reply, stage: &str, origin: &str, file: &str, line: usize) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced,
        "text": r.text,
        "stage": stage,
        "code_id": null,
        "nested": r.nested,
        "origin": origin,
        "source": { "file": file, "line": line },
    })
}
