//! The KB file kinds and their JSON Schemas.
//!
//! Each kind is one raw type in `raw.rs`; its schema is generated from that type
//! with schemars and committed as `schemas/<kind>.schema.json` (a test fails when
//! the committed file drifts). At run time the committed files are embedded and
//! used to validate every KB file before it is deserialized.

use super::raw;
use schemars::JsonSchema;
use serde_json::Value;

/// A kind of KB file, told apart by its single top-level key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Methods,
    Symptoms,
    Codes,
    Causes,
    Fixes,
    Rules,
    Questions,
    Cases,
    Settings,
    Messages,
    Translation,
}

impl FileKind {
    pub const ALL: [FileKind; 11] = [
        FileKind::Methods,
        FileKind::Symptoms,
        FileKind::Codes,
        FileKind::Causes,
        FileKind::Fixes,
        FileKind::Rules,
        FileKind::Questions,
        FileKind::Cases,
        FileKind::Settings,
        FileKind::Messages,
        FileKind::Translation,
    ];

    /// The schema file's stem (`schemas/<name>.schema.json`).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Methods => "methods",
            FileKind::Symptoms => "symptoms",
            FileKind::Codes => "codes",
            FileKind::Causes => "causes",
            FileKind::Fixes => "fixes",
            FileKind::Rules => "rules",
            FileKind::Questions => "questions",
            FileKind::Cases => "cases",
            FileKind::Settings => "settings",
            FileKind::Messages => "messages",
            FileKind::Translation => "translation",
        }
    }

    /// The top-level key that marks a file of this kind.
    pub fn key(self) -> &'static str {
        match self {
            FileKind::Translation => "lang",
            other => other.name(),
        }
    }

    /// Which kind a parsed file is, from its top-level keys.
    pub fn detect(doc: &Value) -> Option<FileKind> {
        let map = doc.as_object()?;
        // A translation also has `messages:`; its `lang:` key decides.
        if map.contains_key(FileKind::Translation.key()) {
            return Some(FileKind::Translation);
        }
        FileKind::ALL.into_iter().find(|k| map.contains_key(k.key()))
    }

    /// The JSON Schema generated from the raw type.
    pub fn generate_schema(self) -> Value {
        fn gen<T: JsonSchema>() -> Value {
            serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes")
        }
        let mut schema = match self {
            FileKind::Methods => gen::<raw::MethodsFile>(),
            FileKind::Symptoms => gen::<raw::SymptomsFile>(),
            FileKind::Codes => gen::<raw::CodesFile>(),
            FileKind::Causes => gen::<raw::CausesFile>(),
            FileKind::Fixes => gen::<raw::FixesFile>(),
            FileKind::Rules => gen::<raw::RulesFile>(),
            FileKind::Questions => gen::<raw::QuestionsFile>(),
            FileKind::Cases => gen::<raw::CasesFile>(),
            FileKind::Settings => gen::<raw::SettingsFile>(),
            FileKind::Messages => gen::<raw::MessagesFile>(),
            FileKind::Translation => gen::<raw::TranslationFile>(),
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "$id".into(),
                Value::String(format!("https://smtp-doctor.invalid/schemas/{}.schema.json", self.name())),
            );
        }
        schema
    }

    /// The committed schema text, embedded at build time.
    pub fn embedded_schema(self) -> &'static str {
        crate::embedded::schema(self.name()).unwrap_or("{}")
    }
}

/// Pretty JSON with a trailing newline, as committed.
pub fn schema_text(kind: FileKind) -> String {
    let mut s = serde_json::to_string_pretty(&kind.generate_schema()).expect("schema serializes");
    s.push('\n');
    s
}
