//! One probe run: the domain's MX first (an `@mx` endpoint needs it), then all
//! endpoints, the SPF check and the blocklist look-ups concurrently, the whole
//! under the overall bound. When the bound hits, endpoints still running are
//! reported as far as they got, with `probe.overall_timeout` set.
//!
//! The run owns its tokio runtime (current-thread: the work is waiting on
//! sockets, and the machines have two cores), so callers stay synchronous and
//! the binary needs no runtime of its own.

use crate::config::{ProbeConfig, Role};
use crate::dns::Dns;
use crate::dnsbl::{self, ZoneResult};
use crate::report::EndpointReport;
use crate::session::{ProgressFn, Session, Shared};
use crate::spf::{self, SpfReport};
use crate::tls;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One MX record.
#[derive(Debug, Clone, Serialize)]
pub struct MxRecord {
    pub preference: u16,
    pub host: String,
}

/// What DNS says about `--domain`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub mx: Vec<MxRecord>,
    /// The first MX host matches one of the KB's Exchange Online MX patterns.
    pub mx_is_exo: Option<bool>,
    /// Why there is no MX: `nxdomain`, `no-records`, `timeout`, `error`.
    pub mx_error: Option<String>,
    pub spf: Option<SpfReport>,
    pub spf_error: Option<String>,
    pub ms: u64,
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeOutcome {
    pub endpoints: Vec<EndpointReport>,
    pub domain: Option<DomainReport>,
    pub public_ip: Option<String>,
    pub blocklists: Vec<ZoneResult>,
    /// `public-roots`, `ca-file` or `insecure`.
    pub validation: String,
    pub ca_file: Option<String>,
    /// `system` or the name server given.
    pub dns_server: String,
    pub step_timeout_ms: u64,
    /// The KB's bound on SPF look-ups (RFC 7208: 10).
    pub spf_max_lookups: Option<u32>,
    pub overall_timeout: bool,
    pub elapsed_ms: u64,
}

/// Runs every probe the configuration asks for. `Err` only when the run cannot
/// start (unreadable CA file, a bad endpoint in the KB, no runtime).
pub fn run_probes(config: ProbeConfig, progress: Option<ProgressFn>) -> Result<ProbeOutcome, String> {
    let endpoints = config.effective_endpoints()?;
    let roots = tls::root_store(&config.trust)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the probe runtime: {}", e))?;
    runtime.block_on(async move {
        let dns = Dns::new(config.dns_server, config.step_timeout);
        let started = Instant::now();
        let overall = config.overall_timeout;
        let deadline = tokio::time::Instant::now() + overall;
        let mut timed_out = false;

        let mut domain_report = None;
        let mut mx_host = None;
        if let Some(domain) = config.domain.clone() {
            if let Some(p) = &progress {
                p(&domain, "mx");
            }
            let t = Instant::now();
            let mut d = DomainReport {
                domain: domain.clone(),
                ..DomainReport::default()
            };
            match tokio::time::timeout_at(deadline, dns.mx(&domain)).await {
                Ok(Ok(list)) => {
                    mx_host = list.first().map(|m| m.1.clone());
                    let exo = &config.kb.exo_mx_hosts;
                    d.mx_is_exo = mx_host
                        .as_deref()
                        .map(|h| exo.iter().any(|p| smtp_doctor_engine::rules::host_matches(h, p)));
                    d.mx = list.into_iter().map(|(preference, host)| MxRecord { preference, host }).collect();
                }
                Ok(Err(e)) => d.mx_error = Some(e.kind().into()),
                Err(_) => {
                    d.mx_error = Some("timeout".into());
                    timed_out = true;
                }
            }
            d.ms = t.elapsed().as_millis() as u64;
            domain_report = Some(d);
        }

        let shared = Arc::new(Shared {
            config: config.clone(),
            dns,
            roots,
            mx_host,
            progress,
        });
        // Each slot names its endpoint from the start, so one the bound stops before it began is still reported.
        let slots: Vec<Arc<Mutex<EndpointReport>>> = endpoints
            .iter()
            .map(|ep| {
                Arc::new(Mutex::new(EndpointReport {
                    endpoint: ep.label(),
                    host: ep.host.clone(),
                    port: ep.port,
                    role: ep.role.unwrap_or_else(|| Role::of_host(&ep.host, &config.kb)).as_str().into(),
                    implicit_tls: ep.implicit_tls,
                    ..EndpointReport::default()
                }))
            })
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ep) in endpoints.iter().enumerate() {
            let (shared, ep, slot) = (shared.clone(), ep.clone(), slots[i].clone());
            tasks.spawn(async move {
                let mut s = Session::new(&shared, &ep, slot);
                crate::dialogue::run(&mut s).await;
                (i, s.rep)
            });
        }
        let spf_task = {
            let shared = shared.clone();
            let skip = domain_report.as_ref().is_none_or(|d| d.mx_error.as_deref() == Some("nxdomain"));
            async move {
                if skip {
                    return None;
                }
                let domain = shared.config.domain.clone()?;
                if let Some(p) = &shared.progress {
                    p(&domain, "spf");
                }
                Some(spf::check(&shared.dns, &domain, shared.config.public_ip, &shared.config.kb.spf_includes).await)
            }
        };
        let dnsbl_task = {
            let shared = shared.clone();
            async move {
                let Some(ip) = shared.config.public_ip else {
                    return Vec::new();
                };
                if let Some(p) = &shared.progress {
                    p(&ip.to_string(), "blocklists");
                }
                let mut out = Vec::new();
                for zone in &shared.config.kb.dnsbl_zones {
                    out.push(dnsbl::check_zone(&shared.dns, ip, zone).await);
                }
                out
            }
        };
        let mut finished: Vec<Option<EndpointReport>> = vec![None; endpoints.len()];
        let all = async {
            let (spf_result, zones, ()) = tokio::join!(spf_task, dnsbl_task, async {
                while let Some(done) = tasks.join_next().await {
                    if let Ok((i, rep)) = done {
                        finished[i] = Some(rep);
                    }
                }
            });
            (spf_result, zones)
        };
        let (spf_result, blocklists) = match tokio::time::timeout_at(deadline, all).await {
            Ok(r) => r,
            Err(_) => {
                timed_out = true;
                (None, Vec::new())
            }
        };
        tasks.abort_all();
        if let (Some(d), Some(r)) = (domain_report.as_mut(), spf_result) {
            match r {
                Ok(spf) => d.spf = Some(spf),
                Err(e) => d.spf_error = Some(e.kind().into()),
            }
        }
        let endpoints: Vec<EndpointReport> = finished
            .into_iter()
            .zip(&slots)
            .map(|(done, slot)| {
                done.unwrap_or_else(|| {
                    let mut rep = slot.lock().expect("slot").clone();
                    rep.stopped_at.get_or_insert_with(|| "overall-timeout".into());
                    rep.client_error("timeout", "the probe run reached its overall time bound");
                    rep
                })
            })
            .collect();
        Ok(ProbeOutcome {
            endpoints,
            domain: domain_report,
            public_ip: shared.config.public_ip.map(|i| i.to_string()),
            blocklists,
            validation: shared.config.trust.label().into(),
            ca_file: match &shared.config.trust {
                tls::Trust::CaFile(p) => Some(p.display().to_string()),
                _ => None,
            },
            dns_server: shared.dns.server_label.clone(),
            step_timeout_ms: shared.config.step_timeout.as_millis() as u64,
            spf_max_lookups: shared.config.kb.spf_max_lookups,
            overall_timeout: timed_out,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    })
}
