//! Client-side error texts (what the app, library or device said, not the
//! server) and the normalised kind each one is (`connection-refused`,
//! `timeout`, `dns`, `tls-wrong-version`, `certificate`, ...).
//!
//! The table is phrase data: one phrase per wording seen in a client's source or
//! a real paste (research/log-formats.md). The most specific kinds come first,
//! so "SSL handshake failed: certificate verify failed" is a certificate error,
//! not a generic handshake one. The engine classifies the exact text against the
//! KB afterwards; the kind is only our own label for `parse` and the facts.

/// `(kind, lower-case phrases)`, most specific first.
const KINDS: &[(&str, &[&str])] = &[
    (
        "tls-wrong-version",
        &[
            "wrong version number",
            "wrong_version_number",
            "unexpected packet format",
            "packet length too long",
            "unknown protocol",
            "typically reserved for plain-text",
            // GnuTLS, when the server answers a ClientHello in plain text.
            "unexpected tls packet was received",
        ],
    ),
    (
        "tls-protocol-version",
        &[
            "alert protocol version",
            "unsupported protocol",
            "no protocols available",
            "protocol version not supported",
            "tls 1.0 and 1.1 are not supported",
            "client and server do not match",
        ],
    ),
    (
        "certificate",
        &[
            "certificate verify failed",
            "certificate_verify_failed",
            "self-signed certificate",
            "self signed certificate",
            "unable to verify the first certificate",
            "unable to get local issuer certificate",
            "pkix path building failed",
            "certificate is not trusted",
            "certificate is invalid",
            "certificate has expired",
            "does not match certificate",
            "did not match the name given in the server's ssl certificate",
            "ssl certificate problem",
            "certificate could not be validated",
            "certificate verification failed",
            "hostname mismatch",
        ],
    ),
    (
        "dns",
        &[
            "name or service not known",
            "could not resolve host",
            "enotfound",
            "getaddrinfo",
            "no such host",
            "cannot locate host",
            "unknownhostexception",
            "temporary failure in name resolution",
            "nodename nor servname",
            "remote name could not be resolved",
            "host not found",
        ],
    ),
    (
        "connection-refused",
        &[
            "connection refused",
            "econnrefused",
            "actively refused",
            "errno 111",
            "couldn't connect to server",
            "no connection could be made",
        ],
    ),
    (
        "timeout",
        &[
            "timed out",
            "etimedout",
            "connection timeout",
            "greeting never received",
            "operation has timed out",
            "timeout waiting",
        ],
    ),
    (
        "connection-closed",
        &[
            "net_io_connectionclosed",
            "connection unexpectedly closed",
            "connection reset",
            "econnreset",
            "connection closed by",
            "connection lost",
            "lost connection",
            "unable to read data from the transport connection",
            "broken pipe",
            "non-properly terminated",
            "smtpserverdisconnected",
            "connection closed.",
            "unexpected eof",
        ],
    ),
    (
        "starttls-unavailable",
        &[
            "starttls extension not supported",
            "did not advertise starttls",
            "starttls not supported",
            "server does not support secure connections",
            "does not support the starttls extension",
            "but was not offered by host",
            "starttls is required but host does not support",
            "does not support tls via the starttls command",
            "error upgrading connection with starttls",
            "starttls command failed",
        ],
    ),
    (
        "auth-mechanism-unavailable",
        &[
            "no compatible authentication mechanisms",
            "auth extension not supported",
            "does not support authentication",
            "no mechanism available",
            "no supported auth mechanisms",
            "no authentication mechanisms supported",
        ],
    ),
    ("oauth-token", &["token update failed", "invalid_grant", "aadsts"]),
    (
        "auth-failed-client",
        &[
            "login denied",
            "could not authenticate",
            "authentication failed",
            "failed to authenticate",
            "no authentication type succeeded",
            "invalid login",
            "authenticationfailedexception",
            "password not accepted",
            "authorization failed",
            "authentication attempt(s) failed",
            "authentication error",
        ],
    ),
    (
        "tls-handshake",
        &[
            "handshake failed",
            "ssl handshake",
            "tls startup failed",
            "could not convert socket to tls",
            "sslhandshakeexception",
            "ssl operation failed",
            "tls handshake failed",
            "ssl_connect",
            "sslerror",
            "ssl routines",
        ],
    ),
    (
        "connect-failed",
        &[
            "cannot open",
            "unable to connect",
            "failed to connect",
            "couldn't connect",
            "could not connect",
            "connect() failed",
        ],
    ),
    (
        "protocol",
        &[
            "weird server reply",
            "invalid reply",
            "invalid response",
            "unexpected reply",
            "bad sequence",
        ],
    ),
    (
        "device-send-failed",
        &["transmission has failed", "transmission error", "send failed", "sending failed"],
    ),
];

/// The kind of a client-side error text, if it is one.
///
/// One pass: at each word start, only the phrases beginning with its first
/// bytes are compared (case-insensitively, in place). Every phrase starts a word in
/// the wordings it comes from (`ssl.SSLError`, `[SSL: WRONG_VERSION_NUMBER]`).
pub fn kind_of(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    if b.len() < 6 {
        return None;
    }
    let index = phrase_index();
    let mut best = usize::MAX;
    // Word starts, 64 bytes at a time as a bit mask: no branch per byte.
    let mut prev_alnum = 0u64;
    for (block_no, block) in b.chunks(64).enumerate() {
        let alnum = alnum_mask(block);
        let mut starts = alnum & !(alnum << 1 | prev_alnum);
        prev_alnum = alnum >> (block.len() - 1);
        while starts != 0 {
            let i = block_no * 64 + starts.trailing_zeros() as usize;
            starts &= starts - 1;
            // Every phrase has 4 bytes or more: a word starting later cannot hold one.
            let Some(quad) = b.get(i..i + 4) else { break };
            // Most word starts begin no phrase: a 512-byte bit set of their first 4
            // bytes says so without touching the (much larger) index.
            let h = quad_hash(quad);
            if index.quads[h / 64] & (1 << (h % 64)) == 0 {
                continue;
            }
            let s = slot(quad[0].to_ascii_lowercase() & 0x7f, quad[1].to_ascii_lowercase() & 0x7f);
            for &(kind, phrase) in &index.phrases[s] {
                if kind < best && b.len() - i >= phrase.len() && b[i..i + phrase.len()].eq_ignore_ascii_case(phrase) {
                    best = kind;
                }
            }
            if best == 0 {
                return KINDS.first().map(|(k, _)| *k);
            }
        }
    }
    KINDS.get(best).map(|(k, _)| *k)
}

/// Bit `j` set when `block[j]` is ASCII alphanumeric (`block` has at most 64
/// bytes). Eight bytes at a time in a `u64` (SWAR): each byte's range tests
/// are done in its top bit, then the eight top bits are gathered by a multiply.
fn alnum_mask(block: &[u8]) -> u64 {
    use crate::swar::in_range;
    let mut mask = 0u64;
    for (k, chunk) in block.chunks(8).enumerate() {
        let x = match <[u8; 8]>::try_from(chunk) {
            Ok(word) => u64::from_le_bytes(word),
            // The tail, byte by byte: a `copy_from_slice` of unknown length
            // is a `memcpy` call, once per line.
            Err(_) => u64::from_le_bytes(std::array::from_fn(|j| chunk.get(j).copied().unwrap_or(0))),
        };
        // `| 0x20` folds capitals onto lower case (and maps no other byte into `a..=z`).
        let bytes = in_range(x, b'0', b'9') | in_range(x | 0x2020_2020_2020_2020, b'a', b'z');
        let bits = ((bytes >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) & ((1u64 << chunk.len()) - 1);
        mask |= bits << (8 * k);
    }
    mask
}

/// Phrases by their first two bytes: `(kind index, phrase)`, and a bit set of
/// the hashes of their first 4 bytes.
struct PhraseIndex {
    phrases: Vec<Vec<(usize, &'static [u8])>>,
    quads: Vec<u64>,
}

/// Bits in `PhraseIndex::quads`.
const QUAD_BITS: u32 = 12;

/// A hash of 4 bytes that ignores ASCII case: `| 0x20` maps both cases of a
/// letter to one value (and may merge other bytes too, which only costs a
/// comparison).
fn quad_hash(quad: &[u8]) -> usize {
    let k = u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]) | 0x2020_2020;
    (k.wrapping_mul(0x9E37_79B1) >> (32 - QUAD_BITS)) as usize
}

fn slot(first: u8, second: u8) -> usize {
    first as usize * 128 + second as usize
}

fn phrase_index() -> &'static PhraseIndex {
    static INDEX: std::sync::OnceLock<PhraseIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = PhraseIndex {
            phrases: vec![Vec::new(); 128 * 128],
            quads: vec![0; 1 << (QUAD_BITS - 6)],
        };
        for (k, (_, phrases)) in KINDS.iter().enumerate() {
            for p in *phrases {
                let b = p.as_bytes();
                index.phrases[slot(b[0] & 0x7f, b[1] & 0x7f)].push((k, b));
                let h = quad_hash(&b[..4]);
                index.quads[h / 64] |= 1 << (h % 64);
            }
        }
        index
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_real_wordings() {
        for (text, want) in [
            ("curl: (67) Login denied", Some("auth-failed-client")),
            (
                "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
                Some("tls-wrong-version"),
            ),
            ("ConnectionRefusedError: [Errno 111] Connection refused", Some("connection-refused")),
            ("socket.gaierror: [Errno -2] Name or service not known", Some("dns")),
            (
                "Unable to read data from the transport connection: net_io_connectionclosed.",
                Some("connection-closed"),
            ),
            (
                "The remote certificate is invalid according to the validation procedure.",
                Some("certificate"),
            ),
            ("error:0A000086:SSL routines::certificate verify failed", Some("certificate")),
            (
                "error:0A00042E:SSL routines::tlsv1 alert protocol version",
                Some("tls-protocol-version"),
            ),
            (
                "The handshake failed due to an unexpected packet format.",
                Some("tls-wrong-version"),
            ),
            ("*** Host did not advertise STARTTLS", Some("starttls-unavailable")),
            ("The operation has timed out.", Some("timeout")),
            (
                "msmtp: the server does not support TLS via the STARTTLS command",
                Some("starttls-unavailable"),
            ),
            (
                "SMTP Error: Could not connect to SMTP host. STARTTLS command failed Unrecognized command",
                Some("starttls-unavailable"),
            ),
            (
                "Error upgrading connection with STARTTLS: 500 5.3.3 Unrecognized command",
                Some("starttls-unavailable"),
            ),
            (
                "msmtp: TLS handshake failed: An unexpected TLS packet was received.",
                Some("tls-wrong-version"),
            ),
            (
                "Token update failed. Please delete the token and obtain it again.",
                Some("oauth-token"),
            ),
            ("Connection: opening to 127.0.0.1:2587, timeout=300", None),
            ("250 2.1.0 Sender OK", None),
        ] {
            assert_eq!(kind_of(text), want, "{}", text);
        }
    }

    #[test]
    fn alnum_mask_is_is_ascii_alphanumeric() {
        let all: Vec<u8> = (0..=255u8).collect();
        for block in all.chunks(64).chain(all.chunks(13)).chain([&b"a"[..], b"", b"Z09/:@[`{"]) {
            let want = block
                .iter()
                .enumerate()
                .fold(0u64, |m, (j, c)| m | (c.is_ascii_alphanumeric() as u64) << j);
            assert_eq!(alnum_mask(block), want, "{:?}", block);
        }
    }

    #[test]
    fn phrases_are_lower_case_and_start_a_word() {
        for (_, phrases) in KINDS {
            for p in *phrases {
                assert_eq!(*p, p.to_ascii_lowercase());
                assert!(p.len() >= 4 && p.is_ascii(), "{}: the index needs 4 ASCII bytes", p);
                assert!(p.as_bytes()[0].is_ascii_alphanumeric(), "{} must start with a letter or digit", p);
            }
        }
    }
}
