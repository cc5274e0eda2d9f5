//! The KB and the JSON Schemas as they were when the binary was built.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The embedded KB files: (path relative to `kb/`, text).
pub fn kb_files() -> &'static [(&'static str, &'static str)] {
    KB_FILES
}

/// The embedded text of `schemas/<name>.schema.json`.
pub fn schema(name: &str) -> Option<&'static str> {
    let file = format!("{}.schema.json", name);
    SCHEMA_FILES.iter().find(|(p, _)| *p == file).map(|(_, t)| *t)
}
