//! Log and transcript parsing: from whatever a device or app printed to `log.*`
//! facts with the line each fact came from.
//!
//! This first version finds the server replies in any text; format-specific
//! parsers (swaks, smtplib, .NET, Postfix, device logs, ...) build on it.

use crate::facts::Facts;
use crate::inputs::reply_fact;
use crate::reply;
use serde_json::Value;

/// What one log gave.
#[derive(Debug, Default, Clone)]
pub struct ParsedLog {
    /// Facts under `log.` (without the prefix), in the order found.
    pub replies: Vec<Value>,
    pub formats: Vec<String>,
}

impl ParsedLog {
    /// Adds this log's facts to the tree.
    pub fn merge_into(&self, facts: &mut Facts) {
        for r in &self.replies {
            facts.push("log.replies", r.clone()).expect("log.replies is a list");
        }
        for f in &self.formats {
            facts.push("log.formats", Value::String(f.clone())).expect("log.formats is a list");
        }
    }
}

/// Parses a log text. Never fails: text it does not understand is skipped.
pub fn parse_log(text: &str, file: &str) -> ParsedLog {
    let replies = reply::find_replies(text, false)
        .iter()
        .map(|r| reply_fact(r, "unknown", "log", file, r.line))
        .collect();
    ParsedLog {
        replies,
        formats: vec!["text".into()],
    }
}

/// Decodes a file's bytes: UTF-8 (BOM stripped), UTF-16 LE/BE with BOM, else
/// Latin-1 for bytes that are not UTF-8. Never fails.
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}
