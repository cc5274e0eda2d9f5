//! Command-line parsing and dispatch. Each subcommand is one module with its
//! clap argument struct and one `run` function; nothing here knows about
//! Microsoft 365 (that is all KB data).

mod common;
mod diagnose;
mod explain;
mod kb;
mod parse;
mod probe;

use clap::{Parser, Subcommand};
pub use common::GlobalArgs;

/// Diagnose why a printer, scanner or app cannot send mail through Microsoft 365.
#[derive(Debug, Parser)]
#[command(name = "smtp-doctor", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the cause from logs, replies, settings and symptoms, and rank the fixes.
    Diagnose(diagnose::DiagnoseArgs),
    /// Explain a reply code, an enhanced status code or a KB id.
    Explain(explain::ExplainArgs),
    /// Work with the knowledge base.
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// Show what was understood in a log: format, conversation, replies, facts (`--redact`: a masked copy).
    Parse(parse::ParseArgs),
    /// Test the Microsoft 365 endpoints, DNS (MX, SPF) and blocklists from this machine, step by step.
    Probe(probe::ProbeArgs),
}

/// Runs the CLI and returns the exit status (0 nothing found / ok, 1 findings, 2 error).
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let lint_only_ok = matches!(&cli.command, Command::Kb(c) if c.accepts_lint_formats());
    if let Err(e) = cli.global.check_format(lint_only_ok) {
        e.print();
        return e.exit;
    }
    let result = match &cli.command {
        Command::Diagnose(a) => diagnose::run(&cli.global, a),
        Command::Explain(a) => explain::run(&cli.global, a),
        Command::Kb(c) => kb::run(&cli.global, c),
        Command::Parse(a) => parse::run(&cli.global, a),
        Command::Probe(a) => probe::run(&cli.global, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            e.print();
            e.exit
        }
    }
}
