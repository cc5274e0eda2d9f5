//! Matching replies and client-side errors to the KB's code classes.
//!
//! Every class whose criteria all hold is a candidate; the most specific one wins
//! (text phrases beat enhanced codes beat bare reply codes), so the bare
//! `535 5.7.139` class only catches replies that no text variant explains.

use crate::kb::model::{CodeClass, Kb};
use crate::kb::raw::Stage;

/// What is known of one reply for matching.
pub struct ReplyView<'a> {
    pub code: Option<u16>,
    pub enhanced: Option<&'a str>,
    pub text: &'a str,
    pub stage: Option<Stage>,
}

fn text_ok(c: &CodeClass, lower: &str) -> bool {
    (c.text_any.is_empty() || c.text_any.iter().any(|p| lower.contains(p.as_str())))
        && c.text_all.iter().all(|p| lower.contains(p.as_str()))
        && !c.text_none.iter().any(|p| lower.contains(p.as_str()))
}

impl CodeClass {
    /// Whether a server reply belongs to this class.
    pub fn matches_reply(&self, r: &ReplyView) -> bool {
        let m = &self.entry.value.matcher;
        if m.client_error {
            return false;
        }
        // A paste that lost the three-digit code (.NET) still matches on the rest.
        if !m.reply.is_empty() && r.code.is_some_and(|c| !m.reply.contains(&c)) {
            return false;
        }
        if !m.reply.is_empty() && r.code.is_none() && self.enhanced.is_empty() && self.text_any.is_empty() {
            return false;
        }
        if !self.enhanced.is_empty() {
            match r.enhanced {
                Some(e) if self.enhanced.iter().any(|p| p.matches(e)) => {}
                _ => return false,
            }
        }
        if !m.stages.is_empty() {
            if let Some(s) = r.stage {
                if s != Stage::Unknown && !m.stages.contains(&s) {
                    return false;
                }
            }
        }
        text_ok(self, &r.text.to_lowercase())
    }

    /// Whether a client-side error text belongs to this class.
    pub fn matches_client_error(&self, text: &str) -> bool {
        self.entry.value.matcher.client_error && text_ok(self, &text.to_lowercase())
    }
}

impl Kb {
    /// The best code class for a reply, if any.
    pub fn classify_reply(&self, r: &ReplyView) -> Option<&CodeClass> {
        best(self.codes.iter().filter(|c| c.matches_reply(r)))
    }

    /// The best code class for a client-side error text, if any.
    pub fn classify_client_error(&self, text: &str) -> Option<&CodeClass> {
        best(self.codes.iter().filter(|c| c.matches_client_error(text)))
    }
}

/// Highest specificity; the first in KB order among equals.
fn best<'a>(it: impl Iterator<Item = &'a CodeClass>) -> Option<&'a CodeClass> {
    let mut best: Option<&CodeClass> = None;
    for c in it {
        if best.is_none_or(|b| c.specificity > b.specificity) {
            best = Some(c);
        }
    }
    best
}
