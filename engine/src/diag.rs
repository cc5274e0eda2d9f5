//! Diagnostics: every problem the engine finds in a KB or an input, with a stable
//! kebab-case id, a one-line message, a source position and a help line.
//!
//! Loading never stops at the first problem: it collects `Diagnostic`s and the
//! caller decides (the CLI prints them; `kb lint` renders them in several formats).

use serde::Serialize;
use std::fmt;

/// How bad a finding is. `Error` makes loading (or lint) fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A place in a source file. Lines and columns are 1-based; 0 means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourcePos {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

impl SourcePos {
    pub fn new(file: impl Into<String>, line: usize, col: usize) -> Self {
        SourcePos {
            file: file.into(),
            line,
            col,
        }
    }
    pub fn file_only(file: impl Into<String>) -> Self {
        SourcePos {
            file: file.into(),
            line: 0,
            col: 0,
        }
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (0, _) => write!(f, "{}", self.file),
            (l, 0) => write!(f, "{}:{}", self.file, l),
            (l, c) => write!(f, "{}:{}:{}", self.file, l, c),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case id naming the problem (`yaml-syntax`, `dangling-link`, ...).
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub pos: SourcePos,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(id: &'static str, pos: SourcePos, message: impl Into<String>) -> Self {
        Diagnostic {
            id,
            severity: Severity::Error,
            message: message.into(),
            pos,
            help: None,
        }
    }
    pub fn warning(id: &'static str, pos: SourcePos, message: impl Into<String>) -> Self {
        Diagnostic {
            id,
            severity: Severity::Warning,
            message: message.into(),
            pos,
            help: None,
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// The one-line form: `file:line:col: error[id]: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {}[{}]: {}", self.pos, sev, self.id, self.message)
    }
}

/// Collected findings.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
