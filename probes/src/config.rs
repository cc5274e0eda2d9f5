//! What a probe run is asked to do: endpoints (`[smtps://]HOST:PORT[/ROLE]`),
//! credentials, envelope, trust, DNS server and timeouts, plus the KB's probe
//! data (default endpoints, host patterns, SPF includes, blocklist zones).
//!
//! The password lives in a `Secret` whose `Debug` prints nothing, so a stray
//! `{:?}` cannot leak it into a log or a panic message.

use crate::tls::Trust;
use smtp_doctor_engine::kb::raw::RawProbeSettings;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Host name standing for the MX host of `--domain` in an endpoint (`@mx:25`).
pub const MX_PLACEHOLDER: &str = "@mx";

/// What an endpoint is for, from the KB's host patterns (or given after `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Client submission (smtp.office365.com): SMTP AUTH.
    Submission,
    /// The opt-in legacy-TLS submission host.
    Legacy,
    /// An MX host (Direct Send, relay).
    Mx,
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submission => "submission",
            Role::Legacy => "legacy",
            Role::Mx => "mx",
            Role::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Submission, Role::Legacy, Role::Mx, Role::Other]
            .into_iter()
            .find(|r| r.as_str() == s.to_ascii_lowercase())
    }

    /// The role the KB's patterns give a host.
    pub fn of_host(host: &str, kb: &RawProbeSettings) -> Role {
        let any = |pats: &[String]| pats.iter().any(|p| smtp_doctor_engine::rules::host_matches(host, p));
        if any(&kb.legacy_hosts) {
            Role::Legacy
        } else if any(&kb.submission_hosts) {
            Role::Submission
        } else if any(&kb.exo_mx_hosts) {
            Role::Mx
        } else {
            Role::Other
        }
    }
}

/// One endpoint to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP literal (IPv6 without brackets), or `@mx`.
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (`smtps://`, or port 465) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Role given after `/`; otherwise it comes from the KB's host patterns.
    pub role: Option<Role>,
}

impl Endpoint {
    /// Parses `[smtps://]HOST:PORT[/ROLE]`; IPv6 literals go in brackets (`[::1]:2525`).
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let bad = |why: &str| format!("`{}`: {} (expected [smtps://]HOST:PORT[/ROLE])", text, why);
        let (implicit, rest) = match text.strip_prefix("smtps://") {
            Some(r) => (true, r),
            None => (false, text.strip_prefix("smtp://").unwrap_or(text)),
        };
        let (addr, role) = match rest.rsplit_once('/') {
            Some((a, r)) => (
                a,
                Some(Role::parse(r).ok_or_else(|| bad("role must be submission, legacy, mx or other"))?),
            ),
            None => (rest, None),
        };
        let (host, port) = if let Some(v6) = addr.strip_prefix('[') {
            let (h, p) = v6.split_once("]:").ok_or_else(|| bad("missing port"))?;
            (h.to_string(), p)
        } else {
            let (h, p) = addr.rsplit_once(':').ok_or_else(|| bad("missing port"))?;
            (h.to_string(), p)
        };
        let port: u16 = port.parse().map_err(|_| bad("port is not a number from 1 to 65535"))?;
        if host.is_empty() || port == 0 {
            return Err(bad("empty host or port 0"));
        }
        Ok(Endpoint {
            implicit_tls: implicit || port == 465,
            host,
            port,
            role,
        })
    }

    /// `host:port` as people write it (brackets around IPv6).
    pub fn label(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let scheme = if self.implicit_tls && self.port != 465 { "smtps://" } else { "" };
        format!("{}{}:{}", scheme, host, self.port)
    }
}

/// A password that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Sign-in name and password for AUTH.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: String,
    pub password: Secret,
}

/// Everything one probe run needs.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Endpoints as given; empty means the KB's defaults (plus the MX host with a domain).
    pub endpoints: Vec<Endpoint>,
    pub domain: Option<String>,
    pub public_ip: Option<IpAddr>,
    pub credentials: Option<Credentials>,
    pub mail_from: Option<String>,
    pub rcpt_to: Vec<String>,
    /// Send DATA with a short test message after the envelope.
    pub send_test: bool,
    /// Bound on each step (connect, each reply, handshake, each DNS query).
    pub step_timeout: Duration,
    /// Bound on the whole run.
    pub overall_timeout: Duration,
    pub trust: Trust,
    /// Name server for every DNS query; `None` uses the system's configuration.
    pub dns_server: Option<SocketAddr>,
    /// Name sent with EHLO.
    pub ehlo_name: String,
    pub limits: crate::reader::ReadLimits,
    pub kb: RawProbeSettings,
}

impl ProbeConfig {
    /// A configuration with the defaults the CLI documents (10 s steps, run bound 6 × step).
    pub fn new(kb: RawProbeSettings) -> ProbeConfig {
        ProbeConfig {
            endpoints: Vec::new(),
            domain: None,
            public_ip: None,
            credentials: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            send_test: false,
            step_timeout: Duration::from_secs(10),
            overall_timeout: Duration::from_secs(60),
            trust: Trust::PublicRoots,
            dns_server: None,
            ehlo_name: "smtp-doctor.invalid".into(),
            limits: crate::reader::ReadLimits::default(),
            kb,
        }
    }

    /// The endpoints to probe: as given, or the KB's defaults plus the MX host with `--domain`.
    pub fn effective_endpoints(&self) -> Result<Vec<Endpoint>, String> {
        if !self.endpoints.is_empty() {
            return Ok(self.endpoints.clone());
        }
        let mut out: Vec<Endpoint> = self
            .kb
            .default_endpoints
            .iter()
            .map(|e| Endpoint::parse(e))
            .collect::<Result<_, _>>()?;
        if self.domain.is_some() {
            out.push(Endpoint {
                host: MX_PLACEHOLDER.into(),
                port: self.kb.mx_port.unwrap_or(25),
                implicit_tls: false,
                role: Some(Role::Mx),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("smtp.office365.com:587").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.implicit_tls, e.role),
            ("smtp.office365.com", 587, false, None)
        );
        let e = Endpoint::parse("smtps://[::1]:2465/submission").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.implicit_tls, e.role),
            ("::1", 2465, true, Some(Role::Submission))
        );
        assert_eq!(e.label(), "smtps://[::1]:2465");
        assert!(Endpoint::parse("host:465").unwrap().implicit_tls);
        assert!(Endpoint::parse("host").is_err());
        assert!(Endpoint::parse("host:0").is_err());
        assert!(Endpoint::parse("host:25/relay").is_err());
    }

    #[test]
    fn roles_come_from_kb_patterns() {
        let kb = RawProbeSettings {
            submission_hosts: vec!["smtp.office365.com".into()],
            legacy_hosts: vec!["smtp-legacy.office365.com".into()],
            exo_mx_hosts: vec!["*.mail.protection.outlook.com".into()],
            ..RawProbeSettings::default()
        };
        assert_eq!(Role::of_host("SMTP.office365.com", &kb), Role::Submission);
        assert_eq!(Role::of_host("smtp-legacy.office365.com", &kb), Role::Legacy);
        assert_eq!(Role::of_host("contoso-com.mail.protection.outlook.com", &kb), Role::Mx);
        assert_eq!(Role::of_host("mail.example.net", &kb), Role::Other);
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Credentials {
            user: "u".into(),
            password: Secret::new("hunter2".into()),
        };
        assert!(!format!("{:?}", c).contains("hunter2"));
    }
}
