//! Reading SMTP replies with hard bounds: a line longer than `max_line`, a
//! multi-line reply with more than `max_lines` lines or more than `max_reply`
//! bytes, or a server that stops talking, ends the read with a named error
//! instead of growing memory or waiting forever.
//!
//! The reader never interprets codes beyond what the protocol needs (the
//! three digits and the `-` continuation mark); the engine's reply parser reads
//! the text afterwards, so KB code classes see probe replies exactly as they see
//! replies in a log.

use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Bounds on one reply.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Longest line, in bytes, without its CRLF (RFC 5321 allows 512 with it).
    pub max_line: usize,
    /// Most lines in one multi-line reply.
    pub max_lines: usize,
    /// Most bytes in one reply, all lines together.
    pub max_reply: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_line: 2048,
            max_lines: 100,
            max_reply: 32 * 1024,
        }
    }
}

/// One complete reply, its lines as received (without line ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl RawReply {
    /// The reply as the wire carried it, for the engine's parser and the transcript.
    pub fn wire_text(&self) -> String {
        self.lines.join("\r\n")
    }

    /// Text of each line after `NNN-` / `NNN `.
    pub fn line_texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.get(4..).unwrap_or("").trim())
    }
}

/// Why a reply could not be read. `kind()` is the fact value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing complete arrived within the step's timeout.
    Timeout,
    /// The server closed the connection (`partial`: in the middle of a reply).
    Closed { partial: bool },
    /// A line went past `max_line` bytes without ending.
    LineTooLong,
    /// A multi-line reply went past `max_lines` lines or `max_reply` bytes.
    ReplyTooLong,
    /// A line that is not `NNN`, `NNN-text` or `NNN text` (first 200 characters).
    Malformed(String),
    /// A socket or TLS error.
    Io(String),
}

impl ReadError {
    pub fn kind(&self) -> &'static str {
        match self {
            ReadError::Timeout => "timeout",
            ReadError::Closed { .. } => "connection-closed",
            ReadError::LineTooLong => "line-too-long",
            ReadError::ReplyTooLong => "reply-too-long",
            ReadError::Malformed(_) => "malformed-reply",
            ReadError::Io(_) => "io-error",
        }
    }

    /// A one-line description, worded like client libraries word it (the KB's
    /// client-error classes match on such phrases).
    pub fn describe(&self, limits: &ReadLimits, timeout: Duration) -> String {
        match self {
            ReadError::Timeout => format!("timed out after {} ms waiting for the server's reply", timeout.as_millis()),
            ReadError::Closed { partial: false } => "connection closed by the server before it replied".into(),
            ReadError::Closed { partial: true } => "connection closed by the server in the middle of a reply".into(),
            ReadError::LineTooLong => format!("reply line longer than {} bytes: cut off", limits.max_line),
            ReadError::ReplyTooLong => format!(
                "multi-line reply longer than {} lines or {} bytes: cut off",
                limits.max_lines, limits.max_reply
            ),
            ReadError::Malformed(l) => format!("the server sent a line that is not an SMTP reply: {:?}", l),
            ReadError::Io(e) => e.clone(),
        }
    }
}

/// Reads one line (bounded); `Ok(None)` at end of stream before any byte.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, max_line: usize) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().await.map_err(|e| ReadError::Io(e.to_string()))?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(ReadError::Closed { partial: true })
            };
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        // Check before copying, so an endless line never takes more than max_line (+ one buffer).
        if line.len() + take > max_line + 2 {
            return Err(ReadError::LineTooLong);
        }
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

/// Reads one whole reply (all continuation lines) under `timeout`.
pub async fn read_reply<R: AsyncBufRead + Unpin>(r: &mut R, limits: &ReadLimits, timeout: Duration) -> Result<RawReply, ReadError> {
    match tokio::time::timeout(timeout, read_reply_unbounded_in_time(r, limits)).await {
        Ok(res) => res,
        Err(_) => Err(ReadError::Timeout),
    }
}

async fn read_reply_unbounded_in_time<R: AsyncBufRead + Unpin>(r: &mut R, limits: &ReadLimits) -> Result<RawReply, ReadError> {
    let mut lines: Vec<String> = Vec::new();
    let mut total = 0usize;
    loop {
        let Some(bytes) = read_line(r, limits.max_line).await? else {
            return Err(ReadError::Closed {
                partial: !lines.is_empty(),
            });
        };
        total += bytes.len();
        let line = String::from_utf8_lossy(&bytes).into_owned();
        let code = line
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok());
        let sep = line.as_bytes().get(3).copied();
        let (Some(code), Some(b' ' | b'-') | None) = (code, sep) else {
            return Err(ReadError::Malformed(line.chars().take(200).collect()));
        };
        let continued = sep == Some(b'-');
        if let Some(first) = lines.first() {
            if !first.starts_with(&line[..3]) {
                return Err(ReadError::Malformed(line.chars().take(200).collect()));
            }
        }
        lines.push(line);
        if !continued {
            return Ok(RawReply { code, lines });
        }
        if lines.len() >= limits.max_lines || total > limits.max_reply {
            return Err(ReadError::ReplyTooLong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn read(input: &[u8], limits: ReadLimits) -> Result<RawReply, ReadError> {
        run(async {
            let mut r = BufReader::with_capacity(64, input);
            read_reply(&mut r, &limits, Duration::from_secs(1)).await
        })
    }

    #[test]
    fn multi_line_reply_is_one_reply() {
        let r = read(b"250-host Hello\r\n250-SIZE 157286400\r\n250 STARTTLS\r\n", ReadLimits::default()).unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.line_texts().collect::<Vec<_>>(), ["host Hello", "SIZE 157286400", "STARTTLS"]);
    }

    #[test]
    fn endless_line_is_cut_off() {
        let long = vec![b'x'; 10_000];
        let limits = ReadLimits {
            max_line: 100,
            ..ReadLimits::default()
        };
        assert_eq!(read(&long, limits), Err(ReadError::LineTooLong));
    }

    #[test]
    fn endless_multi_line_reply_is_cut_off() {
        let many: Vec<u8> = b"250-more\r\n".iter().copied().cycle().take(10 * 2000).collect();
        let limits = ReadLimits {
            max_lines: 50,
            ..ReadLimits::default()
        };
        assert_eq!(read(&many, limits), Err(ReadError::ReplyTooLong));
    }

    #[test]
    fn garbage_and_closing_are_named() {
        assert!(matches!(
            read(b"HTTP/1.1 400 Bad\r\n", ReadLimits::default()),
            Err(ReadError::Malformed(_))
        ));
        assert_eq!(read(b"", ReadLimits::default()), Err(ReadError::Closed { partial: false }));
        assert_eq!(read(b"250-a\r\n", ReadLimits::default()), Err(ReadError::Closed { partial: true }));
        assert_eq!(read(b"220 ok", ReadLimits::default()), Err(ReadError::Closed { partial: true }));
    }

    #[test]
    fn silence_times_out() {
        let res = run(async {
            let (client, _server) = tokio::io::duplex(64);
            let mut r = BufReader::new(client);
            read_reply(&mut r, &ReadLimits::default(), Duration::from_millis(50)).await
        });
        assert_eq!(res, Err(ReadError::Timeout));
    }
}
