//! Languages: picking the user's language and looking up translated KB texts.
//!
//! English lives in the entries; each `kb/i18n/<lang>.yaml` overlays translations
//! keyed by entry id and field. A missing translation falls back to English for
//! that one string. Fingerprints of the English source (FNV-1a, 8 hex digits) sit
//! beside each translation so `kb lint` can tell when the English changed.

use crate::kb::Kb;
use serde_json::Value;

/// The language to use: `--lang`, else `LC_ALL`, `LC_MESSAGES`, `LANG` (first set,
/// non-empty), else English. `it_IT.UTF-8` gives `it`; `C` and `POSIX` give `en`.
pub fn resolve_lang(explicit: Option<&str>, env: impl Fn(&str) -> Option<String>) -> String {
    if let Some(l) = explicit {
        return normalize(l);
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Some(v) = env(var).filter(|v| !v.trim().is_empty()) {
            return normalize(&v);
        }
    }
    "en".to_string()
}

fn normalize(l: &str) -> String {
    let base = l
        .split(['.', '@'])
        .next()
        .unwrap_or("")
        .split(['_', '-'])
        .next()
        .unwrap_or("")
        .to_lowercase();
    match base.as_str() {
        "" | "c" | "posix" => "en".into(),
        _ => base,
    }
}

/// Short fingerprint of an English source text.
pub fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.trim().as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:08x}", (h >> 32) as u32 ^ h as u32)
}

/// Looks up translations for one language.
pub struct Translator<'a> {
    kb: &'a Kb,
    lang: String,
}

impl<'a> Translator<'a> {
    pub fn new(kb: &'a Kb, lang: &str) -> Translator<'a> {
        Translator {
            kb,
            lang: lang.to_string(),
        }
    }

    /// The language actually used (`en` when the KB has no such translation).
    pub fn lang(&self) -> &str {
        if self.lang == "en" || self.kb.translations.contains_key(&self.lang) {
            &self.lang
        } else {
            "en"
        }
    }

    fn entry_field(&self, id: &str, field: &str) -> Option<&'a Value> {
        self.kb.translations.get(&self.lang)?.entries.get(id)?.get(field)
    }

    /// A translated text field, or the English.
    pub fn text(&self, id: &str, field: &str, english: &str) -> String {
        match self.entry_field(id, field) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => english.to_string(),
        }
    }

    /// A translated list field (`steps`), item by item, or the English.
    pub fn list(&self, id: &str, field: &str, english: &[String]) -> Vec<String> {
        match self.entry_field(id, field) {
            Some(Value::Array(items)) if items.len() == english.len() => items
                .iter()
                .zip(english)
                .map(|(t, e)| t.as_str().filter(|s| !s.trim().is_empty()).unwrap_or(e).to_string())
                .collect(),
            _ => english.to_vec(),
        }
    }

    /// A report message by key, translated, or English, or the key itself.
    pub fn msg(&self, key: &str) -> String {
        self.kb
            .translations
            .get(&self.lang)
            .and_then(|t| t.messages.get(key))
            .or_else(|| self.kb.messages.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_resolution() {
        let env =
            |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        assert_eq!(resolve_lang(None, env(&[("LANG", "it_IT.UTF-8")])), "it");
        assert_eq!(resolve_lang(None, env(&[("LC_ALL", "C"), ("LANG", "it_IT.UTF-8")])), "en");
        assert_eq!(
            resolve_lang(None, env(&[("LC_ALL", ""), ("LC_MESSAGES", "it"), ("LANG", "de_DE")])),
            "it"
        );
        assert_eq!(resolve_lang(Some("IT"), env(&[])), "it");
        assert_eq!(resolve_lang(None, env(&[])), "en");
        assert_eq!(fingerprint("abc"), fingerprint(" abc \n"));
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
    }
}
