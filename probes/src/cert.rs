//! The few certificate fields a probe reports (subject and issuer common
//! names, DNS names, validity dates), read straight from the DER.
//!
//! rustls verifies certificates but does not expose their fields, and a full
//! X.509 crate would cost more build time than the whole probe. This walker
//! reads only the TBSCertificate fields it needs, checks every length against
//! the input, and gives up (returns `None`) on anything unexpected, so a hostile
//! certificate can only make the report shorter.

use serde::Serialize;

/// What the report says about one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    pub subject_cn: Option<String>,
    pub issuer_cn: Option<String>,
    /// DNS names from the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// Seconds since the Unix epoch of `not_after` (for days-left arithmetic).
    #[serde(skip)]
    pub not_after_unix: Option<i64>,
}

/// One DER element: tag and content.
struct Tlv<'a> {
    tag: u8,
    body: &'a [u8],
}

/// Splits the first element off `input`.
fn next_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((Tlv { tag, body: &rest[..len] }, &rest[len..]))
}

/// All elements of a constructed body.
fn children(mut body: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    while let Some((t, rest)) = next_tlv(body) {
        out.push(t);
        body = rest;
    }
    out
}

const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The common name of a Name (SEQUENCE OF SET OF AttributeTypeAndValue).
fn common_name(name: &Tlv) -> Option<String> {
    for rdn in children(name.body) {
        for atv in children(rdn.body) {
            let parts = children(atv.body);
            if parts.len() == 2 && parts[0].tag == 0x06 && parts[0].body == OID_COMMON_NAME {
                return Some(String::from_utf8_lossy(parts[1].body).into_owned());
            }
        }
    }
    None
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// UTCTime or GeneralizedTime to (RFC 3339 text, Unix seconds).
fn parse_time(t: &Tlv) -> Option<(String, i64)> {
    let s = std::str::from_utf8(t.body).ok()?.strip_suffix('Z')?;
    let (year, rest) = match t.tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    if rest.len() < 10 || !rest.bytes().take(10).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| rest[i..i + 2].parse::<i64>().unwrap_or(0);
    let (mo, d, h, mi, se) = (n(0), n(2), n(4), n(6), n(8));
    let unix = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    Some((format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, mo, d, h, mi, se), unix))
}

/// DNS names in a subjectAltName extension value.
fn san_dns_names(ext_value: &[u8]) -> Vec<String> {
    let Some((seq, _)) = next_tlv(ext_value) else {
        return Vec::new();
    };
    children(seq.body)
        .into_iter()
        .filter(|g| g.tag == 0x82)
        .map(|g| String::from_utf8_lossy(g.body).into_owned())
        .collect()
}

/// Reads the summary of a DER certificate; `None` when it is not one.
pub fn summarize(der: &[u8]) -> Option<CertSummary> {
    let (cert, _) = next_tlv(der)?;
    let (tbs, _) = next_tlv(cert.body)?;
    let mut fields = children(tbs.body).into_iter().peekable();
    if fields.peek().is_some_and(|f| f.tag == 0xa0) {
        fields.next();
    }
    let _serial = fields.next().filter(|f| f.tag == 0x02)?;
    let _sig_alg = fields.next()?;
    let issuer = fields.next()?;
    let validity = fields.next()?;
    let subject = fields.next()?;
    let _spki = fields.next()?;
    let mut out = CertSummary {
        subject_cn: common_name(&subject),
        issuer_cn: common_name(&issuer),
        ..CertSummary::default()
    };
    let times = children(validity.body);
    if let [nb, na] = times.as_slice() {
        out.not_before = parse_time(nb).map(|t| t.0);
        if let Some((text, unix)) = parse_time(na) {
            out.not_after = Some(text);
            out.not_after_unix = Some(unix);
        }
    }
    for f in fields.filter(|f| f.tag == 0xa3) {
        let Some((exts, _)) = next_tlv(f.body) else { continue };
        for ext in children(exts.body) {
            let parts = children(ext.body);
            let is_san = parts.first().is_some_and(|p| p.tag == 0x06 && p.body == OID_SUBJECT_ALT_NAME);
            if let (true, Some(value)) = (is_san, parts.iter().rev().find(|p| p.tag == 0x04)) {
                out.dns_names = san_dns_names(value.body);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
    }

    #[test]
    fn times_of_both_kinds() {
        let utc = Tlv {
            tag: 0x17,
            body: b"260115093000Z",
        };
        assert_eq!(parse_time(&utc).unwrap().0, "2026-01-15T09:30:00Z");
        let gen = Tlv {
            tag: 0x18,
            body: b"20500101000000Z",
        };
        assert_eq!(parse_time(&gen).unwrap().0, "2050-01-01T00:00:00Z");
    }

    #[test]
    fn junk_is_not_a_certificate() {
        assert_eq!(summarize(b""), None);
        assert_eq!(summarize(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(summarize(&[0x30, 0x03, 0x30, 0x01, 0x02]), None);
    }
}
