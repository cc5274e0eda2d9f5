//! The SMTP reply parser: finds server replies in whatever people paste and splits
//! each into reply code, RFC 3463 enhanced status code and text.
//!
//! It accepts a clean reply (`535 5.7.3 Authentication unsuccessful`), multi-line
//! replies (`250-SIZE ...` / `250 OK` become one reply), replies behind timestamps
//! and log prefixes, `SMTP;` prefixes, Python's `(535, b'5.7.139 ...')`, and the
//! replies clients nest inside other replies (.NET's `... 5.7.57 ... Error: 535
//! 5.7.139 ...`): both the outer and the inner reply are returned, the inner one
//! marked `nested`. The nom combinators below recognise the code tokens; the scan
//! around them decides which tokens start a reply. Any byte sequence is accepted.

use nom::bytes::complete::take_while_m_n;
use nom::character::complete::{char, one_of};
use nom::combinator::{recognize, verify};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};
use serde::Serialize;

/// One server reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// Three-digit code; `None` when the paste only kept the enhanced code.
    pub code: Option<u16>,
    /// Enhanced status code (`5.7.139`).
    pub enhanced: Option<String>,
    /// The reply text after the codes (lines of a multi-line reply joined by `\n`).
    pub text: String,
    /// 1-based line of the input where the reply starts.
    pub line: usize,
    /// Found inside another reply's text.
    pub nested: bool,
}

impl Reply {
    /// The reply as one line: `535 5.7.3 text`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(c) = self.code {
            s.push_str(&c.to_string());
        }
        if let Some(e) = &self.enhanced {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(e);
        }
        if !self.text.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&self.text.replace('\n', " / "));
        }
        s
    }
}

fn digits(min: usize, max: usize) -> impl Fn(&str) -> IResult<&str, &str> {
    move |i| take_while_m_n(min, max, |c: char| c.is_ascii_digit())(i)
}

/// `[2-5]dd`: a reply code.
fn reply_code(i: &str) -> IResult<&str, &str> {
    recognize((one_of("2345"), digits(2, 2))).parse(i)
}

/// `[245].d{1,3}.d{1,3}`: an enhanced status code.
fn enhanced_code(i: &str) -> IResult<&str, &str> {
    recognize((one_of("245"), char('.'), digits(1, 3), char('.'), digits(1, 3))).parse(i)
}

/// Whether `s` is exactly an enhanced status code (`5.7.60`), nothing around it.
pub fn is_enhanced_code(s: &str) -> bool {
    matches!(enhanced_code(s), Ok(("", _)))
}

/// After a token: the next char must not continue a number.
fn ends_token(rest: &str) -> bool {
    match rest.chars().next() {
        None => true,
        Some(c) if c.is_ascii_digit() || c.is_alphabetic() => false,
        Some('.') => !rest[1..].starts_with(|c: char| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Before a token: the previous char must not be part of a word or number.
fn starts_token(before: &str) -> bool {
    !before.ends_with(|c: char| c.is_alphanumeric() || c == '.' || c == '_' || c == '/' || c == '+')
}

/// A token found in a line.
#[derive(Debug, Clone)]
struct Hit {
    start: usize,
    /// Byte offset where the text begins.
    text_start: usize,
    code: Option<u16>,
    enhanced: Option<String>,
    /// `250-` continuation marker.
    continued: bool,
    /// Strong: a code with an enhanced code, or an enhanced code followed by text.
    strong: bool,
}

/// `code[ -]enhanced` or `code[ -]` at `i`.
fn code_token(i: &str) -> IResult<&str, (&str, char, Option<&str>)> {
    let (rest, code) = verify(reply_code, |_: &str| true).parse(i)?;
    let (rest, sep) = one_of(" -\t").parse(rest)?;
    let rest_trim = rest.trim_start_matches([' ', '\t']);
    match terminated(enhanced_code, |r| Ok((r, ()))).parse(rest_trim) {
        Ok((after, enh)) if ends_token(after) => Ok((after, (code, sep, Some(enh)))),
        _ => Ok((rest, (code, sep, None))),
    }
}

/// Characters that may stand right before a reply that has no enhanced code.
fn weak_context(before: &str) -> bool {
    let t = before.trim_end();
    if t.is_empty() {
        return true;
    }
    // Separators log formats put before a reply: `<-`, `S:`, `reply:`, `]`, `'`, `"`, `|`, `;`.
    t.ends_with([':', '>', ']', '\'', '"', '(', '|', ';', '-', '*', '=', '~']) && before.len() > t.len() || t.ends_with(['\'', '"', '('])
}

/// Before an enhanced code that has no reply code: the start of the text or a
/// separator (`was: 5.7.57`, `Exception: 5.7.139`, `(535, b'5.7.3`), not a word
/// (`version 5.7.3 of the firmware`).
fn enhanced_context(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty() || t.ends_with([':', '\'', '"', '(', '=', '>', ']', '|', ';', '-', ','])
}

fn scan_line(line: &str, whole_is_reply: bool) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    let mut idx = 0;
    let bytes = line.as_bytes();
    while idx < line.len() {
        // Every token starts with `[2-5]dd` (a code) or `[245].` (an enhanced
        // code): other offsets are passed over without calling the parsers.
        // (An ASCII digit is always a char boundary.)
        match next_code_digit(bytes, idx) {
            Some(at) => idx = at,
            None => break,
        }
        let digit_at = |k: usize| bytes.get(idx + k).is_some_and(u8::is_ascii_digit);
        let may_be_code = digit_at(1) && digit_at(2);
        let may_be_enhanced = bytes[idx] != b'3' && bytes.get(idx + 1) == Some(&b'.');
        if !may_be_code && !may_be_enhanced {
            idx += 1;
            continue;
        }
        let before = &line[..idx];
        if !starts_token(before) {
            idx += 1;
            continue;
        }
        let rest = &line[idx..];
        // code + optional enhanced
        if let Ok((after, (code, sep, enh))) = code_token(rest) {
            let code_n: u16 = code.parse().unwrap_or(0);
            let strong = enh.is_some();
            let at_line_start = before.trim().is_empty();
            if strong || weak_context(before) || (whole_is_reply && at_line_start) {
                let text_start = line.len() - after.len();
                hits.push(Hit {
                    start: idx,
                    text_start,
                    code: Some(code_n),
                    enhanced: enh.map(str::to_string),
                    continued: sep == '-',
                    strong,
                });
                idx = text_start.max(idx + 1);
                continue;
            }
        } else if rest.len() == 3 && reply_code(rest).is_ok() && (weak_context(before) || whole_is_reply) {
            // A bare code alone at the end of a line (`curl: (55) MAIL failed: 530`).
            hits.push(Hit {
                start: idx,
                text_start: line.len(),
                code: rest.parse().ok(),
                enhanced: None,
                continued: false,
                strong: false,
            });
            break;
        }
        // enhanced code alone, followed by text
        if let Ok((after, enh)) = enhanced_code(rest) {
            if ends_token(after)
                && after.starts_with([' ', '\t'])
                && after.trim_start().starts_with(|c: char| c.is_alphabetic())
                && enhanced_context(before)
            {
                // Python's `(535, b'5.7.139 ...')`: take the code from just before.
                let code = python_code_before(before);
                hits.push(Hit {
                    start: idx,
                    text_start: line.len() - after.len(),
                    code,
                    enhanced: Some(enh.to_string()),
                    continued: false,
                    strong: true,
                });
                idx = line.len() - after.len();
                continue;
            }
            idx += enh.len();
            continue;
        }
        idx += 1;
    }
    hits
}

/// The offset of the first byte in `2..=5` (the first digit of a reply code
/// or an enhanced code) at or after `from`. Eight bytes at a time (SWAR):
/// most of a log line is letters and other digits, passed over a word at once.
pub(crate) fn next_code_digit(b: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = b.get(from..from + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let found = crate::swar::in_range(u64::from_le_bytes(word), b'2', b'5');
        if found != 0 {
            return Some(from + found.trailing_zeros() as usize / 8);
        }
        from += 8;
    }
    b.get(from..)?.iter().position(|c| (b'2'..=b'5').contains(c)).map(|k| from + k)
}

/// `(535, b'` or `(535, '` just before a token gives its reply code.
fn python_code_before(before: &str) -> Option<u16> {
    let t = before.trim_end_matches(['\'', '"']);
    let t = t.strip_suffix('b').unwrap_or(t).trim_end();
    let t = t.strip_suffix(',')?.trim_end();
    let (_, code) = preceded(char::<&str, nom::error::Error<&str>>('('), reply_code)
        .parse(t.get(t.len().checked_sub(4)?..)?)
        .ok()?;
    code.parse().ok()
}

fn clean_text(s: &str) -> String {
    let t = s.trim();
    // Tails of wrappers: quotes and brackets the client put around the reply.
    let t = t.trim_end_matches(['\'', '"', ')']).trim_end();
    let t = t.strip_suffix("Error:").unwrap_or(t).trim_end();
    t.to_string()
}

/// Finds every reply in `input`. `whole_is_reply` says the text was given as a
/// reply (so a bare `250 OK` line counts even without log context).
pub fn find_replies(input: &str, whole_is_reply: bool) -> Vec<Reply> {
    let mut out: Vec<Reply> = Vec::new();
    // Open multi-line reply: index into `out` and its code.
    let mut open: Option<(usize, Option<u16>)> = None;
    // `input.split(['\n', '\r'])`, by a SIMD byte search rather than char decoding.
    let (mut start, ends) = (0, memchr::memchr2_iter(b'\n', b'\r', input.as_bytes()).chain([input.len()]));
    for (n, end) in ends.enumerate() {
        let raw_line = &input[std::mem::replace(&mut start, end + 1)..end];
        let line_no = n + 1;
        let line = raw_line.trim_end();
        if line.is_empty() {
            continue;
        }
        let hits = scan_line(line, whole_is_reply);
        if hits.is_empty() {
            continue;
        }
        for (k, h) in hits.iter().enumerate() {
            let end = hits.get(k + 1).map(|n| n.start).unwrap_or(line.len());
            let text = clean_text(&line[h.text_start.min(end)..end]);
            // Continuation of an open multi-line reply with the same code.
            if k == 0 {
                if let Some((i, code)) = open {
                    if code == h.code && h.code.is_some() {
                        let r = &mut out[i];
                        if !text.is_empty() {
                            if !r.text.is_empty() {
                                r.text.push('\n');
                            }
                            r.text.push_str(&text);
                        }
                        if r.enhanced.is_none() {
                            r.enhanced = h.enhanced.clone();
                        }
                        open = if h.continued { Some((i, code)) } else { None };
                        continue;
                    }
                }
            }
            let nested = k > 0 && h.strong;
            if k > 0 && !h.strong {
                continue;
            }
            out.push(Reply {
                code: h.code,
                enhanced: h.enhanced.clone(),
                text,
                line: line_no,
                nested,
            });
            open = if h.continued && k == hits.len() - 1 {
                Some((out.len() - 1, h.code))
            } else {
                None
            };
        }
    }
    out
}

/// Parses a reply given on the command line (`--reply`).
pub fn parse_reply(input: &str) -> Vec<Reply> {
    find_replies(input, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Reply {
        let r = parse_reply(s);
        assert_eq!(r.len(), 1, "{:?}", r);
        r.into_iter().next().unwrap()
    }

    #[test]
    fn next_code_digit_is_the_first_byte_from_2_to_5() {
        let line = "ab 1x 06 9\u{e9}7 89 x 500 3.1 \u{fe0f}4";
        let b = line.as_bytes();
        for from in 0..=b.len() + 2 {
            let want = (from..b.len()).find(|&i| (b'2'..=b'5').contains(&b[i]));
            assert_eq!(next_code_digit(b, from), want, "from {}", from);
        }
        for x in 0..=255u8 {
            for pos in 0..9 {
                let mut w = [b'a'; 9];
                w[pos] = x;
                let want = (b'2'..=b'5').contains(&x).then_some(pos);
                assert_eq!(next_code_digit(&w, 0), want, "byte {:#x} at {}", x, pos);
            }
        }
    }

    #[test]
    fn plain_reply() {
        let r = one("535 5.7.3 Authentication unsuccessful [SN2PR00CA0018.namprd00.prod.outlook.com]");
        assert_eq!(r.code, Some(535));
        assert_eq!(r.enhanced.as_deref(), Some("5.7.3"));
        assert!(r.text.starts_with("Authentication unsuccessful"));
    }

    #[test]
    fn multiline_reply_merges() {
        let r = one("250-BY1PR10CA0041.outlook.office365.com Hello\r\n250-SIZE 157286400\r\n250 STARTTLS\r\n");
        assert_eq!(r.code, Some(250));
        assert_eq!(r.text.lines().count(), 3);
    }

    #[test]
    fn timestamp_and_smtp_prefix() {
        let r = one("2024-07-24 03:43:18 SMTP; 550 5.7.60 SMTP; Client does not have permissions to send as this sender");
        assert_eq!((r.code, r.enhanced.as_deref()), (Some(550), Some("5.7.60")));
    }

    #[test]
    fn nested_dotnet_reply_counts_twice() {
        let s = "The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.";
        let r = parse_reply(s);
        assert_eq!(r.len(), 2, "{:?}", r);
        assert_eq!((r[0].code, r[0].enhanced.as_deref()), (None, Some("5.7.57")));
        assert_eq!(r[0].text, "Client not authenticated to send mail.");
        assert_eq!(
            (r[1].code, r[1].enhanced.as_deref(), r[1].nested),
            (Some(535), Some("5.7.139"), true)
        );
    }

    #[test]
    fn python_tuple() {
        let r = one("smtplib.SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, the user credentials were incorrect.')");
        assert_eq!((r.code, r.enhanced.as_deref()), (Some(535), Some("5.7.139")));
        assert_eq!(r.text, "Authentication unsuccessful, the user credentials were incorrect.");
    }

    #[test]
    fn no_false_hits_in_versions_and_ips() {
        assert!(find_replies("TLS 1.2.3 at 10.5.3.2 on 2024-01-01 version 5.7.3", false).is_empty());
        assert!(find_replies("processed 250 items", false).is_empty());
    }

    /// `(code, enhanced, nested)` of one reply.
    type Found = (Option<u16>, Option<&'static str>, bool);

    /// Replies as people paste them: the input and every reply expected in it.
    const PASTED: &[(&str, &[Found])] = &[
        ("Version 5.7.3 of the firmware is installed", &[]),
        (
            "The server response was: 5.7.57 Client not authenticated",
            &[(None, Some("5.7.57"), false)],
        ),
        (
            "MailKit.Net.Smtp.SmtpCommandException: 5.2.0 STOREDRV.Submission",
            &[(None, Some("5.2.0"), false)],
        ),
        ("Message=5.2.0 STOREDRV.Submission.Exception", &[(None, Some("5.2.0"), false)]),
        ("curl: (55) MAIL failed: 530", &[(Some(530), None, false)]),
        ("<~* 535 5.7.3 Authentication unsuccessful", &[(Some(535), Some("5.7.3"), false)]),
        (
            "2024-01-01 10:00:00 550 5.1.8 Bad outbound sender",
            &[(Some(550), Some("5.1.8"), false)],
        ),
        (
            "Expected response code \"250\" but got code \"530\", with message \"530 5.7.57 Client not authenticated\"",
            &[(Some(530), Some("5.7.57"), false)],
        ),
        ("é(535, b'5.7.3 Authentication unsuccessful')", &[(Some(535), Some("5.7.3"), false)]),
        (
            "5.7.57 Client not authenticated to send mail. Error: 535 5.7.3 Authentication unsuccessful",
            &[(None, Some("5.7.57"), false), (Some(535), Some("5.7.3"), true)],
        ),
    ];

    #[test]
    fn replies_as_people_paste_them() {
        for (input, want) in PASTED {
            let got: Vec<(Option<u16>, Option<String>, bool)> = find_replies(input, false)
                .into_iter()
                .map(|r| (r.code, r.enhanced, r.nested))
                .collect();
            let want: Vec<(Option<u16>, Option<String>, bool)> = want.iter().map(|(c, e, n)| (*c, e.map(str::to_string), *n)).collect();
            assert_eq!(got, want, "{}", input);
        }
    }

    #[test]
    fn survives_arbitrary_bytes() {
        let junk: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let s = String::from_utf8_lossy(&junk);
        let _ = find_replies(&s, true);
        let _ = find_replies("5", true);
        let _ = find_replies("535", true);
        let _ = find_replies("(535, b'", true);
        let _ = find_replies("é5.7.3 x 535-", true);
    }
}
