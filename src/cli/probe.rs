//! `smtp-doctor probe`: test the Microsoft 365 endpoints from this machine and
//! print what each step found and how long it took (or the JSON report,
//! `schemas/probe-report.schema.json`). The probe options are one clap struct,
//! shared with `diagnose --probe`.
//!
//! The password comes only from an environment variable (`--password-env`) or
//! standard input (`--password-stdin`), never from the command line, and never
//! appears in any output.

use super::common::{emit, to_json, CliError, Format, GlobalArgs};
use clap::Args;
use smtp_doctor_engine::kb::raw::RawProbeSettings;
use smtp_doctor_probes::{Credentials, Endpoint, ProbeConfig, ProbeOutcome, ProgressFn, Secret, Trust};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The probe options (`probe`, and `diagnose --probe`).
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Endpoint to probe, `[smtps://]HOST:PORT[/ROLE]` (repeatable). `smtps://` or port 465 means
    /// implicit TLS; ROLE is submission, legacy, mx or other; HOST `@mx` is the MX host of --domain.
    /// Default: smtp.office365.com:587 and :25, smtp-legacy.office365.com:587 (and the MX host on 25 with --domain).
    #[arg(long = "endpoint", value_name = "HOST:PORT")]
    pub endpoints: Vec<String>,
    /// The organisation's mail domain: check its MX and SPF records.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// The network's public IP: check SPF coverage and DNS blocklists.
    #[arg(long = "public-ip", value_name = "IP")]
    pub public_ip: Option<IpAddr>,
    /// Sign in with this user (AUTH LOGIN or PLAIN, only inside TLS).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long = "password-env", value_name = "VAR", conflicts_with = "password_stdin")]
    pub password_env: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// Envelope sender for MAIL FROM.
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Envelope recipient for RCPT TO (repeatable).
    #[arg(long = "to", value_name = "ADDR")]
    pub to: Vec<String>,
    /// Also send DATA: a short test message to the accepted recipients.
    #[arg(long = "send-test")]
    pub send_test: bool,
    /// Seconds each step may take (connect, each reply, the TLS handshake, each DNS query).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Seconds the whole run may take (default: 6 × --timeout).
    #[arg(long = "overall-timeout", value_name = "SECS")]
    pub overall_timeout: Option<f64>,
    /// Report certificate problems but go on with the handshake anyway.
    #[arg(long, conflicts_with = "ca_file")]
    pub insecure: bool,
    /// Trust only the CA certificates in this PEM file (instead of the public roots).
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Ask this name server (IP:PORT) instead of the system's.
    #[arg(long = "dns-server", value_name = "IP:PORT")]
    pub dns_server: Option<SocketAddr>,
    /// Text output: add each endpoint's transcript (credentials redacted).
    #[arg(long)]
    pub transcript: bool,
}

fn seconds(v: f64, flag: &str) -> Result<Duration, CliError> {
    if v.is_finite() && v > 0.0 && v <= 3600.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(CliError::usage(format!("{} must be between 0 and 3600 seconds", flag)))
    }
}

/// The password, from where the options say. Never from argv.
fn password(a: &ProbeArgs) -> Result<Option<Secret>, CliError> {
    if let Some(var) = &a.password_env {
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(Some(Secret::new(p))),
            _ => Err(CliError::usage(format!(
                "--password-env {}: that environment variable is not set",
                var
            ))),
        };
    }
    if a.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| CliError::usage(format!("--password-stdin: {}", e)))?;
        let p = line.trim_end_matches(['\r', '\n']).to_string();
        if p.is_empty() {
            return Err(CliError::usage("--password-stdin: standard input gave no password"));
        }
        return Ok(Some(Secret::new(p)));
    }
    Ok(None)
}

/// Builds the probe configuration from the options and the KB's probe data.
pub fn config(a: &ProbeArgs, kb: RawProbeSettings) -> Result<ProbeConfig, CliError> {
    let mut c = ProbeConfig::new(kb);
    c.endpoints = a
        .endpoints
        .iter()
        .map(|e| Endpoint::parse(e))
        .collect::<Result<_, _>>()
        .map_err(CliError::usage)?;
    if c.endpoints.iter().any(|e| e.host == smtp_doctor_probes::MX_PLACEHOLDER) && a.domain.is_none() {
        return Err(CliError::usage("an `@mx` endpoint needs --domain"));
    }
    c.domain = a.domain.clone();
    c.public_ip = a.public_ip;
    let secret = password(a)?;
    c.credentials = match (&a.user, secret) {
        (Some(user), Some(password)) => Some(Credentials {
            user: user.clone(),
            password,
        }),
        (Some(_), None) => return Err(CliError::usage("--user needs --password-env VAR or --password-stdin")),
        (None, Some(_)) => return Err(CliError::usage("a password was given without --user")),
        (None, None) => None,
    };
    c.mail_from = a.from.clone();
    c.rcpt_to = a.to.clone();
    if a.send_test && (a.from.is_none() || a.to.is_empty()) {
        return Err(CliError::usage("--send-test needs --from and at least one --to"));
    }
    c.send_test = a.send_test;
    c.step_timeout = seconds(a.timeout, "--timeout")?;
    c.overall_timeout = match a.overall_timeout {
        Some(v) => seconds(v, "--overall-timeout")?,
        None => c.step_timeout * 6,
    };
    c.trust = match (&a.ca_file, a.insecure) {
        (Some(p), _) => {
            smtp_doctor_probes::check_ca_file(p).map_err(|e| CliError::usage(format!("--ca-file {}", e)))?;
            Trust::CaFile(p.clone())
        }
        (None, true) => Trust::Insecure,
        (None, false) => Trust::PublicRoots,
    };
    c.dns_server = a.dns_server;
    Ok(c)
}

/// A one-line progress display on stderr, only when stderr is a terminal.
fn progress() -> Option<ProgressFn> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(Arc::new(|what: &str, step: &str| {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2Kprobing {}: {}…", what, step);
        let _ = err.flush();
    }))
}

/// Runs the probes with the progress display, clearing it afterwards.
pub fn run_probes(config: ProbeConfig) -> Result<ProbeOutcome, CliError> {
    let p = progress();
    let shown = p.is_some();
    let out = smtp_doctor_probes::run_probes(config, p).map_err(CliError::usage);
    if shown {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
    }
    out
}

/// Exit status: 1 when some step failed or something is listed, else 0.
pub fn exit_code(o: &ProbeOutcome) -> i32 {
    let failed = o.endpoints.iter().any(|e| e.stopped_at.is_some() || e.steps.iter().any(|s| !s.ok));
    let listed = o.blocklists.iter().any(|z| z.listed == Some(true));
    i32::from(failed || listed || o.overall_timeout)
}

pub fn run(g: &GlobalArgs, a: &ProbeArgs) -> Result<i32, CliError> {
    let (kb, _) = g.load_kb()?;
    let outcome = run_probes(config(a, kb.settings.probe.clone())?)?;
    let out = match g.format {
        Format::Json => to_json(&smtp_doctor_probes::probe_report(&outcome)),
        Format::Text => smtp_doctor_probes::render(&outcome, a.transcript),
        Format::Markdown => markdown(&smtp_doctor_probes::render(&outcome, a.transcript), exit_code(&outcome)),
    };
    emit(&out)?;
    Ok(exit_code(&outcome))
}

/// The report for a ticket: a heading, the verdict, and the text report as a
/// code block, so its aligned columns and the transcript survive any Markdown
/// renderer (the text is already redacted).
fn markdown(text: &str, code: i32) -> String {
    let verdict = if code == 0 {
        "Every step worked and nothing is listed."
    } else {
        "Some step failed, or the address is listed: details below."
    };
    let fence = smtp_doctor_engine::render::code_fence(text);
    format!("## smtp-doctor probe\n\n{}\n\n{}text\n{}{}\n", verdict, fence, text, fence)
}
