//! Turning bytes into the lines the parsers see: the encoding (UTF-8 with or
//! without BOM, UTF-16 LE/BE with BOM, Latin-1 for bytes that are not UTF-8),
//! the line ends (CRLF, LF and bare CR), and the length bound.
//!
//! Lines are read one at a time into a reused buffer, so memory stays the same
//! whatever the file size. A line longer than [`MAX_LINE`] bytes is cut there and
//! the rest of it skipped: nothing in an SMTP log needs more, and it keeps a
//! pasted binary blob from costing time or memory.

use std::io::BufRead;

/// The longest line kept, in bytes; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 16 * 1024;

/// Decodes a whole file's bytes (see the module doc). Never fails.
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode_line(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    decode_line(bytes).into_owned()
}

fn utf16(rest: &[u8], le: bool) -> String {
    let units: Vec<u16> = rest.chunks_exact(2).map(|c| unit(c[0], c[1], le)).collect();
    String::from_utf16_lossy(&units)
}

fn unit(a: u8, b: u8, le: bool) -> u16 {
    if le {
        u16::from_le_bytes([a, b])
    } else {
        u16::from_be_bytes([a, b])
    }
}

/// UTF-8 when it is, else Latin-1 (every byte is a char): Windows tools and
/// printers write Latin-1, and mapping bytes one to one never loses a line.
pub fn decode_line(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub fn cap(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Calls `f(line, line_no)` for every line of `text` (1-based numbers).
pub fn for_each_str_line(text: &str, mut f: impl FnMut(&str, usize)) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut no = 0;
    for piece in text.split('\n') {
        let piece = piece.strip_suffix('\r').unwrap_or(piece);
        split_bare_cr(piece, &mut no, &mut f);
    }
}

/// A bare CR (old Mac exports, some device logs) ends a line too.
fn split_bare_cr(piece: &str, no: &mut usize, f: &mut impl FnMut(&str, usize)) {
    if !piece.as_bytes().contains(&b'\r') {
        *no += 1;
        f(cap(piece, MAX_LINE), *no);
        return;
    }
    for part in piece.split('\r') {
        *no += 1;
        f(cap(part, MAX_LINE), *no);
    }
}

/// Reads lines from `reader` and calls `f(line, line_no)` for each; returns
/// the number of bytes read. I/O errors end the reading (what was read counts).
pub fn for_each_reader_line<R: BufRead>(mut reader: R, mut f: impl FnMut(&str, usize)) -> std::io::Result<u64> {
    let head = reader.fill_buf()?;
    let utf16 = match head {
        [0xFF, 0xFE, ..] => Some(true),
        [0xFE, 0xFF, ..] => Some(false),
        _ => None,
    };
    if let Some(le) = utf16 {
        reader.consume(2);
        return read_utf16(reader, le, f);
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    // Lines are taken straight from the reader's buffer; only a line cut by a
    // refill is copied (into `carry`, bounded by MAX_LINE).
    let mut carry: Vec<u8> = Vec::new();
    let mut no = 0usize;
    let mut total = 0u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        total += len as u64;
        match memchr::memrchr(b'\n', chunk) {
            None => keep(&mut carry, chunk),
            Some(last) => {
                let mut body = &chunk[..=last];
                if !carry.is_empty() {
                    let first = memchr::memchr(b'\n', body).unwrap_or(0);
                    keep(&mut carry, &body[..first]);
                    emit(&carry, &mut no, &mut f);
                    carry.clear();
                    body = &body[first + 1..];
                }
                lines_of(body, &mut no, &mut f);
                keep(&mut carry, &chunk[last + 1..]);
            }
        }
        reader.consume(len);
    }
    if !carry.is_empty() {
        emit(&carry, &mut no, &mut f);
    }
    Ok(total)
}

/// Appends to a line cut by a refill, up to the length bound.
fn keep(carry: &mut Vec<u8>, bytes: &[u8]) {
    let room = (MAX_LINE + 1).saturating_sub(carry.len());
    carry.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// One line's bytes, without its `\n`.
fn emit(line: &[u8], no: &mut usize, f: &mut impl FnMut(&str, usize)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    split_bare_cr(&decode_line(line), no, f);
}

/// Every line of `body` (which ends with `\n`). UTF-8 text is split in place;
/// a line that is not UTF-8 goes alone through Latin-1, and the text after it
/// is checked again from there, so each byte is validated about once.
fn lines_of(body: &[u8], no: &mut usize, f: &mut impl FnMut(&str, usize)) {
    let mut rest = body;
    while !rest.is_empty() {
        let bad = match std::str::from_utf8(rest) {
            Ok(text) => return utf8_lines(text, no, f),
            Err(e) => e.valid_up_to(),
        };
        let start = memchr::memrchr(b'\n', &rest[..bad]).map_or(0, |i| i + 1);
        if let Ok(text) = std::str::from_utf8(&rest[..start]) {
            utf8_lines(text, no, f);
        }
        let end = memchr::memchr(b'\n', &rest[bad..]).map_or(rest.len(), |i| bad + i);
        emit(&rest[start..end], no, f);
        rest = rest.get(end + 1..).unwrap_or_default();
    }
}

/// The lines of `text` (empty, or ending with `\n`): a line ends at `\n`,
/// `\r\n` or a bare `\r`, found in one pass over both bytes.
fn utf8_lines(text: &str, no: &mut usize, f: &mut impl FnMut(&str, usize)) {
    let b = text.as_bytes();
    let mut start = 0;
    for i in memchr::memchr2_iter(b'\n', b'\r', b) {
        if b[i] == b'\n' && i > 0 && b[i - 1] == b'\r' {
            // The `\r` of a CRLF already ended this line.
            start = i + 1;
            continue;
        }
        *no += 1;
        f(cap(&text[start..i], MAX_LINE), *no);
        start = i + 1;
    }
}

/// UTF-16 (Windows exports): decoded unit by unit into one reused line buffer.
fn read_utf16<R: BufRead>(mut reader: R, le: bool, mut f: impl FnMut(&str, usize)) -> std::io::Result<u64> {
    let mut line = String::new();
    let mut no = 0usize;
    let mut total = 2u64;
    let mut pair = [0u8; 2];
    let mut high: Option<u16> = None;
    loop {
        match reader.read_exact(&mut pair) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
        total += 2;
        let u = unit(pair[0], pair[1], le);
        let c = match (high.take(), u) {
            (None, 0xD800..=0xDBFF) => {
                high = Some(u);
                continue;
            }
            (Some(h), 0xDC00..=0xDFFF) => char::decode_utf16([h, u]).next().and_then(Result::ok).unwrap_or('\u{fffd}'),
            (_, u) => char::from_u32(u as u32).unwrap_or('\u{fffd}'),
        };
        if c == '\n' {
            let l = line.strip_suffix('\r').unwrap_or(&line);
            split_bare_cr(l, &mut no, &mut f);
            line.clear();
        } else if line.len() < MAX_LINE {
            line.push(c);
        }
    }
    if !line.is_empty() {
        split_bare_cr(&line, &mut no, &mut f);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_lines(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        for_each_str_line(s, |l, _| v.push(l.to_string()));
        v
    }

    fn reader_lines(b: &[u8]) -> Vec<String> {
        let mut v = Vec::new();
        for_each_reader_line(b, |l, _| v.push(l.to_string())).unwrap();
        v
    }

    #[test]
    fn line_ends() {
        for (input, want) in [
            ("a\r\nb\nc", vec!["a", "b", "c"]),
            ("a\rb\r\nc\r", vec!["a", "b", "c"]),
            ("\u{feff}x\n", vec!["x", ""]),
        ] {
            assert_eq!(str_lines(input), want, "{:?}", input);
        }
        assert_eq!(reader_lines(b"\xEF\xBB\xBFa\r\nb\rc\n"), vec!["a", "b", "c"]);
    }

    #[test]
    fn encodings() {
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("535 x\r\nok".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(reader_lines(&utf16le), vec!["535 x", "ok"]);
        assert_eq!(decode(&utf16le), "535 x\r\nok");
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("é\n".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(reader_lines(&utf16be), vec!["é"]);
        assert_eq!(reader_lines(b"caf\xe9\n"), vec!["café"]);
        assert_eq!(decode(b"caf\xe9"), "café");
    }

    #[test]
    fn long_lines_are_cut() {
        let long = format!("{}\nnext\n", "x".repeat(MAX_LINE * 3));
        let lines = reader_lines(long.as_bytes());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "next");
        assert_eq!(str_lines(&long)[0].len(), MAX_LINE);
        assert_eq!(cap("éé", 3), "é");
    }
}
