//! Positions inside YAML string values: where, in the file, is the n-th character
//! of a decoded scalar?
//!
//! The position index knows where each value starts, but a Rhai condition or a
//! placeholder sits somewhere inside it, and the scalar may be plain, quoted (with
//! `''` or `\"` escapes) or a block scalar (`>-`, `|`) whose text starts on the
//! next line and lost its indentation. Rather than re-implement YAML's folding
//! rules, the decoded text is aligned with the source greedily: the decoded text is
//! (almost always) a subsequence of the source, with line breaks and indentation
//! standing in for the spaces or newlines they decode to.

use crate::diag::SourcePos;
use crate::kb::load::LoadedFile;

/// Byte offset of 1-based (line, col) in `text`; col counts characters.
fn offset_of(text: &str, line: usize, col: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = &text[start..];
    let within = line_text
        .char_indices()
        .nth(col.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(line_text.len());
    Some(start + within)
}

/// 1-based (line, col) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

/// Character offset in `value` of a Rhai-style 1-based (line, col) position.
pub fn char_offset(value: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in value.split('\n').enumerate() {
        if i + 1 == line {
            return offset + col.saturating_sub(1).min(l.chars().count());
        }
        offset += l.chars().count() + 1;
    }
    0
}

/// Byte offset where the value of a mapping key starts, found from the key: the
/// position index marks a block scalar where its last line starts, not where its
/// text does. Skips `key:`, then a block indicator line (`>-`, `|`) if any, then
/// blanks. `None` for sequence items (no key), where the value's mark is used.
fn value_start(file: &LoadedFile, pointer: &str) -> Option<(usize, bool)> {
    let (parent, key) = pointer.rsplit_once('/')?;
    let key = key.replace("~1", "/").replace("~0", "~");
    let (l, c) = file.index.locate_key(parent, &key)?;
    let text = file.text.as_str();
    let mut cur = offset_of(text, l, c)?;
    cur += text[cur..].find(':')? + 1;
    let rest = &text[cur..];
    let after_blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    cur += after_blanks;
    let block = text[cur..].starts_with(['|', '>']);
    if block || text[cur..].starts_with(['\n', '#']) {
        cur += text[cur..].find('\n')? + 1;
        let rest = &text[cur..];
        cur += rest.len() - rest.trim_start().len();
    }
    Some((cur, block))
}

/// The source position of character `target` (0-based, in characters) of the
/// decoded string value at `pointer`. Falls back to the value's start when the
/// alignment fails (an escape that does not appear literally in the source).
pub fn pos_in_value(file: &LoadedFile, pointer: &str, value: &str, target: usize) -> SourcePos {
    let (line, col) = file.index.locate(pointer);
    let fallback = SourcePos::new(file.path.clone(), line, col);
    let text = file.text.as_str();
    let Some((mut cur, block)) = value_start(file, pointer).or_else(|| Some((offset_of(text, line, col)?, false))) else {
        return fallback;
    };
    if !block && text[cur..].starts_with(['\'', '"']) {
        cur += 1;
    }
    let mut chars = value.chars().take(target + 1).peekable();
    while let Some(vc) = chars.next() {
        let last = chars.peek().is_none();
        let rest = &text[cur..];
        if vc.is_whitespace() {
            // A space may come from a folded line break: consume one source blank.
            match rest.chars().next() {
                Some(sc) if sc.is_whitespace() && !last => cur += sc.len_utf8(),
                Some(sc) if sc.is_whitespace() => {}
                _ => {}
            }
            continue;
        }
        match rest.find(vc) {
            Some(i) => {
                cur += i;
                if !last {
                    cur += vc.len_utf8();
                }
            }
            None => return fallback,
        }
    }
    let (l, c) = line_col(text, cur);
    SourcePos::new(file.path.clone(), l, c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::schema::FileKind;
    use crate::yaml_pos::PositionIndex;

    fn file(text: &str) -> LoadedFile {
        LoadedFile {
            path: "r.yaml".into(),
            kind: FileKind::Rules,
            text: text.into(),
            index: PositionIndex::build(text),
        }
    }

    fn at(text: &str, needle: &str) -> (usize, usize) {
        let doc: serde_json::Value = serde_yaml::from_str(text).unwrap();
        let value = doc["rules"][0]["when"].as_str().unwrap().to_string();
        let target = value.find(needle).unwrap();
        let target = value[..target].chars().count();
        let p = pos_in_value(&file(text), "/rules/0/when", &value, target);
        (p.line, p.col)
    }

    #[test]
    fn plain_quoted_and_block_scalars() {
        assert_eq!(at("rules:\n  - when: a && device.usrname == 1\n", "device"), (2, 16));
        assert_eq!(at("rules:\n  - when: 'x == ''y'' && device.usrname'\n", "device"), (2, 26));
        assert_eq!(at("rules:\n  - when: \"x == \\\"y\\\" && device.usrname\"\n", "device"), (2, 26));
        assert_eq!(
            at("rules:\n  - when: >-\n      a &&\n      device.usrname == 1\n", "device"),
            (4, 7)
        );
        assert_eq!(
            at("rules:\n  - when: |\n      a &&\n        device.usrname == 1\n", "device"),
            (4, 9)
        );
        assert_eq!(at("rules:\n  - when: a &&\n      b || device.usrname\n", "device"), (3, 12));
        assert_eq!(
            at("rules:\n  - when: >-\n      \"q\" in x\n      && device.usrname\n", "device"),
            (4, 10)
        );
        assert_eq!(at("rules:\n  - when:\n      a in device.usrname\n", "device"), (3, 12));
    }

    #[test]
    fn rhai_positions_to_offsets() {
        assert_eq!(char_offset("ab\ncd", 2, 2), 4);
        assert_eq!(char_offset("abc", 1, 3), 2);
    }
}
