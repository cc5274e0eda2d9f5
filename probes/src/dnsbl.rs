//! DNS blocklist look-ups of the public IP, against the zones the KB lists.
//!
//! A listed IP answers with an address in 127.0.0.0/8; NXDOMAIN means not
//! listed. Answers in 127.255.255.0/24 are the blocklists' way of refusing the
//! query (Spamhaus answers so to public resolvers), so they count as "could not
//! check", not as a listing.

use crate::dns::{Dns, DnsFailure};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

/// The result for one zone.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneResult {
    pub zone: String,
    /// `None` when the zone could not be asked or refused to answer.
    pub listed: Option<bool>,
    /// The 127.x.y.z return codes.
    pub answers: Vec<String>,
    pub error: Option<String>,
}

/// The name to query for `ip` in `zone` (reversed octets or nibbles).
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.{}", o[3], o[2], o[1], o[0], zone)
        }
        IpAddr::V6(v6) => {
            let hex: String = v6.octets().iter().map(|b| format!("{:02x}", b)).collect();
            let nibbles: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
            format!("{}.{}", nibbles.join("."), zone)
        }
    }
}

fn is_refusal(a: &Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 127 && o[1] == 255 && o[2] == 255
}

/// Looks the IP up in one zone.
pub async fn check_zone(dns: &Dns, ip: IpAddr, zone: &str) -> ZoneResult {
    let name = query_name(ip, zone);
    let mut out = ZoneResult {
        zone: zone.to_string(),
        listed: None,
        answers: Vec::new(),
        error: None,
    };
    match dns.ipv4(&name).await {
        Ok(addrs) => {
            out.answers = addrs.iter().map(|a| a.to_string()).collect();
            let listing = addrs.iter().any(|a| a.octets()[0] == 127 && !is_refusal(a));
            if listing {
                out.listed = Some(true);
            } else if addrs.iter().any(is_refusal) {
                out.error = Some("the blocklist refused the query (it may not answer public or shared resolvers)".into());
            } else {
                out.listed = Some(false);
            }
        }
        Err(DnsFailure::NxDomain | DnsFailure::NoRecords) => out.listed = Some(false),
        Err(e) => out.error = Some(e.describe(&name)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_names() {
        assert_eq!(
            query_name("203.0.113.10".parse().unwrap(), "zen.spamhaus.org"),
            "10.113.0.203.zen.spamhaus.org"
        );
        let v6 = query_name("2001:db8::1".parse().unwrap(), "bl.example.");
        assert!(v6.starts_with("1.0.0.0.0.0.0.0."), "{}", v6);
        assert!(v6.ends_with(".8.b.d.0.1.0.0.2.bl.example"), "{}", v6);
    }

    #[test]
    fn refusals_are_not_listings() {
        assert!(is_refusal(&"127.255.255.254".parse().unwrap()));
        assert!(!is_refusal(&"127.0.0.2".parse().unwrap()));
    }
}
