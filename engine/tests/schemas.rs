//! The committed `schemas/*.schema.json` are generated from the raw KB types; this
//! test fails when they drift. Run with `UPDATE_SCHEMAS=1` to rewrite them.

use smtp_doctor_engine::kb::schema::{schema_text, FileKind};
use std::path::PathBuf;

#[test]
fn committed_schemas_match_the_raw_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for kind in FileKind::ALL {
        let path = dir.join(format!("{}.schema.json", kind.name()));
        let want = schema_text(kind);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if update {
                std::fs::write(&path, &want).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    let path = dir.join("report.schema.json");
    let want = smtp_doctor_engine::report::report_schema_text();
    if std::fs::read_to_string(&path).unwrap_or_default() != want {
        if update {
            std::fs::write(&path, &want).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "schemas out of date (run `UPDATE_SCHEMAS=1 cargo test -p smtp-doctor-engine --test schemas`): {:?}",
        stale
    );
}
