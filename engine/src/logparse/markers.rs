//! One pass over a line that says which format markers it may contain, so
//! `detect` only runs the parsers that can match. Searching each marker with
//! `contains` cost more than all the parsing together (a searcher is built for
//! every call); here each pair of bytes costs one bit test, and the few
//! offsets where a marker can start or end (`SM`, `Ex`, `d:`, `t=`, ...) are
//! checked in place.
//!
//! A set bit is a hint, not a match: the format parser still checks the line.

/// Markers a line may contain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks(u16);

/// PHPMailer: `SERVER -> CLIENT`, `SMTP ERROR`, `Connection: `, `Auth method`, ...
pub const PHPMAILER: u16 = 1;
/// email-oauth2-proxy: `) --> ` / `) <-- `.
pub const PROXY: u16 = 1 << 1;
/// Postfix syslog tag: `postfix/...` or `/smtp[`.
pub const POSTFIX: u16 = 1 << 2;
/// msmtp log file: `host=`.
pub const MSMTP_LOG: u16 = 1 << 3;
/// `msmtp: `, `ssmtp: `, `sSMTP[`.
pub const MSMTP_SSMTP: u16 = 1 << 4;
/// Device syslog: `SMTPC: `.
pub const SMTPC: u16 = 1 << 5;
/// Exceptions and error messages: `Exception`, `Error`, `failed: `, `Expected`, `Invalid login`, ...
pub const EXCEPTION: u16 = 1 << 6;
/// .NET / PowerShell: `Smtp...`, `Send-MailMessage`, `Exception calling`, `Ausnahme`.
pub const DOTNET: u16 = 1 << 7;
/// Exim mainlog fields: ` H=`, ` F=`.
pub const EXIM: u16 = 1 << 8;

impl Marks {
    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// Scans `line` once. Single trigger bytes (`S`, `E`, `:`) are common in
/// SMTP logs, so the scan looks at byte pairs: a marker's first two bytes, or
/// the last two of one recognised at its end; only the rare offsets holding
/// one of those pairs are checked in place. (Tried and no faster on these
/// short, marker-rich lines: Aho-Corasick over the markers as literals, as a
/// whole scan or a first look, a SWAR filter on capitals and `) / = :`, one
/// 8 KB bit set of byte pairs, one table of `u64`s for both sides: each
/// measured slower on `scripts/bench-parse.sh`.)
pub fn scan(line: &str) -> Marks {
    let b = line.as_bytes();
    let mut m = 0u16;
    for (i, w) in b.windows(2).enumerate() {
        if FIRST[w[0] as usize] & SECOND[w[1] as usize] != 0 {
            m |= at(b, i) | at(b, i + 1);
        }
    }
    Marks(m)
}

/// The first two bytes of each marker `at` recognises at its first byte, and
/// the last two of those it recognises at their last byte (`postfix/`, `host=`,
/// ` H=`, `msmtp:`, `SMTPC:`, `failed:`, `sSMTP[`).
const PAIRS: [&[u8; 2]; 24] = [
    b"CL", b"Co", b"Ca", b"SE", b"SM", b"Sm", b"Se", b"Au", b"Th", b"Ex", b"Er", b"In", b"Fa", b"Re", b") ", b"/s", b"x/", b"t=", b"H=",
    b"F=", b"p:", b"C:", b"d:", b"P[",
];

/// `PAIRS` as two small tables: bit `j` of `FIRST[x]` is set when pair `j`
/// starts with `x`, of `SECOND[y]` when it ends with `y`, so `(x, y)` is a pair
/// exactly when `FIRST[x] & SECOND[y] != 0` (2 KB, where a bit set of every
/// pair of bytes takes 8 KB).
static FIRST: [u32; 256] = pair_table(0);
static SECOND: [u32; 256] = pair_table(1);

const fn pair_table(side: usize) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut j = 0;
    while j < PAIRS.len() {
        t[PAIRS[j][side] as usize] |= 1 << j;
        j += 1;
    }
    t
}

/// The markers recognised at `b[i]` (a trigger byte).
fn at(b: &[u8], i: usize) -> u16 {
    let (before, rest) = b.split_at(i);
    match b[i] {
        b'C' if rest.starts_with(b"CLIENT") || rest.starts_with(b"Connection: ") => PHPMAILER,
        b'C' if rest.starts_with(b"Caused by") => EXCEPTION,
        b'S' if rest.starts_with(b"SERVER") || rest.starts_with(b"SMTP ") => PHPMAILER,
        b'S' if rest.starts_with(b"Smtp") || rest.starts_with(b"Send-MailMessage") => DOTNET | EXCEPTION,
        b'A' if rest.starts_with(b"Auth method") => PHPMAILER,
        b'A' if rest.starts_with(b"Ausnahme") => DOTNET,
        b'A' if rest.starts_with(b"Authentic") => EXCEPTION,
        b'T' if rest.starts_with(b"The following From") => PHPMAILER,
        b'E' if rest.starts_with(b"Exception") => EXCEPTION | DOTNET,
        b'E' if rest.starts_with(b"Error") || rest.starts_with(b"Expected") => EXCEPTION,
        b'I' if rest.starts_with(b"Invalid login") => EXCEPTION,
        b'F' if rest.starts_with(b"Failed to authenticate") => EXCEPTION,
        b'R' if rest.starts_with(b"Refused") => EXCEPTION,
        b')' if rest.starts_with(b") --> ") || rest.starts_with(b") <-- ") => PROXY,
        b'/' if before.ends_with(b"postfix") || rest.starts_with(b"/smtp[") => POSTFIX,
        b'=' if before.ends_with(b"host") => MSMTP_LOG,
        b'=' if before.ends_with(b" H") || before.ends_with(b" F") => EXIM,
        b':' if before.ends_with(b"msmtp") || before.ends_with(b"ssmtp") => MSMTP_SSMTP,
        b':' if before.ends_with(b"SMTPC") => SMTPC,
        b':' if before.ends_with(b"failed") || before.ends_with(b"rejected") => EXCEPTION,
        b'[' if before.ends_with(b"sSMTP") => MSMTP_SSMTP,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_of_real_lines() {
        for (line, bit) in [
            ("2026-11-29 15:54:38\tSERVER -> CLIENT: 250 x", PHPMAILER),
            ("2026-11-29 15:54:46 CLIENT -&gt; SERVER: EHLO vm<br>", PHPMAILER),
            ("SMTP (a-{b}-c:587) --> b'EHLO x\\r\\n'", PROXY),
            ("Nov 29 15:56:44 vm postfix/smtp[21047]: x", POSTFIX),
            ("Nov 29 15:55:54 host=127.0.0.1 tls=on", MSMTP_LOG),
            ("msmtp: server message: 535 x", MSMTP_SSMTP),
            ("Jan 1 h sSMTP[12]: Authorization failed (535 x)", MSMTP_SSMTP),
            ("#[dcs_nas(27)]16/03/01 20:39:28 SMTPC: received error code. [550]", SMTPC),
            ("javax.mail.AuthenticationFailedException: 535 x", EXCEPTION),
            ("Error: Invalid login: 535 x", EXCEPTION),
            ("System.Net.Mail.SmtpException: Transaction failed.", DOTNET),
            ("Send-MailMessage : The SMTP server requires", DOTNET),
            (
                "x ** a@b R=r T=t H=h [1.2.3.4]: SMTP error from remote mail server after end of data: 554 x",
                EXIM,
            ),
        ] {
            assert!(scan(line).has(bit), "{}", line);
        }
        assert_eq!(scan("250-SIZE 157286400"), Marks::default());
        assert_eq!(scan("reply: b'250 OK\\r\\n'"), Marks::default());
    }

    /// Every marker `at` recognises, as a literal.
    const LITERALS: [&str; 30] = [
        "CLIENT",
        "Connection: ",
        "Caused by",
        "SERVER",
        "SMTP ",
        "Smtp",
        "Send-MailMessage",
        "Auth method",
        "Ausnahme",
        "Authentic",
        "The following From",
        "Exception",
        "Error",
        "Expected",
        "Invalid login",
        "Failed to authenticate",
        "Refused",
        ") --> ",
        ") <-- ",
        "postfix/",
        "/smtp[",
        "host=",
        " H=",
        " F=",
        "msmtp:",
        "ssmtp:",
        "SMTPC:",
        "failed:",
        "rejected:",
        "sSMTP[",
    ];

    /// `at` tried at every byte: what the pair filter must not change.
    fn scan_every_byte(line: &str) -> u16 {
        (0..line.len()).fold(0, |m, i| m | at(line.as_bytes(), i))
    }

    #[test]
    fn pair_filter_misses_no_marker() {
        let fillers = ["", "x", " ", "0123 abc:=/[", "SMTP"];
        for lit in LITERALS {
            assert_ne!(scan_every_byte(lit), 0, "{} is not a marker", lit);
            for pre in fillers {
                for post in fillers {
                    let line = format!("{}{}{}", pre, lit, post);
                    assert_eq!(scan(&line).0, scan_every_byte(&line), "{:?}", line);
                }
            }
        }
    }
}
