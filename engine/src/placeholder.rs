//! Placeholders in KB texts and commands: `{device.username}` is replaced by the
//! fact's value; `{device.username|<EmailAddress>}` names what to show when the
//! fact is unknown (without a fallback, `<device.username>` is shown).
//!
//! Values that land in commands come from logs and settings people paste, so they
//! are quoted for the target shell unless they are plainly safe: a crafted MAIL
//! FROM must not turn a ready-to-run command into another command.

use crate::facts::{Facts, ROOTS};
use crate::kb::raw::Shell;
use serde_json::Value;

/// Whether `s` is a dotted fact path such as `device.username`.
pub fn is_fact_path(s: &str) -> bool {
    s.split_once('.').is_some_and(|(root, rest)| {
        ROOTS.contains(&root) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

/// Fact paths a placeholder's fallback names (`{device.username|log.auth_user|<EmailAddress>}`).
pub fn fallback_paths(fallback: &str) -> Vec<String> {
    fallback
        .split('|')
        .map(str::trim)
        .filter(|p| is_fact_path(p))
        .map(str::to_string)
        .collect()
}

/// A placeholder found in a text: (byte range, fact path, fallback).
pub fn find(text: &str) -> Vec<(std::ops::Range<usize>, String, Option<String>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = text[i..].find('{') {
        let start = i + open;
        let Some(close) = text[start..].find('}') else {
            break;
        };
        let inner = &text[start + 1..start + close];
        let (path, fallback) = match inner.split_once('|') {
            Some((p, f)) => (p.trim(), Some(f.to_string())),
            None => (inner.trim(), None),
        };
        if is_fact_path(path) {
            out.push((start..start + close + 1, path.to_string(), fallback));
        }
        i = start + 1;
    }
    out
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(a.iter().filter_map(value_text).collect::<Vec<_>>().join(", ")),
        other => Some(other.to_string()),
    }
}

fn plain(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "@._-+:/".contains(c))
}

fn quote(s: &str, shell: Shell) -> String {
    if plain(s) {
        return s.to_string();
    }
    match shell {
        Shell::Powershell => format!("'{}'", s.replace('\'', "''")),
        Shell::Sh => format!("'{}'", s.replace('\'', "'\\''")),
        Shell::Cmd => format!("\"{}\"", s.replace('"', "")),
    }
}

/// Fills placeholders for reading (no quoting).
pub fn fill(text: &str, facts: &Facts) -> String {
    fill_with(text, facts, None)
}

/// Fills placeholders in a command, quoting values for `shell`.
pub fn fill_command(text: &str, facts: &Facts, shell: Shell) -> String {
    fill_with(text, facts, Some(shell))
}

fn fill_with(text: &str, facts: &Facts, shell: Option<Shell>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, path, fallback) in find(text) {
        out.push_str(&text[last..range.start]);
        // `{a|b|<Shown>}`: the first known fact among the alternatives, else the literal.
        let mut alternatives = vec![path.clone()];
        let mut literal = None;
        for part in fallback.as_deref().unwrap_or("").split('|').filter(|p| !p.is_empty()) {
            if is_fact_path(part.trim()) {
                alternatives.push(part.trim().to_string());
            } else {
                literal = Some(part.to_string());
            }
        }
        match alternatives.iter().find_map(|p| facts.get(p).and_then(value_text)) {
            Some(v) => out.push_str(&match shell {
                Some(sh) => quote(&v, sh),
                None => v,
            }),
            None => out.push_str(&literal.unwrap_or_else(|| format!("<{}>", path))),
        }
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_known_and_marks_unknown() {
        let mut f = Facts::new();
        f.set("device.username", json!("scanner@contoso.com")).unwrap();
        let cmd = "Set-CASMailbox -Identity {device.username} -SmtpClientAuthenticationDisabled $false; {device.from|<SenderAddress>} {device.server} { $_.Name }";
        assert_eq!(
            fill_command(cmd, &f, Shell::Powershell),
            "Set-CASMailbox -Identity scanner@contoso.com -SmtpClientAuthenticationDisabled $false; <SenderAddress> <device.server> { $_.Name }"
        );
    }

    #[test]
    fn fallback_chain_takes_the_first_known_fact() {
        let mut f = Facts::new();
        f.set("log.auth_user", json!("scanner@contoso.com")).unwrap();
        assert_eq!(fill("{device.username|log.auth_user|<EmailAddress>}", &f), "scanner@contoso.com");
        assert_eq!(fill("{device.from|log.mail_from|<SenderAddress>}", &f), "<SenderAddress>");
        f.set("device.username", json!("printer@contoso.com")).unwrap();
        assert_eq!(fill("{device.username|log.auth_user|<EmailAddress>}", &f), "printer@contoso.com");
    }

    #[test]
    fn hostile_values_are_quoted() {
        let mut f = Facts::new();
        f.set("device.from", json!("x@y.z'; Remove-Mailbox -Identity boss #")).unwrap();
        let out = fill_command("Add-RecipientPermission -Identity {device.from}", &f, Shell::Powershell);
        assert_eq!(out, "Add-RecipientPermission -Identity 'x@y.z''; Remove-Mailbox -Identity boss #'");
    }
}
