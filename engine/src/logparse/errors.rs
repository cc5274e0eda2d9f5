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
/// One pass: at each word start, only the phrases beginning with that letter
/// are compared (case-insensitively, in place). Every phrase starts a word in
/// the wordings it comes from (`ssl.SSLError`, `[SSL: WRONG_VERSION_NUMBER]`).
pub fn kind_of(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    if b.len() < 6 {
        return None;
    }
    let index = phrase_index();
    let mut best = usize::MAX;
    for i in 0..b.len() {
        let c = b[i];
        if !c.is_ascii_alphanumeric() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let next = b.get(i + 1).map_or(0, |n| n.to_ascii_lowercase() & 0x7f);
        for &(kind, phrase) in &index[slot(c.to_ascii_lowercase() & 0x7f, next)] {
            if kind < best && b.len() - i >= phrase.len() && b[i..i + phrase.len()].eq_ignore_ascii_case(phrase) {
                best = kind;
            }
        }
        if best == 0 {
            break;
        }
    }
    KINDS.get(best).map(|(k, _)| *k)
}

/// Phrases by their first two bytes: `(kind index, phrase)`.
type PhraseIndex = Vec<Vec<(usize, &'static [u8])>>;

fn slot(first: u8, second: u8) -> usize {
    first as usize * 128 + second as usize
}

fn phrase_index() -> &'static PhraseIndex {
    static INDEX: std::sync::OnceLock<PhraseIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: PhraseIndex = vec![Vec::new(); 128 * 128];
        for (k, (_, phrases)) in KINDS.iter().enumerate() {
            for p in *phrases {
                let b = p.as_bytes();
                index[slot(b[0] & 0x7f, b.get(1).map_or(0, |n| n & 0x7f))].push((k, b));
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
    fn phrases_are_lower_case_and_start_a_word() {
        for (_, phrases) in KINDS {
            for p in *phrases {
                assert_eq!(*p, p.to_ascii_lowercase());
                assert!(p.as_bytes()[0].is_ascii_alphanumeric(), "{} must start with a letter or digit", p);
            }
        }
    }
}
