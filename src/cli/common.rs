//! What every subcommand shares: the global options, loading the KB the user
//! chose, picking the language, writing output (a closed pipe is not an error),
//! and errors that print as one line with an exit status.

use clap::{Args, ValueEnum};
use smtp_doctor_engine::{load_kb, Diagnostics, Kb, KbSource};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// What `--format` accepts. `sarif` and `github` only make sense for `kb lint`
/// (findings with file positions), so they live here rather than in `Format`,
/// which every other command matches on; `check_format` turns this into `Format`
/// or refuses the two lint-only values with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Markdown,
    /// SARIF 2.1.0 (kb lint only).
    Sarif,
    /// GitHub Actions workflow commands (kb lint only).
    Github,
}

/// Options that work the same on every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Language of the output (en, it). Default: from LC_ALL / LC_MESSAGES / LANG.
    #[arg(long, global = true)]
    pub lang: Option<String>,
    /// Output format: text, json, markdown; `kb lint` also takes sarif and github.
    #[arg(long = "format", value_name = "FORMAT", global = true, value_enum, default_value_t = FormatArg::Text)]
    pub format_arg: FormatArg,
    /// The format for commands other than `kb lint` (set from `--format` by `check_format`).
    #[arg(skip = Format::Text)]
    pub format: Format,
    /// Load the knowledge base from this directory instead of the built-in copy.
    #[arg(long, global = true, env = "SMTP_DOCTOR_KB")]
    pub kb: Option<PathBuf>,
}

/// An error for the user: one line, and the exit status to use.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit: i32,
    /// Extra lines (the KB's diagnostics) printed after the message.
    pub details: Vec<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            exit: 2,
            details: Vec::new(),
        }
    }
    pub fn print(&self) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "smtp-doctor: error: {}", self.message);
        for d in &self.details {
            let _ = writeln!(err, "  {}", d);
        }
    }
}

impl From<smtp_doctor_engine::Diagnostic> for CliError {
    fn from(d: smtp_doctor_engine::Diagnostic) -> Self {
        let mut message = d.to_string();
        if let Some(h) = &d.help {
            message.push_str(&format!(" ({})", h));
        }
        CliError::usage(message)
    }
}

impl GlobalArgs {
    /// Sets `format` from `--format`; `lint_only_ok` says whether the command
    /// (only `kb lint`) accepts sarif and github.
    pub fn check_format(&mut self, lint_only_ok: bool) -> Result<(), CliError> {
        self.format = match self.format_arg {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Sarif | FormatArg::Github if lint_only_ok => Format::Text,
            FormatArg::Sarif | FormatArg::Github => {
                let name = if self.format_arg == FormatArg::Sarif { "sarif" } else { "github" };
                return Err(CliError::usage(format!(
                    "--format {} is only for `smtp-doctor kb lint`; this command writes text, json or markdown",
                    name
                )));
            }
        };
        Ok(())
    }

    /// Loads the KB from `--kb` / `SMTP_DOCTOR_KB`, or the embedded copy.
    pub fn load_kb(&self) -> Result<(Kb, Diagnostics), CliError> {
        let source = match &self.kb {
            Some(dir) => KbSource::Dir(dir),
            None => KbSource::Embedded,
        };
        load_kb(source).map_err(|diags| {
            let errors: Vec<String> = diags.errors().map(|d| d.to_string()).collect();
            let where_ = self
                .kb
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "the built-in KB".into());
            CliError {
                message: format!(
                    "the knowledge base in {} has {} error(s); run `smtp-doctor kb lint` for details",
                    where_,
                    errors.len().max(1)
                ),
                exit: 2,
                details: errors.into_iter().take(20).collect(),
            }
        })
    }

    /// The output language.
    pub fn lang(&self) -> String {
        smtp_doctor_engine::i18n::resolve_lang(self.lang.as_deref(), |k| std::env::var(k).ok())
    }
}

/// Whether to colour text output: only on a terminal, never with NO_COLOR set.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
pub fn emit(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::usage(format!("cannot write output: {}", e))),
    }
}

/// JSON, pretty, with a trailing newline.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serializable");
    s.push('\n');
    s
}

/// Reads an input file (or stdin for `-`) as text, whatever its encoding.
pub fn read_input(path: &str) -> Result<String, CliError> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf).map_err(|e| CliError::usage(format!("<stdin>: {}", e)))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| CliError::usage(format!("{}: {}", path, e)))?
    };
    Ok(smtp_doctor_engine::logparse::decode(&bytes))
}

/// Opens an input for streaming (`-` is stdin), so a log of any size is read in
/// bounded memory.
pub fn open_input(path: &str) -> Result<Box<dyn std::io::BufRead>, CliError> {
    if path == "-" {
        return Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin())));
    }
    let f = std::fs::File::open(path).map_err(|e| CliError::usage(format!("{}: {}", path, e)))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
}

/// How an input is named in evidence and errors.
pub fn shown_name(path: &str) -> &str {
    if path == "-" {
        "<stdin>"
    } else {
        path
    }
}
