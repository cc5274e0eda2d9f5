//! Source positions of YAML values, keyed by JSON pointer.
//!
//! serde_yaml gives typed values but no spans, and JSON Schema errors name a JSON
//! pointer (`/causes/3/title`). This module replays the YAML event stream once
//! (yaml-rust2) and records where every value starts, so any diagnostic about a
//! value can point at its line and column.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Where each value of one YAML document starts. Lines and columns are 1-based.
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    positions: HashMap<String, (usize, usize)>,
}

enum Frame {
    Map { pointer: String, pending_key: Option<String> },
    Seq { pointer: String, next: usize },
}

struct Recorder {
    stack: Vec<Frame>,
    positions: HashMap<String, (usize, usize)>,
    anchors_seen: bool,
}

fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

impl Recorder {
    /// The pointer of the value that the next node will be, or None when the
    /// next node is a mapping key.
    fn next_pointer(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, next }) => {
                let p = format!("{}/{}", pointer, next);
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { pointer, pending_key }) => pending_key.take().map(|k| format!("{}/{}", pointer, escape(&k))),
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = (mark.line().max(1), mark.col() + 1);
        match ev {
            Event::Scalar(value, ..) => match self.next_pointer() {
                Some(p) => {
                    self.positions.insert(p, pos);
                }
                None => {
                    // A mapping key: remember it (and where the key sits, for
                    // "unknown field" style errors that name the key itself).
                    if let Some(Frame::Map { pointer, pending_key }) = self.stack.last_mut() {
                        let key_ptr = format!("{}/{}", pointer, escape(&value));
                        self.positions.entry(format!("{}#key", key_ptr)).or_insert(pos);
                        *pending_key = Some(value);
                    }
                }
            },
            Event::SequenceStart(..) => {
                let p = self.next_pointer().unwrap_or_default();
                self.positions.insert(p.clone(), pos);
                self.stack.push(Frame::Seq { pointer: p, next: 0 });
            }
            Event::MappingStart(..) => {
                let p = self.next_pointer().unwrap_or_default();
                self.positions.insert(p.clone(), pos);
                self.stack.push(Frame::Map {
                    pointer: p,
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                self.anchors_seen = true;
                let _ = self.next_pointer();
            }
            _ => {}
        }
    }
}

impl PositionIndex {
    /// Index a YAML text. A text that does not parse gives an empty index (the
    /// syntax error itself is reported by the loader, with its own position).
    pub fn build(text: &str) -> PositionIndex {
        let mut rec = Recorder {
            stack: Vec::new(),
            positions: HashMap::new(),
            anchors_seen: false,
        };
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut rec, false);
        PositionIndex { positions: rec.positions }
    }

    /// Position of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> (usize, usize) {
        let mut p = pointer.to_string();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return (1, 1),
            }
        }
    }

    /// Position of the key `key` inside the mapping at `pointer`, if present.
    pub fn locate_key(&self, pointer: &str, key: &str) -> Option<(usize, usize)> {
        self.positions.get(&format!("{}/{}#key", pointer, escape(key))).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_to_lines() {
        let text = "# c\ncauses:\n  - id: cause.a\n    title: A\n  - id: cause.b\n    fixed_by:\n      - fix: x\n";
        let idx = PositionIndex::build(text);
        assert_eq!(idx.locate("/causes/0/id"), (3, 9));
        assert_eq!(idx.locate("/causes/1/id").0, 5);
        assert_eq!(idx.locate("/causes/1/fixed_by/0/fix").0, 7);
        // An unknown child falls back to the nearest known ancestor.
        assert_eq!(idx.locate("/causes/1/nope").0, 5);
        assert_eq!(idx.locate_key("/causes/0", "title"), Some((4, 5)));
    }
}
