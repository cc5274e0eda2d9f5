//! Recognising what was observed: every reply and client-side error in `log.*`
//! and `probe.*` is matched to the KB's code classes (its `code_id` is filled),
//! and `observed.*` collects what all inputs show together (code classes, reply
//! codes, enhanced codes, all replies, reported symptoms) so rules can read it
//! without loops.

use crate::classify::ReplyView;
use crate::facts::Facts;
use crate::kb::model::Kb;
use crate::kb::raw::Stage;
use crate::report::SourceOut;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub(crate) fn stage_of(s: &str) -> Option<Stage> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

pub(crate) fn source_of(v: &Value) -> Option<SourceOut> {
    let s = v.get("source")?;
    Some(SourceOut {
        file: s.get("file")?.as_str()?.to_string(),
        line: s.get("line")?.as_u64()? as usize,
    })
}

/// The strings of the list at `path` (empty when unknown).
pub(crate) fn string_list(facts: &Facts, path: &str) -> Vec<String> {
    facts
        .get(path)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Classifies every reply and client error in `log` and `probe`, filling their
/// `code_id`, and computes `observed.*`.
pub fn observe(kb: &Kb, facts: &mut Facts) {
    let mut all_replies = Vec::new();
    let mut code_ids = string_list(facts, "observed.code_ids");
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
