//! `smtp-doctor diagnose`: inputs to facts, facts to a ranked report.

use super::common::{emit, read_input, to_json, use_color, CliError, Format, GlobalArgs};
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
}

pub fn run(g: &GlobalArgs, a: &DiagnoseArgs) -> Result<i32, CliError> {
    let (kb, _) = g.load_kb()?;
    let mut b = InputBuilder::new();
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
        let text = read_input(f)?;
        b.log(&text, if f == "-" { "<stdin>" } else { f });
    }
    for s in &a.symptoms {
        b.symptom(&kb, s)?;
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
        Format::Text => render::text(&report, &kb, use_color()),
    };
    emit(&out)?;
    Ok(report.exit_code())
}
