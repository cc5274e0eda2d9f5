//! `smtp-doctor diagnose`: inputs to facts, facts to a ranked report. With
//! `--probe`, the network probes run first and their `probe.*` facts join the
//! logs, settings and symptoms given.

use super::common::{emit, open_input, read_input, shown_name, to_json, use_color, CliError, Format, GlobalArgs};
use super::probe::ProbeArgs;
use clap::Args;
use smtp_doctor_engine::{diagnose, render, InputBuilder, Options};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Log or transcript files the device or app printed (`-` reads stdin).
    pub files: Vec<String>,
    /// The device's settings as YAML (server, port, tls_mode, username, from, ...).
    #[arg(long = "config", value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// Set one fact: `--set device.port=587`, `--set device.connector_present=false`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// A raw server reply, as the device showed it.
    #[arg(long = "reply", value_name = "TEXT")]
    pub replies: Vec<String>,
    /// Something the user saw (`marked-as-junk`, `external-recipients-fail`, ...).
    #[arg(long = "symptom", value_name = "ID")]
    pub symptoms: Vec<String>,
    /// Show what every rule decided.
    #[arg(long)]
    pub trace: bool,
    /// Run the network probes first (the options below) and diagnose from what they find too.
    #[arg(long)]
    pub probe: bool,
    #[command(flatten)]
    pub probe_args: ProbeArgs,
}

/// The probe options describe the device too (its sign-in, domain and public IP): they fill
/// those `device.*` facts that settings and `--set` left unknown, so fixes name the real values.
fn device_from_probe_options(p: &ProbeArgs, facts: &mut smtp_doctor_engine::Facts) {
    let given = [
        ("device.username", p.user.clone()),
        ("device.domain", p.domain.clone()),
        ("device.public_ip", p.public_ip.map(|ip| ip.to_string())),
    ];
    for (path, value) in given {
        if let (Some(v), false) = (value, facts.is_known(path)) {
            let _ = facts.set(path, serde_json::Value::String(v));
        }
    }
}

/// Probe options given without `--probe` would silently do nothing: refuse them.
fn check_probe_options(a: &DiagnoseArgs) -> Result<(), CliError> {
    let p = &a.probe_args;
    let given = !p.endpoints.is_empty()
        || p.domain.is_some()
        || p.public_ip.is_some()
        || p.user.is_some()
        || p.password_env.is_some()
        || p.password_stdin
        || p.from.is_some()
        || !p.to.is_empty()
        || p.send_test
        || p.insecure
        || p.ca_file.is_some()
        || p.dns_server.is_some();
    if given && !a.probe {
        return Err(CliError::usage("probe options need --probe"));
    }
    if a.probe && p.password_stdin && a.files.iter().any(|f| f == "-") {
        return Err(CliError::usage(
            "--password-stdin and a log on stdin (`-`) cannot share standard input",
        ));
    }
    Ok(())
}

pub fn run(g: &GlobalArgs, a: &DiagnoseArgs) -> Result<i32, CliError> {
    check_probe_options(a)?;
    let (kb, _) = g.load_kb()?;
    let mut b = InputBuilder::for_kb(&kb);
    let mut probe_text = String::new();
    if a.probe {
        let outcome = super::probe::run_probes(super::probe::config(&a.probe_args, kb.settings.probe.clone())?)?;
        if let serde_json::Value::Object(probe) = smtp_doctor_probes::probe_facts(&outcome) {
            b.facts_mut().merge_root("probe", &probe).map_err(CliError::usage)?;
        }
        if g.format == Format::Text {
            probe_text = smtp_doctor_probes::render(&outcome, a.probe_args.transcript);
            probe_text.push('\n');
        }
    }
    for path in &a.configs {
        let shown = path.display().to_string();
        let text = read_input(&shown)?;
        b.config_yaml(&shown, &text)?;
    }
    for s in &a.sets {
        b.set(s)?;
    }
    for r in &a.replies {
        b.reply(r);
    }
    for f in &a.files {
        b.log_reader(open_input(f)?, shown_name(f))
            .map_err(|e| CliError::usage(format!("{}: {}", shown_name(f), e)))?;
    }
    for s in &a.symptoms {
        b.symptom(&kb, s)?;
    }
    if a.probe {
        device_from_probe_options(&a.probe_args, b.facts_mut());
    }
    let report = diagnose(
        &kb,
        b.finish(),
        &Options {
            lang: g.lang(),
            trace: a.trace,
        },
    );
    let out = match g.format {
        Format::Json => to_json(&report),
        Format::Markdown => render::markdown(&report, &kb),
        Format::Text => probe_text + render::text(&report, &kb, use_color()).as_str(),
    };
    emit(&out)?;
    Ok(report.exit_code())
}
