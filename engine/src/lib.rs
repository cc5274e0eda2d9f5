//! smtp-doctor's engine: the knowledge base (loading, validation, compilation),
//! the facts tree, the SMTP reply and log parsers, Rhai rule evaluation, scoring
//! and ranking, and report rendering.
//!
//! Data flows one way: inputs become one facts tree (`inputs`), derive rules add
//! derived facts, diagnose rules and recognised replies score causes, causes rank
//! fixes, and `render` turns the report into text or Markdown (JSON is the report
//! serialized). Nothing here touches the network or prints.

pub mod cases;
pub mod classify;
pub mod diag;
pub mod diagnose;
pub mod embedded;
pub mod facts;
pub mod i18n;
pub mod inputs;
pub mod kb;
pub mod lint;
pub mod logparse;
pub mod observe;
pub mod placeholder;
pub mod render;
pub mod reply;
pub mod report;
pub mod rules;
pub mod score;
pub mod suggest;
pub(crate) mod swar;
pub mod yaml_pos;

pub use diag::{Diagnostic, Diagnostics, Severity, SourcePos};
pub use diagnose::{diagnose, Options};
pub use facts::Facts;
pub use inputs::InputBuilder;
pub use kb::{load_kb, Kb, KbSource};
pub use report::Report;
