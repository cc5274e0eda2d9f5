//! The SPF checks an admin needs for a sending device: is there exactly one
//! `v=spf1` record, does it include Microsoft 365, does it (or anything it
//! includes) authorise the device's public IP, and how many DNS-querying terms
//! does evaluating it take (RFC 7208 allows 10).
//!
//! Includes and redirects are followed breadth-first with a visited set, at most
//! `MAX_FETCHES` queries and `MAX_DEPTH` levels deep, so a loop or a huge
//! include tree costs a bounded number of queries. The IP is looked for in
//! `ip4:`/`ip6:` ranges, in the addresses of `a` and `mx` terms (with their
//! prefix lengths) and under `+all`; a `ptr` or `exists` term, which this check
//! does not evaluate, leaves the answer unknown rather than "not covered".

use crate::dns::Dns;
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};
use std::net::IpAddr;

/// Most TXT records fetched for one evaluation.
const MAX_FETCHES: usize = 30;
/// Deepest include/redirect nesting followed.
const MAX_DEPTH: usize = 10;

/// What the SPF check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SpfReport {
    /// The domain's `v=spf1` record (the first, when there are several).
    pub record: Option<String>,
    /// How many `v=spf1` records the domain has (exactly one is valid).
    pub record_count: usize,
    /// Some include, at any depth, is one of the KB's Microsoft 365 SPF names.
    pub includes_m365: bool,
    /// `include:` names of the domain's own record.
    pub includes: Vec<String>,
    /// Some pass-qualified `ip4:`/`ip6:` range, `a` or `mx` term or `+all` (here
    /// or in an include) holds the public IP; `None` without a public IP, or when
    /// only a `ptr`/`exists` term could still authorise it.
    pub covers_ip: Option<bool>,
    /// DNS-querying terms (include, a, mx, ptr, exists, redirect) over the whole tree.
    pub lookup_count: u32,
    /// `all` with its qualifier in the domain's record (`~all`, `-all`).
    pub all: Option<String>,
    /// Look-ups that failed while following includes (`name: reason`).
    pub errors: Vec<String>,
    /// The walk stopped at its bounds before seeing the whole tree.
    pub truncated: bool,
}

/// Whether `ip` lies in `range` (`203.0.113.0/24`, `2001:db8::/32` or a single address).
pub fn in_range(ip: IpAddr, range: &str) -> bool {
    let (addr, len) = match range.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().ok()),
        None => (range, None),
    };
    match (ip, addr.parse::<IpAddr>()) {
        (IpAddr::V4(ip), Ok(IpAddr::V4(net))) => {
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), Ok(IpAddr::V6(net))) => {
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// `a[:domain][/len4][//len6]` or `mx...` after the name: the domain to resolve
/// (`current` when none is given) and the prefix lengths for IPv4 and IPv6.
fn host_term(arg: Option<&str>, bare: &str, current: &str) -> (String, u32, u32) {
    // Without `:`, the prefix (if any) follows the name itself: `a/24`.
    let spec = match arg {
        Some(a) => a.to_string(),
        None => bare.find('/').map(|i| bare[i..].to_string()).unwrap_or_default(),
    };
    let (domain, lens) = match spec.find('/') {
        Some(i) => (&spec[..i], &spec[i..]),
        None => (spec.as_str(), ""),
    };
    let (v4, v6) = match lens.strip_prefix('/') {
        Some(rest) => match rest.split_once("//") {
            Some((a, b)) => (a.parse().unwrap_or(32), b.parse().unwrap_or(128)),
            None if rest.starts_with('/') => (32, rest[1..].parse().unwrap_or(128)),
            None => (rest.parse().unwrap_or(32), 128),
        },
        None => (32, 128),
    };
    let domain = if domain.is_empty() { current } else { domain };
    (domain.trim_end_matches('.').to_string(), v4, v6)
}

/// Whether `ip` is one of `addrs` within the term's prefix lengths.
fn among(ip: IpAddr, addrs: &[IpAddr], v4: u32, v6: u32) -> bool {
    addrs.iter().any(|a| {
        let len = if a.is_ipv4() { v4 } else { v6 };
        in_range(ip, &format!("{}/{}", a, len))
    })
}

/// RFC 7208 4.6.4: at most 10 MX hosts are looked at for an `mx` term.
const MAX_MX_HOSTS: usize = 10;

/// One term of a record: qualifier and the term without it.
fn split_qualifier(term: &str) -> (char, &str) {
    match term.chars().next() {
        Some(q @ ('+' | '-' | '~' | '?')) => (q, &term[1..]),
        _ => ('+', term),
    }
}

fn is_spf(txt: &str) -> bool {
    let t = txt.trim_start().to_ascii_lowercase();
    t == "v=spf1" || t.starts_with("v=spf1 ")
}

/// Checks `domain`'s SPF; `m365` are the KB's include names.
pub async fn check(dns: &Dns, domain: &str, public_ip: Option<IpAddr>, m365: &[String]) -> Result<SpfReport, crate::dns::DnsFailure> {
    let top = dns.txt(domain).await?;
    let records: Vec<&String> = top.iter().filter(|t| is_spf(t)).collect();
    let mut rep = SpfReport {
        record: records.first().map(|s| s.to_string()),
        record_count: records.len(),
        covers_ip: public_ip.map(|_| false),
        ..SpfReport::default()
    };
    let Some(first) = records.first() else {
        return Ok(rep);
    };
    let mut visited: BTreeSet<String> = BTreeSet::from([domain.to_ascii_lowercase()]);
    let mut queue: VecDeque<(String, usize, bool)> = VecDeque::new();
    let mut fetches = 0usize;
    // A `ptr`/`exists` term that could authorise the IP, not evaluated here.
    let mut unevaluated = false;
    let mut record = Some((first.to_string(), 0usize, true, true, domain.to_ascii_lowercase()));
    loop {
        if let Some((text, depth, is_top, authorises, current)) = record.take() {
            for term in text.split_whitespace().skip(1) {
                let (q, t) = split_qualifier(term);
                let lower = t.to_ascii_lowercase();
                let (name, arg) = match lower.split_once([':', '=']) {
                    Some((n, a)) => (n.to_string(), Some(a.to_string())),
                    None => (lower.split('/').next().unwrap_or("").to_string(), None),
                };
                match (name.as_str(), arg) {
                    ("include", Some(target)) | ("redirect", Some(target)) => {
                        rep.lookup_count += 1;
                        if m365.iter().any(|m| m.eq_ignore_ascii_case(&target)) {
                            rep.includes_m365 = true;
                        }
                        if is_top && name == "include" {
                            rep.includes.push(target.clone());
                        }
                        if visited.insert(target.clone()) {
                            queue.push_back((target, depth + 1, authorises && q == '+'));
                        }
                    }
                    ("a" | "mx", arg) => {
                        rep.lookup_count += 1;
                        let Some(ip) = public_ip.filter(|_| q == '+' && authorises && rep.covers_ip != Some(true)) else {
                            continue;
                        };
                        let (target, v4, v6) = host_term(arg.as_deref(), &lower, &current);
                        // Macros (`%{i}`) need the message being checked: not evaluated.
                        if target.contains('%') {
                            unevaluated = true;
                            continue;
                        }
                        // Every query counts against the walk's budget; a term the
                        // budget stops is not evaluated, so coverage stays unknown.
                        if fetches >= MAX_FETCHES {
                            rep.truncated = true;
                            unevaluated = true;
                            continue;
                        }
                        let hosts = if name == "a" {
                            vec![target.clone()]
                        } else {
                            fetches += 1;
                            match dns.mx(&target).await {
                                Ok(mx) => mx.into_iter().map(|(_, h)| h).take(MAX_MX_HOSTS).collect(),
                                Err(e) => {
                                    note_failure(&mut rep, e, &target);
                                    Vec::new()
                                }
                            }
                        };
                        for host in hosts {
                            if fetches >= MAX_FETCHES {
                                rep.truncated = true;
                                unevaluated = true;
                                break;
                            }
                            fetches += 1;
                            match dns.addresses(&host).await {
                                Ok(addrs) if among(ip, &addrs, v4, v6) => {
                                    rep.covers_ip = Some(true);
                                    break;
                                }
                                Ok(_) => {}
                                Err(e) => note_failure(&mut rep, e, &host),
                            }
                        }
                    }
                    ("ptr" | "exists", _) => {
                        rep.lookup_count += 1;
                        unevaluated |= q == '+' && authorises;
                    }
                    ("ip4" | "ip6", Some(range)) if q == '+' && authorises => {
                        if let Some(ip) = public_ip {
                            if in_range(ip, &range) {
                                rep.covers_ip = Some(true);
                            }
                        }
                    }
                    ("all", None) => {
                        if is_top {
                            rep.all = Some(format!("{}all", q));
                        }
                        // `+all` passes every address (a misconfiguration, but it covers the IP).
                        if q == '+' && authorises && public_ip.is_some() {
                            rep.covers_ip = Some(true);
                        }
                    }
                    _ => {}
                }
            }
        }
        let Some((name, depth, pass)) = queue.pop_front() else { break };
        if depth > MAX_DEPTH || fetches >= MAX_FETCHES {
            rep.truncated = true;
            break;
        }
        fetches += 1;
        match dns.txt(&name).await {
            Ok(txts) => {
                // An include that does not pass (`-include:`) cannot authorise the IP; its lookups still count.
                record = txts.into_iter().find(|t| is_spf(t)).map(|t| (t, depth, false, pass, name.clone()));
            }
            Err(e) => rep.errors.push(e.describe(&name)),
        }
    }
    if unevaluated && rep.covers_ip == Some(false) {
        rep.covers_ip = None;
    }
    Ok(rep)
}

/// A failed `a`/`mx` look-up: a name without records is an answer (the term
/// matches nothing), anything else is worth saying.
fn note_failure(rep: &mut SpfReport, e: crate::dns::DnsFailure, name: &str) {
    if !matches!(e, crate::dns::DnsFailure::NxDomain | crate::dns::DnsFailure::NoRecords) {
        rep.errors.push(e.describe(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let ip: IpAddr = "203.0.113.10".parse().unwrap();
        assert!(in_range(ip, "203.0.113.0/24"));
        assert!(in_range(ip, "203.0.113.10"));
        assert!(!in_range(ip, "203.0.114.0/24"));
        assert!(in_range(ip, "0.0.0.0/0"));
        assert!(!in_range(ip, "2001:db8::/32"));
        assert!(in_range("2001:db8::1".parse().unwrap(), "2001:db8::/32"));
        assert!(!in_range(ip, "garbage"));
    }

    #[test]
    fn a_and_mx_terms() {
        assert_eq!(host_term(None, "a", "contoso.com"), ("contoso.com".into(), 32, 128));
        assert_eq!(host_term(None, "a/24", "contoso.com"), ("contoso.com".into(), 24, 128));
        assert_eq!(
            host_term(Some("mail.contoso.com"), "a:mail.contoso.com", "x"),
            ("mail.contoso.com".into(), 32, 128)
        );
        assert_eq!(
            host_term(Some("contoso.com/24//64"), "mx:contoso.com/24//64", "x"),
            ("contoso.com".into(), 24, 64)
        );
        assert_eq!(host_term(None, "mx//64", "contoso.com"), ("contoso.com".into(), 32, 64));
        let ip: IpAddr = "203.0.113.10".parse().unwrap();
        assert!(among(ip, &["203.0.113.10".parse().unwrap()], 32, 128));
        assert!(among(ip, &["203.0.113.1".parse().unwrap()], 24, 128));
        assert!(!among(ip, &["203.0.113.1".parse().unwrap()], 32, 128));
    }

    #[test]
    fn qualifiers_and_records() {
        assert_eq!(split_qualifier("~all"), ('~', "all"));
        assert_eq!(split_qualifier("ip4:1.2.3.4"), ('+', "ip4:1.2.3.4"));
        assert!(is_spf("v=spf1 -all"));
        assert!(is_spf("V=SPF1"));
        assert!(!is_spf("v=spf10"));
        assert!(!is_spf("google-site-verification=x"));
    }
}
