//! The human-readable probe report: each endpoint's steps in order with the
//! time each took, the certificate, then DNS (MX, SPF) and blocklists, and
//! optionally the redacted transcript.

use crate::report::EndpointReport;
use crate::run::ProbeOutcome;
use std::fmt::Write;

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn endpoint(out: &mut String, e: &EndpointReport, transcript: bool) {
    let tls = if e.implicit_tls { ", implicit TLS" } else { "" };
    let _ = writeln!(out, "\n{} ({}{})", e.endpoint, e.role, tls);
    for s in &e.steps {
        let mark = if s.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "  {:<10} {:>6} ms  {}  {}", s.step, s.ms, mark, s.detail);
        if s.step == "tls" && e.cert_valid.is_some() {
            let validity = match (&e.cert_valid, &e.cert_error) {
                (Some(true), _) => "valid".to_string(),
                (_, Some(err)) => format!("NOT valid ({})", err),
                _ => "NOT valid".to_string(),
            };
            let names = if e.cert_names.is_empty() {
                String::new()
            } else {
                format!(", names {}", e.cert_names.join(" "))
            };
            let expiry = match (&e.cert_not_after, e.cert_days_left) {
                (Some(t), Some(d)) => format!(", expires {} ({} days)", t, d),
                _ => String::new(),
            };
            let subject = e.cert_subject.as_deref().map(|s| format!(", CN={}", s)).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<10} {:>9}  certificate {}{}{}{}",
                "", "", validity, subject, names, expiry
            );
        }
    }
    if let Some(at) = &e.stopped_at {
        let _ = writeln!(out, "  stopped at: {}", at);
    }
    let _ = writeln!(out, "  total {} ms", e.total_ms);
    if transcript && !e.transcript.is_empty() {
        let _ = writeln!(out, "  transcript (credentials redacted):");
        for l in &e.transcript {
            let _ = writeln!(out, "    {:>6} ms {} {}", l.ms, l.dir, l.text);
        }
    }
}

/// Renders the report; `transcript` adds each endpoint's redacted transcript.
pub fn render(o: &ProbeOutcome, transcript: bool) -> String {
    let mut out = String::new();
    let validation = match (o.validation.as_str(), &o.ca_file) {
        ("ca-file", Some(f)) => format!("only the CAs in {}", f),
        ("insecure", _) => "OFF (--insecure: certificate problems are reported but ignored)".to_string(),
        _ => "public roots".to_string(),
    };
    let _ = writeln!(
        out,
        "smtp-doctor probe: {} endpoint(s); certificate validation: {}; DNS: {}; step timeout {} ms",
        o.endpoints.len(),
        validation,
        o.dns_server,
        o.step_timeout_ms
    );
    for e in &o.endpoints {
        endpoint(&mut out, e, transcript);
    }
    if let Some(d) = &o.domain {
        let _ = writeln!(out, "\nDomain {} ({} ms)", d.domain, d.ms);
        match (&d.mx.first(), &d.mx_error) {
            (Some(_), _) => {
                for m in &d.mx {
                    let _ = writeln!(out, "  MX   {} (preference {})", m.host, m.preference);
                }
            }
            (None, Some(e)) => {
                let _ = writeln!(out, "  MX   none ({})", e);
            }
            _ => {}
        }
        if let Some(s) = &d.spf {
            match &s.record {
                Some(r) => {
                    let _ = writeln!(out, "  SPF  {}", r);
                    let covers = s
                        .covers_ip
                        .map(|c| format!("; covers the public IP: {}", yes_no(c)))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "       {} record(s); includes Microsoft 365: {}; DNS look-ups: {}{}",
                        s.record_count,
                        yes_no(s.includes_m365),
                        s.lookup_count,
                        covers
                    );
                    for e in &s.errors {
                        let _ = writeln!(out, "       look-up failed: {}", e);
                    }
                }
                None => {
                    let _ = writeln!(out, "  SPF  no v=spf1 record");
                }
            }
        } else if let Some(e) = &d.spf_error {
            let _ = writeln!(out, "  SPF  look-up failed ({})", e);
        }
    }
    if let Some(ip) = &o.public_ip {
        if !o.blocklists.is_empty() {
            let _ = writeln!(out, "\nBlocklists for {}", ip);
        }
        for z in &o.blocklists {
            let verdict = match (z.listed, &z.error) {
                (Some(true), _) => format!("LISTED ({})", z.answers.join(", ")),
                (Some(false), _) => "not listed".to_string(),
                (None, Some(e)) => format!("unknown: {}", e),
                (None, None) => "unknown".to_string(),
            };
            let _ = writeln!(out, "  {:<28} {}", z.zone, verdict);
        }
    }
    if o.overall_timeout {
        let _ = writeln!(
            out,
            "\nThe run reached its overall time bound; unfinished steps are reported as far as they got."
        );
    }
    let _ = writeln!(out, "\nFinished in {} ms.", o.elapsed_ms);
    out
}
