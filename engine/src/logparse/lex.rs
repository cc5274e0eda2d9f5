//! Small lexers every format shares: the outer prefixes loggers put before a
//! line (timestamps, syslog headers, `[tags]`, log levels, `##[error]`), Python
//! `repr` strings, base64, e-mail addresses and `host:port` pairs.
//!
//! All of them work on borrowed slices and return `None` rather than guess, so
//! a line that does not fit is simply left to the next parser.

/// `hay.find(needle)` for the short literal needles the parsers use: a SIMD
/// search (memchr) for the needle's rarest byte, each hit checked in place.
/// `str::find` builds a Two-Way searcher on every call, which on a log line
/// costs more than the search itself.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return None;
    }
    let Some(k) = (0..n.len()).min_by_key(|&j| BYTE_RANK[n[j] as usize]) else {
        return Some(0);
    };
    // The anchor byte of a match starting at `i` is at `i + k`, for `i` in `0..=h.len() - n.len()`.
    let last_anchor = h.len() - n.len() + k;
    let mut from = k;
    while from <= last_anchor {
        let p = from + memchr::memchr(n[k], &h[from..=last_anchor])?;
        let i = p - k;
        if &h[i..i + n.len()] == n {
            return Some(i);
        }
        from = p + 1;
    }
    None
}

/// `s.trim()`, with a fast path for the usual line that starts and ends with
/// a visible ASCII character (`str::trim` decodes a char at each end).
pub fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// `s.split_once(pat)`, by [`find`].
pub fn split_once<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let i = find(s, pat)?;
    Some((&s[..i], &s[i + pat.len()..]))
}

/// `s.split(pat).nth(1)`: the text between the first `pat` and the next one
/// (or the end), by [`find`].
pub fn between<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    let (_, rest) = split_once(s, pat)?;
    Some(match find(rest, pat) {
        Some(j) => &rest[..j],
        None => rest,
    })
}

/// How common a byte is in log text, higher for more common: [`find`]
/// anchors its search on the needle's least common byte. A rough order
/// (space, then frequent lower-case letters, other letters, digits, capitals,
/// punctuation) is enough: the anchor only has to be rare on most lines.
static BYTE_RANK: [u8; 256] = byte_rank();

const fn byte_rank() -> [u8; 256] {
    let mut r = [10u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        r[b] = match c {
            b' ' => 250,
            b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 200,
            b'a'..=b'z' => 150,
            b'0'..=b'9' => 120,
            b'A'..=b'Z' => 80,
            b'.' | b',' | b'-' | b'/' | b':' | b'\t' => 60,
            _ => 10,
        };
        b += 1;
    }
    r
}

/// A fixed list of needles, searched for all at once: an Aho-Corasick
/// automaton (with a SIMD prefilter) built on first use, so a line costs one
/// pass whatever the number of needles.
pub struct Needles {
    list: &'static [&'static str],
    searcher: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl Needles {
    pub const fn new(list: &'static [&'static str]) -> Needles {
        Needles {
            list,
            searcher: std::sync::OnceLock::new(),
        }
    }

    /// The leftmost needle anywhere in `hay`: `(byte offset, needle index)`;
    /// at one offset the first needle in the list wins (leftmost-first).
    pub fn find(&self, hay: &str) -> Option<(usize, usize)> {
        let searcher = self.searcher.get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(self.list)
                .ok()
        });
        match searcher {
            Some(s) => s.find(hay).map(|m| (m.start(), m.pattern().as_usize())),
            None => find_any(hay, self.list),
        }
    }

    /// The leftmost needle that starts a word in `hay` (a word starts after a
    /// byte that is not ASCII alphanumeric): `(byte offset, needle index)`.
    pub fn find_word(&self, hay: &str) -> Option<(usize, usize)> {
        let b = hay.as_bytes();
        let (i, k) = self.find(hay)?;
        if i == 0 || !b[i - 1].is_ascii_alphanumeric() {
            return Some((i, k));
        }
        // The first hit was inside a word: look again after it.
        let next = hay[i + 1..].find(|c: char| !c.is_ascii_alphanumeric())? + i + 1;
        self.find_word(&hay[next..]).map(|(j, k)| (j + next, k))
    }
}

/// [`Needles::find`] without the automaton (where it cannot be built).
fn find_any(hay: &str, needles: &[&str]) -> Option<(usize, usize)> {
    // First bytes as a bit set: most bytes are rejected by one test.
    let mut first = [0u64; 4];
    for n in needles {
        let c = n.as_bytes()[0];
        first[(c >> 6) as usize] |= 1 << (c & 63);
    }
    let b = hay.as_bytes();
    (0..b.len()).find_map(|i| {
        let c = b[i];
        if first[(c >> 6) as usize] & (1 << (c & 63)) == 0 {
            return None;
        }
        needles.iter().position(|n| b[i..].starts_with(n.as_bytes())).map(|k| (i, k))
    })
}

/// Removes the prefixes loggers put before a message: ISO or syslog
/// timestamps, `host prog[pid]:`, `[...]` tags, log levels, `##[error]`.
/// Returns the message (the whole line when nothing is recognised).
pub fn strip_outer_prefix(line: &str) -> &str {
    // Every prefix (and the blanks and `:` trimmed) starts with one of these
    // bytes; a line starting otherwise (`<`, `*`, a lower-case word) has none.
    if !matches!(
        line.as_bytes().first(),
        Some(b' ' | b'\t' | b'#' | b'[' | b':' | b'0'..=b'9' | b'A'..=b'Z')
    ) {
        return line;
    }
    let mut s = line;
    for _ in 0..6 {
        let before = s.len();
        s = trim_blanks(s);
        if s.starts_with('#') {
            s = s.strip_prefix("##[error]").or_else(|| s.strip_prefix("##[warning]")).unwrap_or(s);
        }
        // Timestamps and clocks start with a digit, syslog dates and levels
        // with a capital, tags with `[`: only those that can match are tried.
        let skipped = match s.as_bytes().first() {
            Some(b'0'..=b'9') => skip_iso_timestamp(s).or_else(|| skip_clock(s)),
            Some(b'A'..=b'Z') => skip_syslog_timestamp(s).or_else(|| skip_level(s)),
            Some(b'[') => skip_bracket(s),
            _ => None,
        };
        s = skipped.unwrap_or(s);
        if s.len() == before {
            break;
        }
    }
    &s[s.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b':')).count()..]
}

/// `s` without its leading spaces and tabs.
fn trim_blanks(s: &str) -> &str {
    &s[s.bytes().take_while(|b| matches!(b, b' ' | b'\t')).count()..]
}

fn digits_at(s: &[u8], at: usize, n: usize) -> bool {
    s.len() >= at + n && s[at..at + n].iter().all(u8::is_ascii_digit)
}

/// `2026-11-29 15:54:38`, `2026-11-29T15:54:38.123Z`, `2026/11/29 10:15:00,123`, `16/03/01 20:39:28`.
fn skip_iso_timestamp(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let date_len = if digits_at(b, 0, 4) && matches!(b.get(4), Some(b'-' | b'/')) && digits_at(b, 5, 2) && digits_at(b, 8, 2) {
        10
    } else if digits_at(b, 0, 2) && matches!(b.get(2), Some(b'/' | b'-' | b'.')) && digits_at(b, 3, 2) && digits_at(b, 6, 2) {
        8
    } else {
        return None;
    };
    let mut rest = &s[date_len..];
    if let Some(r) = rest.strip_prefix(['T', ' ']) {
        rest = skip_clock(r).unwrap_or(r);
    }
    Some(rest.strip_prefix(['Z', ',', ']', ':']).unwrap_or(rest))
}

/// `15:54:38`, `15:54:22.421665`, `19:37:31:628`, with an optional zone.
fn skip_clock(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !(digits_at(b, 0, 2) && b.get(2) == Some(&b':') && digits_at(b, 3, 2)) {
        return None;
    }
    let mut i = 5;
    if b.get(5) == Some(&b':') && digits_at(b, 6, 2) {
        i = 8;
    }
    if matches!(b.get(i), Some(b'.' | b',' | b':')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let mut rest = &s[i..];
    rest = rest.strip_prefix('Z').unwrap_or(rest);
    if let Some(r) = rest.strip_prefix(['+', '-']) {
        if digits_at(r.as_bytes(), 0, 2) {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':');
        }
    }
    Some(rest)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Nov 29 15:56:44 host prog[123]: ` (the host and tag are skipped too).
fn skip_syslog_timestamp(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() < 16 || b[3] != b' ' || !b[0].is_ascii_uppercase() || !MONTHS.iter().any(|m| s.starts_with(m)) {
        return None;
    }
    let rest = s[4..].trim_start();
    let day_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if day_len == 0 || day_len > 2 {
        return None;
    }
    let rest = skip_clock(rest[day_len..].trim_start())?.trim_start();
    Some(skip_syslog_tag(rest).unwrap_or(rest))
}

/// `host prog[pid]: ` or `host prog: ` after a syslog timestamp.
fn skip_syslog_tag(s: &str) -> Option<&str> {
    let (host, rest) = s.split_once(' ')?;
    if host.is_empty() || host.contains(':') {
        return None;
    }
    let (tag, rest) = split_once(rest, ": ")?;
    if tag.is_empty() || tag.contains(' ') {
        return None;
    }
    Some(rest)
}

/// A leading `[...]` group up to 64 chars (`[2026-11-29 15:55:32]`, `[SMTP]`, `[tMMBza8FrUI]`).
fn skip_bracket(s: &str) -> Option<&str> {
    let r = s.strip_prefix('[')?;
    let end = memchr::memchr(b']', &r.as_bytes()[..r.len().min(64)])?;
    let inner = &r[..end];
    // `[<-]`/`[->]` are ssmtp's direction markers, not tags.
    if inner == "<-" || inner == "->" {
        return None;
    }
    Some(&r[end + 1..])
}

const LEVELS: [&str; 9] = ["DEBUG", "INFO", "WARN", "WARNING", "ERROR", "TRACE", "FATAL", "NOTICE", "ERR"];

fn skip_level(s: &str) -> Option<&str> {
    let word_len = s.bytes().take_while(u8::is_ascii_uppercase).count();
    // Levels have 3 to 7 letters: a longer or shorter word needs no comparing.
    if !(3..=7).contains(&word_len) {
        return None;
    }
    let word = &s[..word_len];
    let rest = &s[word_len..];
    if LEVELS.contains(&word) && (rest.starts_with([' ', ':', '\t']) || rest.is_empty()) {
        Some(rest)
    } else {
        None
    }
}

/// Undoes a Python `repr` of str or bytes: `b'250 OK\r\n'` -> `250 OK`.
/// Returns `None` when `s` is not a quoted literal.
pub fn python_unrepr(s: &str) -> Option<String> {
    let mut out = String::new();
    python_unrepr_into(s, &mut out)?;
    Some(out)
}

/// [`python_unrepr`] into a buffer the caller reuses (cleared first): one
/// allocation per file instead of one per line.
pub fn python_unrepr_into(s: &str, out: &mut String) -> Option<()> {
    out.clear();
    let s = s.trim();
    let s = s.strip_prefix('b').unwrap_or(s);
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = s[1..].strip_suffix(quote).unwrap_or(&s[1..]);
    out.reserve(body.len());
    // The text between escapes is copied whole.
    let mut rest = body;
    while let Some(i) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let mut chars = rest[i + 1..].chars();
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).map(char::from).unwrap_or('?'));
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    Some(())
}

/// Standard base64 (padding optional). `None` when `s` is not base64.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    if s.is_empty() || s.len() % 4 == 1 || s.len() > 4096 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Base64 that decodes to printable UTF-8 text (a login name, a prompt).
pub fn base64_text(s: &str) -> Option<String> {
    let bytes = base64_decode(s)?;
    let text = String::from_utf8(bytes).ok()?;
    (!text.is_empty() && text.chars().all(|c| !c.is_control() || c == '\0' || c == '\u{1}')).then_some(text)
}

/// Whether `s` looks like a base64 token (no spaces, base64 alphabet, length ≥ 4).
pub fn looks_base64(s: &str) -> bool {
    s.len() >= 4
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// The address in `MAIL FROM:<a@b> SIZE=1` / `RCPT TO: a@b` (after the colon).
pub fn envelope_address(cmd: &str) -> Option<&str> {
    let (_, rest) = cmd.split_once(':')?;
    let rest = rest.trim_start();
    let addr = match rest.strip_prefix('<') {
        Some(r) => &r[..r.find('>')?],
        None => rest.split_whitespace().next()?,
    };
    Some(addr)
}

/// The domain of an address, lower-cased.
pub fn domain_of(addr: &str) -> Option<String> {
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// `host:587`, `host port 587`, `[host]:587`, `('host', 587)`: host and port.
pub fn host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let s = s.trim().trim_matches(|c| matches!(c, '(' | ')' | '\'' | '"' | '.' | ','));
    if let Some((h, p)) = s.rsplit_once(':') {
        let port: String = p.chars().take_while(char::is_ascii_digit).collect();
        let h = h.trim_matches(['[', ']']);
        if !port.is_empty() && is_host(h) {
            return Some((h, port.parse().ok()));
        }
    }
    let host = s.split([' ', ',', '\'', '"']).next()?.trim_matches(['[', ']']);
    is_host(host).then_some((host, None))
}

/// A plausible host name or IP literal.
pub fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() < 254
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
        && h.contains(['.', ':'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find`, `split_once` and `between` say what `str` says, on every
    /// position of every needle in a few real lines and their cut-offs.
    #[test]
    fn find_agrees_with_str() {
        let lines = [
            "Nov 29 15:56:44 vm postfix/smtp[21047]: E2: to=<a@b>, relay=x[1.2.3.4]:587, status=deferred (host x said: 535 5.7.3 y (in reply to AUTH))",
            "said: said: said:",
            "aaaaab aab ab b",
            "é: ü: ✓ x: ",
            "\u{a0}x\u{a0}",
            "\tx y \r",
            "",
        ];
        let needles = [
            ": ",
            " said: ",
            "status=",
            "relay=",
            "a",
            "ab",
            "aab",
            "b",
            "é",
            "✓ x",
            "(in reply to ",
            "zz",
            "said: said: said: said:",
        ];
        for line in lines {
            for cut in (0..=line.len()).filter(|&i| line.is_char_boundary(i)) {
                let hay = &line[..cut];
                for n in needles {
                    assert_eq!(find(hay, n), hay.find(n), "{:?} in {:?}", n, hay);
                    assert_eq!(split_once(hay, n), hay.split_once(n), "{:?} in {:?}", n, hay);
                    assert_eq!(between(hay, n), hay.split(n).nth(1), "{:?} in {:?}", n, hay);
                }
                assert_eq!(find(hay, ""), Some(0));
                assert_eq!(trim(hay), hay.trim());
            }
        }
    }

    #[test]
    fn outer_prefixes() {
        for (line, want) in [
            ("2026-11-29 15:54:38\tCLIENT -> SERVER: EHLO vm", "CLIENT -> SERVER: EHLO vm"),
            ("[2026-11-29 15:55:32] DEBUG [tMMBza8FrUI] C: STARTTLS", "C: STARTTLS"),
            ("Nov 29 15:56:44 vm postfix/smtp[21047]: E2: to=<a@b>", "E2: to=<a@b>"),
            ("15:54:22.421665 send: 'x'", "send: 'x'"),
            ("19:37:31:628\t15:54:22.421665 send: 'x'", "send: 'x'"),
            ("##[error]Exception calling", "Exception calling"),
            ("2024-01-01T10:00:00Z S: 220 x", "S: 220 x"),
            ("[<-] 220 x", "[<-] 220 x"),
            ("535 5.7.3 x", "535 5.7.3 x"),
            (
                "#[dcs_nas(27)]16/03/01 20:39:28 SMTPC: x",
                "#[dcs_nas(27)]16/03/01 20:39:28 SMTPC: x",
            ),
        ] {
            assert_eq!(strip_outer_prefix(line), want, "{}", line);
        }
    }

    #[test]
    fn python_and_base64() {
        assert_eq!(python_unrepr(r"b'250 OK\r\n'").as_deref(), Some("250 OK\r\n"));
        assert_eq!(python_unrepr(r#""it's\x41""#).as_deref(), Some("it'sA"));
        assert_eq!(base64_text("c2Nhbm5lckBjb250b3NvLmNvbQ==").as_deref(), Some("scanner@contoso.com"));
        assert_eq!(base64_text("VXNlcm5hbWU6").as_deref(), Some("Username:"));
        assert!(base64_text("********").is_none());
        assert!(base64_decode("a").is_none());
    }

    #[test]
    fn addresses_and_hosts() {
        assert_eq!(envelope_address("MAIL FROM:<a@b.com> SIZE=10"), Some("a@b.com"));
        assert_eq!(envelope_address("rcpt TO: x@y.org"), Some("x@y.org"));
        assert_eq!(domain_of("A@Contoso.COM"), Some("contoso.com".into()));
        assert_eq!(host_port("smtp.office365.com:587"), Some(("smtp.office365.com", Some(587))));
        assert_eq!(host_port("127.0.0.1:2587..."), Some(("127.0.0.1", Some(2587))));
        assert_eq!(host_port("('smtp.office365.com', 587)"), Some(("smtp.office365.com", None)));
    }
}
