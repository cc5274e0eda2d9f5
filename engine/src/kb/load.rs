//! Reading KB files: from the embedded copy or a directory, through YAML parsing
//! and JSON Schema validation, into raw typed entries that remember where they are.
//!
//! Every problem becomes a `Diagnostic` with file, line and column; loading goes on
//! with the other files so that one run shows all problems.

use super::raw::*;
use super::schema::FileKind;
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::yaml_pos::PositionIndex;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// One KB file's text and the name diagnostics use for it.
#[derive(Debug, Clone)]
pub struct KbFile {
    pub path: String,
    pub text: String,
}

/// Where the KB comes from.
pub enum KbSource<'a> {
    /// The copy built into the binary.
    Embedded,
    /// A directory read at run time (`--kb DIR`).
    Dir(&'a Path),
    /// Files given in memory (tests).
    Files(Vec<KbFile>),
}

impl KbSource<'_> {
    /// The files of this source, sorted by path. A directory that cannot be read
    /// is an error (`kb-unreadable`); a single unreadable file is a diagnostic.
    pub fn files(&self, diags: &mut Diagnostics) -> Result<Vec<KbFile>, String> {
        match self {
            KbSource::Embedded => Ok(crate::embedded::kb_files()
                .iter()
                .map(|(p, t)| KbFile {
                    path: format!("kb/{}", p),
                    text: t.to_string(),
                })
                .collect()),
            KbSource::Files(f) => Ok(f.clone()),
            KbSource::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(format!("{}: not a directory", dir.display()));
                }
                let mut paths = Vec::new();
                walk(dir, &mut paths).map_err(|e| format!("{}: {}", dir.display(), e))?;
                paths.sort();
                let mut out = Vec::new();
                for p in paths {
                    let shown = p.display().to_string();
                    match std::fs::read(&p) {
                        Ok(bytes) => match String::from_utf8(bytes) {
                            Ok(text) => out.push(KbFile { path: shown, text }),
                            Err(e) => diags.push(Diagnostic::error(
                                "kb-not-utf8",
                                SourcePos::file_only(shown),
                                format!("file is not UTF-8 (bad byte at offset {})", e.utf8_error().valid_up_to()),
                            )),
                        },
                        Err(e) => diags.push(Diagnostic::error("kb-unreadable", SourcePos::file_only(shown), e.to_string())),
                    }
                }
                Ok(out)
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// An entry together with where it was written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub pos: SourcePos,
    /// Index into `RawKb::files`.
    pub file: usize,
    /// JSON pointer of the entry inside its file (`/causes/3`).
    pub pointer: String,
}

/// A parsed, schema-valid file.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: String,
    pub kind: FileKind,
    pub text: String,
    pub index: PositionIndex,
}

impl LoadedFile {
    /// Position of the value at `pointer` in this file.
    pub fn pos(&self, pointer: &str) -> SourcePos {
        let (line, col) = self.index.locate(pointer);
        SourcePos::new(self.path.clone(), line, col)
    }
}

/// Everything the KB files say, before cross-file checks.
#[derive(Debug, Default, Clone)]
pub struct RawKb {
    pub files: Vec<LoadedFile>,
    pub methods: Vec<Located<RawMethod>>,
    pub symptoms: Vec<Located<RawSymptom>>,
    pub codes: Vec<Located<RawCode>>,
    pub causes: Vec<Located<RawCause>>,
    pub fixes: Vec<Located<RawFix>>,
    pub rules: Vec<Located<RawRule>>,
    pub questions: Vec<Located<RawQuestion>>,
    pub cases: Vec<Located<RawCase>>,
    pub settings: Vec<Located<RawSettings>>,
    pub messages: Vec<Located<MessagesFile>>,
    pub translations: Vec<Located<TranslationFile>>,
}

/// Compiled JSON Schema validators, one per file kind.
pub struct SchemaSet {
    validators: HashMap<FileKind, jsonschema::Validator>,
}

impl SchemaSet {
    /// Compiles the embedded schemas. They are part of the program, so a broken one is a bug.
    pub fn embedded() -> SchemaSet {
        let mut validators = HashMap::new();
        for kind in FileKind::ALL {
            let schema: Value = serde_json::from_str(kind.embedded_schema()).expect("embedded schema is JSON");
            let v = jsonschema::validator_for(&schema).expect("embedded schema compiles");
            validators.insert(kind, v);
        }
        SchemaSet { validators }
    }
}

/// Parses one YAML text to a JSON value, or a diagnostic with the syntax error's position.
pub fn parse_yaml(path: &str, text: &str) -> Result<Value, Diagnostic> {
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        let (line, col) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
        let msg = e.to_string();
        // serde_yaml appends " at line X column Y"; the position is shown separately.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Diagnostic::error("yaml-syntax", SourcePos::new(path, line, col), msg)
    })
}

impl RawKb {
    /// Loads all files; problems go to `diags`. Files with errors are skipped whole.
    pub fn load(files: Vec<KbFile>, schemas: &SchemaSet, diags: &mut Diagnostics) -> RawKb {
        let mut kb = RawKb::default();
        for f in files {
            kb.load_file(f, schemas, diags);
        }
        kb
    }

    fn load_file(&mut self, f: KbFile, schemas: &SchemaSet, diags: &mut Diagnostics) {
        let doc = match parse_yaml(&f.path, &f.text) {
            Ok(Value::Null) => return, // an empty file (or only comments)
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        let index = PositionIndex::build(&f.text);
        let Some(kind) = FileKind::detect(&doc) else {
            let keys: Vec<&str> = FileKind::ALL.iter().map(|k| k.key()).collect();
            diags.push(
                Diagnostic::error(
                    "unknown-file-kind",
                    SourcePos::new(&f.path, 1, 1),
                    "cannot tell what kind of KB file this is",
                )
                .with_help(format!("the top level must have one of the keys: {}", keys.join(", "))),
            );
            return;
        };
        let validator = &schemas.validators[&kind];
        let mut bad = false;
        for err in validator.iter_errors(&doc) {
            bad = true;
            let pointer = err.instance_path().as_str().to_string();
            let (mut line, mut col) = index.locate(&pointer);
            let mut message = err.to_string();
            // "Additional properties are not allowed ('x' was unexpected)": point at the key.
            if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } = err.kind() {
                if let Some(k) = unexpected.first() {
                    if let Some((l, c)) = index.locate_key(&pointer, k) {
                        (line, col) = (l, c);
                    }
                    message = format!("unknown field `{}`", k);
                }
            }
            let at = if pointer.is_empty() {
                String::new()
            } else {
                format!(" (at {})", pointer)
            };
            diags.push(
                Diagnostic::error("schema", SourcePos::new(&f.path, line, col), format!("{}{}", message, at))
                    .with_help(format!("see schemas/{}.schema.json", kind.name())),
            );
        }
        if bad {
            return;
        }
        let file_idx = self.files.len();
        let loaded = LoadedFile {
            path: f.path.clone(),
            kind,
            text: f.text,
            index,
        };
        macro_rules! entries {
            ($ty:ty, $field:ident, $key:literal) => {{
                match serde_json::from_value::<$ty>(doc) {
                    Ok(parsed) => {
                        for (i, e) in parsed.$field.into_iter().enumerate() {
                            let pointer = format!("/{}/{}", $key, i);
                            let pos = loaded.pos(&pointer);
                            self.$field.push(Located {
                                value: e,
                                pos,
                                file: file_idx,
                                pointer,
                            });
                        }
                    }
                    Err(e) => {
                        diags.push(Diagnostic::error("schema", SourcePos::file_only(&f.path), e.to_string()));
                        return;
                    }
                }
            }};
        }
        match kind {
            FileKind::Methods => entries!(MethodsFile, methods, "methods"),
            FileKind::Symptoms => entries!(SymptomsFile, symptoms, "symptoms"),
            FileKind::Codes => entries!(CodesFile, codes, "codes"),
            FileKind::Causes => entries!(CausesFile, causes, "causes"),
            FileKind::Fixes => entries!(FixesFile, fixes, "fixes"),
            FileKind::Rules => entries!(RulesFile, rules, "rules"),
            FileKind::Questions => entries!(QuestionsFile, questions, "questions"),
            FileKind::Cases => entries!(CasesFile, cases, "cases"),
            FileKind::Settings | FileKind::Messages | FileKind::Translation => {
                let pos = loaded.pos("");
                let res = match kind {
                    FileKind::Settings => serde_json::from_value::<SettingsFile>(doc).map(|s| {
                        self.settings.push(Located {
                            value: s.settings,
                            pos,
                            file: file_idx,
                            pointer: "/settings".into(),
                        })
                    }),
                    FileKind::Messages => serde_json::from_value::<MessagesFile>(doc).map(|m| {
                        self.messages.push(Located {
                            value: m,
                            pos,
                            file: file_idx,
                            pointer: String::new(),
                        })
                    }),
                    _ => serde_json::from_value::<TranslationFile>(doc).map(|t| {
                        self.translations.push(Located {
                            value: t,
                            pos,
                            file: file_idx,
                            pointer: String::new(),
                        })
                    }),
                };
                if let Err(e) = res {
                    diags.push(Diagnostic::error("schema", SourcePos::file_only(&f.path), e.to_string()));
                    return;
                }
            }
        }
        self.files.push(loaded);
    }
}
