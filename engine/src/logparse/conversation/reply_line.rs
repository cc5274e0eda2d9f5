//! Reply lines as clients print them: `250-SIZE 1` split into code, separator
//! and text, a leading enhanced status code, and whether two replies are the
//! same one printed twice (a transcript line and an error summary).

use crate::reply::Reply;

/// Whether two replies are the same (an echo of the other), allowing a lost code or cut text.
pub fn same_reply(a: &Reply, b: &Reply) -> bool {
    if a.code.is_some() && b.code.is_some() && a.code != b.code {
        return false;
    }
    if a.enhanced.is_some() && b.enhanced.is_some() && a.enhanced != b.enhanced {
        return false;
    }
    // The first `n` bytes (cut on a char boundary), with line breaks as blanks,
    // ignoring ASCII case; compared in place (this runs on every echoed reply).
    let n = a.text.len().min(b.text.len()).min(40);
    let (x, y) = (crate::logparse::input::cap(&a.text, n), crate::logparse::input::cap(&b.text, n));
    let norm = |c: u8| if c == b'\n' { b' ' } else { c.to_ascii_lowercase() };
    x.len() == y.len() && x.bytes().zip(y.bytes()).all(|(p, q)| norm(p) == norm(q)) && (n > 0 || a.code == b.code)
}

/// `250-SIZE 1` -> (250, '-', "SIZE 1"); `250` -> (250, ' ', "").
pub fn split_reply_line(s: &str) -> Option<(u16, char, &str)> {
    let b = s.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&b[0]) {
        return None;
    }
    let code: u16 = s[..3].parse().ok()?;
    match b.get(3) {
        None => Some((code, ' ', "")),
        Some(b'-') => Some((code, '-', &s[4..])),
        Some(b' ' | b'\t') => Some((code, ' ', &s[4..])),
        Some(_) => None,
    }
}

/// Splits a leading enhanced status code (`5.7.139 text`).
pub fn split_enhanced(s: &str) -> (Option<&str>, &str) {
    let t = s.trim_start();
    let b = t.as_bytes();
    // `[245].d{1,3}.d{1,3}` then the end or a blank, read byte by byte (this runs on every reply line).
    let digits = |from: usize| b[from.min(b.len())..].iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if b.len() < 5 || !matches!(b[0], b'2' | b'4' | b'5') || b[1] != b'.' {
        return (None, s);
    }
    let d1 = digits(2);
    if d1 == 0 || d1 > 3 || b.get(2 + d1) != Some(&b'.') {
        return (None, s);
    }
    let d2 = digits(3 + d1);
    let end = 3 + d1 + d2;
    if d2 == 0 || d2 > 3 || !matches!(b.get(end), None | Some(b' ' | b'\t')) {
        return (None, s);
    }
    (Some(&t[..end]), &t[end..])
}

pub(super) fn strip_same_enhanced<'a>(rest: &'a str, enh: Option<&str>) -> &'a str {
    match (split_enhanced(rest), enh) {
        ((Some(e), body), Some(o)) if e == o => body,
        _ => rest,
    }
}
