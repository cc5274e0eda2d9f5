//! From a run's outcome to the `probe` facts the KB reads: the per-endpoint
//! records, and flat summaries that rules can test without loops
//! (`probe.all_connect_failed`, `probe.tls_versions`, `probe.spf_covers_ip`, ...).
//!
//! A summary is only set when the run could know it: `probe.mx_reachable` is
//! absent when no MX endpoint was probed, so a rule about it stays undecided
//! instead of concluding from silence.

use crate::run::ProbeOutcome;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

fn distinct<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    it.filter(|s| seen.insert(s.to_string())).map(str::to_string).collect()
}

fn reachable(o: &ProbeOutcome, roles: &[&str]) -> Option<bool> {
    let eps: Vec<_> = o.endpoints.iter().filter(|e| roles.contains(&e.role.as_str())).collect();
    (!eps.is_empty()).then(|| eps.iter().any(|e| e.connect.as_deref() == Some("ok") && e.banner_code == Some(220)))
}

/// The `probe` object of the facts tree.
pub fn probe_facts(o: &ProbeOutcome) -> Value {
    let mut f = Map::new();
    let mut set = |k: &str, v: Value| {
        f.insert(k.to_string(), v);
    };
    let eps = &o.endpoints;
    set("ran", json!(true));
    set("validation", json!(o.validation));
    if let Some(c) = &o.ca_file {
        set("ca_file", json!(c));
    }
    set("dns_server", json!(o.dns_server));
    set("step_timeout_ms", json!(o.step_timeout_ms));
    set("overall_timeout", json!(o.overall_timeout));
    set("elapsed_ms", json!(o.elapsed_ms));
    set("endpoints", serde_json::to_value(eps).unwrap_or(Value::Null));
    set("endpoint_count", json!(eps.len()));
    let roles = distinct(eps.iter().map(|e| e.role.as_str()));
    if roles.len() == 1 {
        set("endpoint_role", json!(roles[0]));
    }
    set("roles", json!(roles));

    if !eps.is_empty() {
        let connected = eps.iter().filter(|e| e.connect.as_deref() == Some("ok")).count();
        set("any_connected", json!(connected > 0));
        set("all_connect_failed", json!(connected == 0));
        let failures = eps.iter().filter_map(|e| e.connect.as_deref()).filter(|c| *c != "ok");
        set("connect_errors", json!(distinct(failures)));
    }
    if let Some(v) = reachable(o, &["submission", "legacy"]) {
        set("submission_reachable", json!(v));
    }
    if let Some(v) = reachable(o, &["mx"]) {
        set("mx_reachable", json!(v));
    }
    set("banner_hosts", json!(distinct(eps.iter().filter_map(|e| e.banner_host.as_deref()))));
    let ehlo_done: Vec<_> = eps.iter().filter(|e| e.starttls_offered.is_some()).collect();
    if !ehlo_done.is_empty() {
        set(
            "starttls_offered",
            json!(ehlo_done.iter().any(|e| e.starttls_offered == Some(true))),
        );
    }
    let tls_tried: Vec<_> = eps.iter().filter(|e| e.tls_established.is_some()).collect();
    if !tls_tried.is_empty() {
        set("tls_established", json!(tls_tried.iter().any(|e| e.tls_established == Some(true))));
        set("tls_failed", json!(tls_tried.iter().any(|e| e.tls_established == Some(false))));
    }
    set("tls_versions", json!(distinct(eps.iter().filter_map(|e| e.tls_version.as_deref()))));
    set("tls_errors", json!(distinct(eps.iter().filter_map(|e| e.tls_error.as_deref()))));
    let certs: Vec<_> = eps.iter().filter_map(|e| e.cert_valid).collect();
    if !certs.is_empty() {
        set("cert_valid", json!(certs.iter().all(|v| *v)));
    }
    set("cert_errors", json!(distinct(eps.iter().filter_map(|e| e.cert_error.as_deref()))));
    let implicit: Vec<_> = eps.iter().filter(|e| e.tls_first.is_some()).collect();
    if !implicit.is_empty() {
        set("implicit_tls_refused", json!(implicit.iter().any(|e| e.tls_first == Some(false))));
    }
    let mut mechs: Vec<&str> = Vec::new();
    for e in eps {
        mechs.extend(e.auth_mechanisms.iter().map(String::as_str));
    }
    set("auth_mechanisms", json!(distinct(mechs.into_iter())));
    if !ehlo_done.is_empty() || eps.iter().any(|e| e.ehlo_code.is_some()) {
        set(
            "auth_offered_before_tls",
            json!(eps.iter().any(|e| !e.auth_mechanisms_before_tls.is_empty())),
        );
    }
    let auths: Vec<bool> = eps.iter().filter_map(|e| e.auth_succeeded).collect();
    if !auths.is_empty() {
        set("auth_attempted", json!(true));
        set("auth_succeeded", json!(auths.iter().any(|v| *v)));
        set("auth_failed", json!(auths.iter().any(|v| !*v)));
    }
    let codes: BTreeSet<u16> = eps.iter().filter_map(|e| e.auth_result_code).collect();
    set("auth_result_codes", json!(codes));
    let froms: Vec<bool> = eps.iter().filter_map(|e| e.mail_from_accepted).collect();
    if !froms.is_empty() {
        set("mail_from_accepted", json!(froms.iter().any(|v| *v)));
        set("mail_from_refused", json!(froms.iter().any(|v| !*v)));
    }
    let rcpts: Vec<_> = eps.iter().flat_map(|e| e.rcpt.iter()).collect();
    set(
        "rcpt_accepted",
        json!(distinct(rcpts.iter().filter(|r| r.accepted).map(|r| r.address.as_str()))),
    );
    set(
        "rcpt_refused",
        json!(distinct(rcpts.iter().filter(|r| !r.accepted).map(|r| r.address.as_str()))),
    );
    let data: Vec<bool> = eps.iter().filter_map(|e| e.data_accepted).collect();
    if !data.is_empty() {
        set("data_accepted", json!(data.iter().any(|v| *v)));
    }
    set("read_errors", json!(distinct(eps.iter().filter_map(|e| e.read_error.as_deref()))));

    if let Some(d) = &o.domain {
        set("domain", json!(d.domain));
        set("mx_hosts", json!(d.mx.iter().map(|m| m.host.clone()).collect::<Vec<_>>()));
        if let Some(first) = d.mx.first() {
            set("mx_host", json!(first.host));
        }
        if let Some(exo) = d.mx_is_exo {
            set("mx_is_exo", json!(exo));
        }
        if let Some(e) = &d.mx_error {
            set("mx_error", json!(e));
        }
        if let Some(e) = &d.spf_error {
            set("spf_error", json!(e));
        }
        if let Some(spf) = &d.spf {
            set("spf_present", json!(spf.record_count > 0));
            set("spf_record_count", json!(spf.record_count));
            if let Some(r) = &spf.record {
                set("spf_record", json!(r));
                set("spf_includes_m365", json!(spf.includes_m365));
                set("spf_includes", json!(spf.includes));
                set("spf_lookup_count", json!(spf.lookup_count));
                if let Some(max) = o.spf_max_lookups {
                    set("spf_too_many_lookups", json!(spf.lookup_count > max));
                }
                if let Some(c) = spf.covers_ip {
                    set("spf_covers_ip", json!(c));
                }
                if let Some(a) = &spf.all {
                    set("spf_all", json!(a));
                }
            }
        }
    }
    if let Some(ip) = &o.public_ip {
        set("public_ip", json!(ip));
    }
    if !o.blocklists.is_empty() {
        let answered: Vec<_> = o.blocklists.iter().filter(|z| z.listed.is_some()).collect();
        if !answered.is_empty() {
            set("blocklisted", json!(answered.iter().any(|z| z.listed == Some(true))));
        }
        let listed = o.blocklists.iter().filter(|z| z.listed == Some(true)).map(|z| z.zone.as_str());
        set("blocklists", json!(distinct(listed)));
        set("blocklist_results", serde_json::to_value(&o.blocklists).unwrap_or(Value::Null));
    }
    let replies: Vec<Value> = eps.iter().flat_map(|e| e.replies.iter().cloned()).collect();
    let errors: Vec<Value> = eps.iter().flat_map(|e| e.client_errors.iter().cloned()).collect();
    f.insert("replies".into(), Value::Array(replies));
    f.insert("client_errors".into(), Value::Array(errors));
    Value::Object(f)
}

/// The JSON document `smtp-doctor probe --format json` prints
/// (`schemas/probe-report.schema.json`).
pub fn probe_report(o: &ProbeOutcome) -> Value {
    let transcripts: Vec<Value> = o
        .endpoints
        .iter()
        .map(|e| json!({ "endpoint": e.endpoint, "lines": e.transcript }))
        .collect();
    json!({
        "schema_version": 1,
        "probe": probe_facts(o),
        "transcripts": transcripts,
    })
}
