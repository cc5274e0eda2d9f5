//! The facts tree: one JSON object with the roots `device`, `log`, `probe`,
//! `answers`, `derived` and `observed`, documented by `schemas/facts.schema.json`.
//!
//! Inputs (settings files, `--set`, parsed logs, probes) write into it by dotted
//! path; rules read it through Rhai. A path that nobody set is *unknown*, which is
//! different from false: rules that need it stay undecided.

use crate::diag::{Diagnostic, SourcePos};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The roots every facts tree has (possibly empty).
pub const ROOTS: [&str; 6] = ["device", "log", "probe", "answers", "derived", "observed"];

/// The facts about one device or app.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    root: Value,
}

impl Default for Facts {
    fn default() -> Self {
        Self::new()
    }
}

impl Facts {
    pub fn new() -> Facts {
        let mut m = Map::new();
        for r in ROOTS {
            m.insert(r.to_string(), Value::Object(Map::new()));
        }
        Facts { root: Value::Object(m) }
    }

    pub fn as_value(&self) -> &Value {
        &self.root
    }

    /// The value at a dotted path, if known.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut cur = &self.root;
        for seg in path.split('.') {
            cur = cur.as_object()?.get(seg)?;
        }
        Some(cur)
    }

    /// Whether a dotted path has a (non-null) value.
    pub fn is_known(&self, path: &str) -> bool {
        self.get(path).is_some_and(|v| !v.is_null())
    }

    /// Sets a dotted path, creating intermediate objects. Fails when the path
    /// does not start with a known root or crosses a non-object value.
    pub fn set(&mut self, path: &str, value: Value) -> Result<(), String> {
        let segs: Vec<&str> = path.split('.').collect();
        if segs.len() < 2 || !ROOTS.contains(&segs[0]) || segs.iter().any(|s| s.is_empty()) {
            return Err(format!(
                "`{}` is not a fact path (expected <root>.<name> with root one of {})",
                path,
                ROOTS.join(", ")
            ));
        }
        let mut cur = &mut self.root;
        for seg in &segs[..segs.len() - 1] {
            let obj = cur
                .as_object_mut()
                .ok_or_else(|| format!("`{}`: `{}` is not an object", path, seg))?;
            cur = obj.entry(seg.to_string()).or_insert_with(|| Value::Object(Map::new()));
        }
        let obj = cur
            .as_object_mut()
            .ok_or_else(|| format!("`{}` crosses a value that is not an object", path))?;
        obj.insert(segs[segs.len() - 1].to_string(), value);
        Ok(())
    }

    /// Appends to the array at `path` (created when missing).
    pub fn push(&mut self, path: &str, value: Value) -> Result<(), String> {
        match self.get(path) {
            Some(Value::Array(_)) => {}
            Some(_) => return Err(format!("`{}` is not a list", path)),
            None => self.set(path, Value::Array(Vec::new()))?,
        }
        let mut cur = &mut self.root;
        for seg in path.split('.') {
            cur = cur.get_mut(seg).expect("path exists");
        }
        cur.as_array_mut().expect("array").push(value);
        Ok(())
    }

    /// Merges a whole object under a root (later values win).
    pub fn merge_root(&mut self, root: &str, value: &Map<String, Value>) -> Result<(), String> {
        for (k, v) in value {
            self.set(&format!("{}.{}", root, k), v.clone())?;
        }
        Ok(())
    }

    /// Dotted paths of every known value, stopping at arrays (their items have no path).
    pub fn known_paths(&self) -> BTreeSet<String> {
        fn walk(prefix: &str, v: &Value, out: &mut BTreeSet<String>) {
            if let Value::Object(m) = v {
                for (k, child) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{}.{}", prefix, k)
                    };
                    if !child.is_null() && !prefix.is_empty() {
                        out.insert(p.clone());
                    }
                    walk(&p, child, out);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk("", &self.root, &mut out);
        out
    }
}

/// Parses a `--set` argument `path=value`. The value is read as a YAML scalar or
/// flow collection, so `true`, `587` and `[a, b]` keep their types; anything else
/// is a string.
pub fn parse_assignment(arg: &str) -> Result<(String, Value), String> {
    let (path, raw) = arg.split_once('=').ok_or_else(|| format!("`{}`: expected path=value", arg))?;
    let path = path.trim().to_string();
    let raw = raw.trim();
    let value = if raw.is_empty() {
        Value::String(String::new())
    } else {
        match serde_yaml::from_str::<Value>(raw) {
            Ok(Value::Object(_)) | Err(_) => Value::String(raw.to_string()),
            Ok(v) => v,
        }
    };
    Ok((path, value))
}

/// Checks a facts tree against `schemas/facts.schema.json`. Each problem names the
/// fact path; `origin` says which input it came from.
pub fn validate(facts: &Facts, origin: &str) -> Vec<Diagnostic> {
    // Compiled once: every `--set` (and every fact of every KB example case) is checked.
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(crate::embedded::schema("facts").unwrap_or("{}")).expect("facts schema is JSON");
        jsonschema::validator_for(&schema).expect("facts schema compiles")
    });
    validator
        .iter_errors(facts.as_value())
        .map(|e| {
            let path = e.instance_path().as_str().trim_start_matches('/').replace('/', ".");
            let msg = match e.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let base = if path.is_empty() { String::new() } else { format!("{}.", path) };
                    format!("unknown fact `{}{}`", base, unexpected.join("`, `"))
                }
                _ => format!("fact `{}`: {}", path, e),
            };
            Diagnostic::error("bad-fact", SourcePos::file_only(origin), msg)
                .with_help("see schemas/facts.schema.json for the declared facts")
        })
        .collect()
}

/// Every dotted path that the facts schema declares (objects' properties; arrays end a path).
pub fn declared_paths() -> BTreeSet<String> {
    let schema: Value = serde_json::from_str(crate::embedded::schema("facts").unwrap_or("{}")).expect("facts schema is JSON");
    let mut out = BTreeSet::new();
    fn walk(prefix: &str, s: &Value, out: &mut BTreeSet<String>) {
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{}.{}", prefix, k)
                };
                out.insert(p.clone());
                walk(&p, v, out);
            }
        }
    }
    walk("", &schema, &mut out);
    out
}

/// The `answers.*` facts a KB names: its questions' `fact:` under `answers`
/// (the facts schema leaves that root to the KB). Lint checks rules against
/// them, the input builder checks a user's answers.
pub fn answer_paths(questions: &[crate::kb::load::Located<crate::kb::raw::RawQuestion>]) -> impl Iterator<Item = &str> {
    questions
        .iter()
        .map(|q| q.value.fact.as_str())
        .filter(|f| f.starts_with("answers."))
}

/// Roots whose children are open (any name is allowed under them).
pub fn open_roots() -> Vec<String> {
    let schema: Value = serde_json::from_str(crate::embedded::schema("facts").unwrap_or("{}")).expect("facts schema is JSON");
    let mut out = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            if v.get("additionalProperties") != Some(&Value::Bool(false)) {
                out.push(k.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_get_and_unknown() {
        let mut f = Facts::new();
        f.set("device.port", json!(587)).unwrap();
        assert_eq!(f.get("device.port"), Some(&json!(587)));
        assert!(!f.is_known("device.server"));
        assert!(f.set("nope.x", json!(1)).is_err());
        assert!(f.set("device", json!(1)).is_err());
    }

    #[test]
    fn assignments_keep_types() {
        assert_eq!(parse_assignment("device.port=587").unwrap().1, json!(587));
        assert_eq!(parse_assignment("device.password_set=false").unwrap().1, json!(false));
        assert_eq!(parse_assignment("device.username=a@b.c").unwrap().1, json!("a@b.c"));
        assert_eq!(parse_assignment("device.from={x}").unwrap().1, json!("{x}"));
        assert!(parse_assignment("nothing").is_err());
    }

    #[test]
    fn schema_rejects_unknown_and_mistyped() {
        let mut f = Facts::new();
        f.set("device.usrname", json!("x")).unwrap();
        f.set("device.port", json!("587")).unwrap();
        let d = validate(&f, "args");
        assert_eq!(d.len(), 2, "{:?}", d);
        assert!(d.iter().any(|d| d.message.contains("device.usrname")));
    }
}
