//! The shipped KB covers the seed checklist (`tests/data/checklist.yaml`, a copy of
//! the ids and links of the source article and of what Exchange Online answers
//! today): every id exists with the kind its prefix names, every symptom and code
//! still suggests the causes listed, and every cause is still fixed by the fixes
//! listed. The KB may add entries and links; it may not drop these.

use serde_yaml::Value;
use smtp_doctor_engine::kb::model::EntryKind;
use smtp_doctor_engine::{load_kb, Kb, KbSource};

const CHECKLIST: &str = include_str!("data/checklist.yaml");

/// (section, id, linked ids) for every item of the checklist.
fn items() -> Vec<(String, String, Vec<String>)> {
    let doc: Value = serde_yaml::from_str(CHECKLIST).expect("checklist.yaml parses");
    let mut out = Vec::new();
    for section in ["methods", "symptoms", "codes", "causes", "fixes", "beyond"] {
        let list = doc
            .get(section)
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("checklist has no `{}` list", section));
        for item in list {
            let id = item.get("id").and_then(Value::as_str).expect("item has an id").to_string();
            let links = ["suggests", "fixed_by"]
                .iter()
                .filter_map(|k| item.get(*k).and_then(Value::as_sequence))
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            out.push((section.to_string(), id, links));
        }
    }
    out
}

fn expected_kind(section: &str, id: &str) -> EntryKind {
    match section {
        "methods" => EntryKind::Method,
        "symptoms" => EntryKind::Symptom,
        "codes" => EntryKind::Code,
        "causes" => EntryKind::Cause,
        "fixes" => EntryKind::Fix,
        _ => EntryKind::from_id(id).unwrap_or_else(|| panic!("`{}` has no known prefix", id)),
    }
}

/// The ids an entry links to (suggested causes, or fixes), if it has links.
fn links_of(kb: &Kb, id: &str) -> Vec<String> {
    if let Some(s) = kb.symptom(id) {
        return s.suggests.iter().map(|l| l.cause.clone()).collect();
    }
    if let Some(c) = kb.code(id) {
        return c.entry.value.suggests.iter().map(|l| l.cause.clone()).collect();
    }
    if let Some(c) = kb.cause(id) {
        return c.fixed_by.iter().map(|l| l.fix.clone()).collect();
    }
    Vec::new()
}

#[test]
fn checklist_copy_is_well_formed() {
    let items = items();
    assert!(items.len() > 70, "checklist looks truncated: {} items", items.len());
    for (section, id, _) in &items {
        assert_eq!(
            EntryKind::from_id(id),
            Some(expected_kind(section, id)),
            "`{}` in `{}` has the wrong prefix",
            id,
            section
        );
    }
}

#[test]
fn kb_defines_every_checklist_id_and_keeps_every_link() {
    let (kb, _warnings) = load_kb(KbSource::Embedded).unwrap_or_else(|d| panic!("KB errors: {:#?}", d.0));
    let mut problems = Vec::new();
    for (section, id, links) in items() {
        let want = expected_kind(&section, &id);
        match kb.kind_of(&id) {
            None => {
                problems.push(format!("missing {:?} `{}`", want, id));
                continue;
            }
            Some(k) if k != want => {
                problems.push(format!("`{}` is a {:?}, expected a {:?}", id, k, want));
                continue;
            }
            Some(_) => {}
        }
        let have = links_of(&kb, &id);
        for l in links {
            if !have.contains(&l) {
                let verb = if section == "causes" || section == "beyond" {
                    "fixed_by"
                } else {
                    "suggests"
                };
                problems.push(format!("`{}` no longer {} `{}`", id, verb, l));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} checklist problems:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}
