//! smtp-doctor's network probes: from the machine the device sits on, test
//! each Microsoft 365 endpoint the way a mail client would (DNS, TCP connect,
//! banner, EHLO, STARTTLS, the TLS handshake, AUTH, MAIL FROM, RCPT TO,
//! optionally DATA), and look the domain's MX, SPF and the public IP's
//! blocklist listings up in DNS.
//!
//! The result is facts under `probe.*` (declared in `schemas/facts.schema.json`)
//! and a redacted transcript. This crate knows nothing of causes or fixes: the
//! KB decides what the facts mean. It never prints; `text::render` gives the
//! human-readable report as a string.

mod cert;
mod config;
mod dialogue;
mod dns;
mod dnsbl;
mod facts;
mod reader;
mod report;
mod run;
mod session;
mod spf;
mod text;
mod tls;

pub use config::{Credentials, Endpoint, ProbeConfig, Role, Secret, MX_PLACEHOLDER};
pub use facts::{probe_facts, probe_report};
pub use reader::ReadLimits;
pub use report::{EndpointReport, StepRecord, TranscriptLine};
pub use run::{run_probes, DomainReport, ProbeOutcome};
pub use session::ProgressFn;
pub use text::render;
pub use tls::{check_ca_file, Trust};
