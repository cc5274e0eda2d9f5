//! The report: what the engine concluded, in one serializable value. The JSON
//! form is a stable contract (`schemas/report.schema.json`); the text and
//! Markdown forms are rendered from the same value by `render.rs`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub lang: String,
    pub method: Option<MethodOut>,
    pub replies: Vec<ReplyOut>,
    pub causes: Vec<CauseOut>,
    pub fixes: Vec<FixOut>,
    pub questions: Vec<QuestionOut>,
    pub facts: Value,
    /// Per rule, what it decided (only with `--trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceOut>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MethodOut {
    pub id: String,
    pub title: String,
    pub confidence: f64,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct SourceOut {
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReplyOut {
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub text: String,
    pub stage: String,
    pub code_id: Option<String>,
    pub code_title: Option<String>,
    /// `a`, `b`, `c` or `unconfirmed`: how sure the KB is of this reply text.
    pub confidence: Option<String>,
    pub nested: bool,
    pub origin: String,
    pub source: Option<SourceOut>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EvidenceOut {
    /// `code`, `symptom` or `rule`.
    pub kind: String,
    pub id: String,
    pub text: String,
    pub weight: f64,
    pub source: Option<SourceOut>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CauseOut {
    pub id: String,
    pub score: f64,
    pub title: String,
    pub explanation: String,
    pub rules: Vec<String>,
    pub evidence: Vec<EvidenceOut>,
    /// Rules that weakened it.
    pub ruled_down_by: Vec<String>,
    /// The KB is not sure of the knowledge behind it.
    pub unconfirmed: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommandOut {
    pub shell: String,
    pub run: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixOut {
    pub id: String,
    pub rank: usize,
    pub score: f64,
    pub title: String,
    pub steps: Vec<String>,
    pub commands: Vec<CommandOut>,
    pub risk: String,
    pub warning: Option<String>,
    #[serde(rename = "where")]
    pub place: Vec<String>,
    #[serde(rename = "for")]
    pub for_causes: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QuestionOut {
    pub id: String,
    pub fact: String,
    pub text: String,
    pub answer_hint: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TraceOut {
    pub rule: String,
    /// `true`, `false` or `undecided`.
    pub outcome: String,
    pub missing: Vec<String>,
    pub error: Option<String>,
}

/// The JSON Schema of the report (committed as `schemas/report.schema.json`).
pub fn report_schema_text() -> String {
    let mut v = serde_json::to_value(schemars::schema_for!(Report)).expect("schema serializes");
    // Every field is always written (null when unknown), except the optional `trace`:
    // say so, so consumers can rely on the keys being there.
    fn require_all(schema: &mut Value) {
        if let Some(o) = schema.as_object_mut() {
            if let Some(props) = o.get("properties").and_then(Value::as_object) {
                let keys: Vec<Value> = props.keys().filter(|k| *k != "trace").map(|k| Value::String(k.clone())).collect();
                o.insert("required".into(), Value::Array(keys));
            }
        }
    }
    require_all(&mut v);
    if let Some(defs) = v.get_mut("$defs").and_then(Value::as_object_mut) {
        defs.values_mut().for_each(require_all);
    }
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "$id".into(),
            Value::String("https://smtp-doctor.invalid/schemas/report.schema.json".into()),
        );
        o.insert(
            "description".into(),
            Value::String("smtp-doctor's JSON report (`diagnose --format json`). Stable contract: fields are only added.".into()),
        );
    }
    let mut s = serde_json::to_string_pretty(&v).expect("schema serializes");
    s.push('\n');
    s
}

impl Report {
    /// The exit status contract: 1 when a cause was diagnosed, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.causes.is_empty())
    }
}
