//! DNS for the probes through hickory-resolver: host addresses, MX, TXT and
//! the A look-ups of DNS blocklists, each under the step timeout, against the
//! system's name servers or the one given with `--dns-server`.
//!
//! Every name is queried fully qualified (a trailing dot), so the machine's
//! search domains never turn `contoso.com` into `contoso.com.corp.local`.

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Why a look-up gave nothing. `kind()` is the fact value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsFailure {
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of that type.
    NoRecords,
    Timeout,
    Other(String),
}

impl DnsFailure {
    pub fn kind(&self) -> &'static str {
        match self {
            DnsFailure::NxDomain => "nxdomain",
            DnsFailure::NoRecords => "no-records",
            DnsFailure::Timeout => "timeout",
            DnsFailure::Other(_) => "error",
        }
    }

    pub fn describe(&self, name: &str) -> String {
        match self {
            DnsFailure::NxDomain => format!("{}: no such domain (NXDOMAIN)", name),
            DnsFailure::NoRecords => format!("{}: no records of that type", name),
            DnsFailure::Timeout => format!("{}: DNS query timed out", name),
            DnsFailure::Other(e) => format!("{}: DNS error: {}", name, e),
        }
    }
}

fn failure_of(e: NetError) -> DnsFailure {
    if e.is_nx_domain() {
        DnsFailure::NxDomain
    } else if e.is_no_records_found() {
        DnsFailure::NoRecords
    } else if matches!(e, NetError::Timeout) {
        DnsFailure::Timeout
    } else {
        DnsFailure::Other(e.to_string())
    }
}

/// A resolver with the probe's timeout. When the system's configuration cannot
/// be read, look-ups fail with that reason instead of the whole run failing, so
/// endpoints given as IP addresses can still be probed.
pub struct Dns {
    resolver: Result<TokioResolver, String>,
    timeout: Duration,
    /// `system` or the `IP:PORT` given.
    pub server_label: String,
}

impl Dns {
    /// Builds the resolver; `server` replaces the system's name servers.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Dns {
        Dns {
            resolver: Self::resolver(server, timeout),
            timeout,
            server_label: server.map(|s| s.to_string()).unwrap_or_else(|| "system".into()),
        }
    }

    fn resolver(server: Option<SocketAddr>, timeout: Duration) -> Result<TokioResolver, String> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                TokioResolver::builder_with_config(ResolverConfig::from_name_servers(vec![ns]), provider)
            }
            None => TokioResolver::builder(provider).map_err(|e| format!("cannot read the system's DNS configuration: {}", e))?,
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.ndots = 0;
        builder.build().map_err(|e| format!("cannot set up DNS: {}", e))
    }

    fn get(&self) -> Result<&TokioResolver, DnsFailure> {
        self.resolver.as_ref().map_err(|e| DnsFailure::Other(e.clone()))
    }

    fn fqdn(name: &str) -> String {
        if name.ends_with('.') {
            name.to_string()
        } else {
            format!("{}.", name)
        }
    }

    async fn bounded<T>(&self, f: impl std::future::Future<Output = Result<T, NetError>>) -> Result<T, DnsFailure> {
        match tokio::time::timeout(self.timeout + Duration::from_millis(200), f).await {
            Ok(r) => r.map_err(failure_of),
            Err(_) => Err(DnsFailure::Timeout),
        }
    }

    /// Addresses of a host (an IP literal is returned as is).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let found = self.bounded(self.get()?.lookup_ip(Self::fqdn(host))).await?;
        let ips: Vec<IpAddr> = found.iter().collect();
        if ips.is_empty() {
            Err(DnsFailure::NoRecords)
        } else {
            Ok(ips)
        }
    }

    /// MX records, lowest preference first: (preference, host without the final dot).
    pub async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, DnsFailure> {
        let found = self.bounded(self.get()?.mx_lookup(Self::fqdn(domain))).await?;
        let mut out: Vec<(u16, String)> = found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some((mx.preference, mx.exchange.to_ascii().trim_end_matches('.').to_string())),
                _ => None,
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// TXT records, each with its strings joined (as SPF requires).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFailure> {
        let found = self.bounded(self.get()?.txt_lookup(Self::fqdn(name))).await?;
        Ok(found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(t.txt_data.iter().map(|s| String::from_utf8_lossy(s)).collect::<String>()),
                _ => None,
            })
            .collect())
    }

    /// IPv4 addresses of a name (blocklist answers).
    pub async fn ipv4(&self, name: &str) -> Result<Vec<Ipv4Addr>, DnsFailure> {
        let found = self.bounded(self.get()?.ipv4_lookup(Self::fqdn(name))).await?;
        Ok(found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect())
    }
}
