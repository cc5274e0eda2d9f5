//! `kb i18n --refresh LANG`: records, beside each translated text, the fingerprint
//! of the English it now translates, after a translator has reviewed it.
//!
//! The files are edited as text, not re-serialized, so comments, key order and
//! quoting survive: only each entry's `fp:` line (written in flow style, one line
//! per entry) and the top-level `messages_fp:` block are replaced or added. The
//! result is parsed again before it is returned, so a refresh cannot break a file.

use super::translations::{english, english_messages, English};
use crate::i18n::fingerprint;
use crate::kb::load::RawKb;
use crate::kb::raw::TranslationFile;
use serde_json::Value;
use std::collections::BTreeMap;

/// Lines `[start, end)` of a file and what replaces them.
type Edit = (usize, usize, Vec<String>);

/// A translation file's new text.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub path: String,
    pub text: String,
    /// Fingerprints added or changed.
    pub changed: usize,
    /// Entries left alone (written in flow style, which this edit does not handle).
    pub skipped: Vec<String>,
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Lines `[start, end)` of the block under the key on line `key` (0-based): every
/// following line indented deeper, without trailing blank or comment lines.
fn block(lines: &[String], key: usize) -> (usize, usize) {
    let key_indent = indent(&lines[key]);
    let mut end = key + 1;
    let mut last_content = key + 1;
    while end < lines.len() {
        if is_content(&lines[end]) {
            if indent(&lines[end]) <= key_indent {
                break;
            }
            last_content = end + 1;
        }
        end += 1;
    }
    (key + 1, last_content)
}

fn flow_map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: \"{}\"", k, v)).collect();
    format!("{{ {} }}", items.join(", "))
}

/// Computes the new text of every translation file of `lang`.
pub fn refresh(raw: &RawKb, lang: &str) -> Result<Vec<Rewrite>, String> {
    let english = english(raw);
    let messages = english_messages(raw);
    let mut out = Vec::new();
    for t in raw.translations.iter().filter(|t| t.value.lang == lang) {
        let file = &raw.files[t.file];
        let mut lines: Vec<String> = file.text.split_inclusive('\n').map(String::from).collect();
        if lines.last().is_some_and(|l| !l.ends_with('\n')) {
            lines.last_mut().unwrap().push('\n');
        }
        // (start, end, replacement), applied bottom-up so earlier line numbers stay valid.
        let mut edits: Vec<Edit> = Vec::new();
        let mut want_all: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut rewrite = Rewrite {
            path: file.path.clone(),
            text: String::new(),
            changed: 0,
            skipped: Vec::new(),
        };
        for (id, fields) in &t.value.entries {
            let Some(sources) = english.get(id) else { continue };
            let mut want = BTreeMap::new();
            for (field, value) in fields.iter().filter(|(f, _)| *f != "fp") {
                let Some(src) = sources.get(field.as_str()) else { continue };
                let fits = matches!((&src.text, value), (English::Text(_), Value::String(_)))
                    || matches!((&src.text, value), (English::List(e), Value::Array(a)) if e.len() == a.len());
                if fits {
                    want.insert(field.clone(), src.text.fingerprint());
                }
            }
            let have: BTreeMap<String, String> = fields
                .get("fp")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default();
            rewrite.changed += want.iter().filter(|(k, v)| have.get(*k) != Some(v)).count();
            want_all.insert(id.clone(), want.clone());
            if want == have {
                continue;
            }
            let Some((key_line, key_col)) = file.index.locate_key("/entries", id) else {
                continue;
            };
            let key = key_line - 1;
            let after_key = lines[key].chars().skip(key_col - 1 + id.chars().count()).collect::<String>();
            let after_colon = after_key
                .trim_start_matches(['"', '\''])
                .trim_start()
                .trim_start_matches(':')
                .trim();
            if !after_colon.is_empty() && !after_colon.starts_with('#') {
                rewrite.skipped.push(id.clone());
                continue;
            }
            let (start, end) = block(&lines, key);
            let Some(child) = lines[start..end].iter().find(|l| is_content(l)).map(|l| indent(l)) else {
                continue;
            };
            let new_line = if want.is_empty() {
                vec![]
            } else {
                vec![format!("{}fp: {}\n", " ".repeat(child), flow_map(&want))]
            };
            let fp_at = (start..end).find(|&i| indent(&lines[i]) == child && lines[i].trim_start().starts_with("fp:"));
            match fp_at {
                Some(i) => {
                    let mut j = i + 1;
                    while j < end && (!is_content(&lines[j]) || indent(&lines[j]) > child) {
                        j += 1;
                    }
                    edits.push((i, j, new_line));
                }
                None => edits.push((end, end, new_line)),
            }
        }
        // messages_fp: one block at the top level, in the order of this file's messages.
        let want_msgs: BTreeMap<String, String> = t
            .value
            .messages
            .iter()
            .filter(|(k, v)| messages.contains_key(*k) && !v.trim().is_empty())
            .map(|(k, _)| (k.clone(), fingerprint(&messages[k])))
            .collect();
        rewrite.changed += want_msgs.iter().filter(|(k, v)| t.value.messages_fp.get(*k) != Some(v)).count();
        if want_msgs != t.value.messages_fp {
            let mut new_block = Vec::new();
            if !want_msgs.is_empty() {
                new_block.push("messages_fp:\n".to_string());
                new_block.extend(want_msgs.iter().map(|(k, v)| format!("  {}: \"{}\"\n", k, v)));
            }
            match file.index.locate_key("", "messages_fp") {
                Some((l, _)) => {
                    let (_, end) = block(&lines, l - 1);
                    edits.push((l - 1, end, new_block));
                }
                None => edits.push((lines.len(), lines.len(), new_block)),
            }
        }
        // Bottom-up; at the same line, the later edit first, so text added at the
        // end of the file keeps the order the edits were made in.
        let mut order: Vec<usize> = (0..edits.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse((edits[i].0, i)));
        let mut edits: Vec<Option<Edit>> = edits.into_iter().map(Some).collect();
        for i in order {
            let Some((start, end, replacement)) = edits[i].take() else {
                continue;
            };
            lines.splice(start..end, replacement);
        }
        rewrite.text = lines.concat();
        verify(&rewrite, &want_all, &want_msgs)?;
        out.push(rewrite);
    }
    if out.is_empty() {
        return Err(format!("the KB has no translation files for `{}`", lang));
    }
    Ok(out)
}

/// The rewritten text must parse and carry exactly the fingerprints intended.
fn verify(r: &Rewrite, want: &BTreeMap<String, BTreeMap<String, String>>, want_msgs: &BTreeMap<String, String>) -> Result<(), String> {
    let parsed: TranslationFile =
        serde_yaml::from_str(&r.text).map_err(|e| format!("{}: refreshing would break the file ({}); nothing written", r.path, e))?;
    for (id, fps) in want {
        if r.skipped.contains(id) {
            continue;
        }
        let got: BTreeMap<String, String> = parsed
            .entries
            .get(id)
            .and_then(|f| f.get("fp"))
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default();
        if &got != fps {
            return Err(format!(
                "{}: could not rewrite the `fp:` of `{}` (unusual layout); nothing written",
                r.path, id
            ));
        }
    }
    if &parsed.messages_fp != want_msgs {
        return Err(format!(
            "{}: could not rewrite `messages_fp:` (unusual layout); nothing written",
            r.path
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::kb::load::{KbFile, SchemaSet};

    const FIX: &str =
        "fixes:\n  - id: fix.a\n    title: Do {device.server}\n    steps: [one]\n    where: [dns]\n    risk: low\n    source: s\n";
    const MSG: &str = "messages:\n  report.title: Title\n";

    fn raw(tr: &str) -> RawKb {
        let files = vec![
            KbFile {
                path: "fixes.yaml".into(),
                text: FIX.into(),
            },
            KbFile {
                path: "messages.yaml".into(),
                text: MSG.into(),
            },
            KbFile {
                path: "it.yaml".into(),
                text: tr.into(),
            },
        ];
        let mut d = Diagnostics::default();
        let r = RawKb::load(files, &SchemaSet::embedded(), &mut d);
        assert!(d.is_empty(), "{:?}", d);
        r
    }

    #[test]
    fn adds_and_replaces_fingerprints_keeping_comments() {
        let text = "# comment\nlang: it\nlanguage_name: Italiano\nentries:\n  fix.a:\n    # the title\n    title: \"Fai {device.server}\"\n    fp: { title: \"00000000\" }\n    steps:\n      - uno\n\n  # trailing\nmessages:\n  report.title: Titolo\n";
        let out = refresh(&raw(text), "it").unwrap();
        let new = &out[0].text;
        assert!(new.starts_with("# comment\n"), "{}", new);
        assert!(new.contains("    # the title\n"), "{}", new);
        assert!(
            new.contains(&format!(
                "    fp: {{ steps: \"{}\", title: \"{}\" }}\n",
                fingerprint("one"),
                fingerprint("Do {device.server}")
            )),
            "{}",
            new
        );
        assert!(
            new.contains(&format!("messages_fp:\n  report.title: \"{}\"\n", fingerprint("Title"))),
            "{}",
            new
        );
        assert_eq!(out[0].changed, 3);
        // A second refresh changes nothing.
        let again = refresh(&raw(new), "it").unwrap();
        assert_eq!(again[0].changed, 0);
        assert_eq!(&again[0].text, new);
    }
}
