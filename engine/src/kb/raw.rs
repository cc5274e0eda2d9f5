//! Raw KB types: one serde struct per YAML file kind, mirroring the files one to one.
//!
//! These types are what a KB author writes. They are deserialized only after the
//! file passed its JSON Schema, and the schemas in `schemas/` are generated from
//! them (see `schema.rs`), so the `///` comments here are also the editor's hover
//! help. Nothing here is trusted: `compile.rs` turns them into the checked model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A date as `YYYY-MM-DD`.
pub type Date = String;

/// How sure the KB is of a reply text or a claim (the research sheet's marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Verbatim in a Microsoft document.
    #[default]
    A,
    /// Verbatim in real output from Exchange Online hosts.
    B,
    /// Third-party copies or inference only.
    C,
    /// Not found in any source: matched loosely, never presented as certain.
    Unconfirmed,
}

/// A link to a cause with the strength of the evidence (0 < weight <= 1).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CauseLink {
    /// Id of a `cause` entry.
    pub cause: String,
    /// How strongly this evidence points at the cause, 0..1.
    pub weight: f64,
}

/// A link to a fix, in the cause's order of preference.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixLink {
    /// Id of a `fix` entry.
    pub fix: String,
    /// How well the fix addresses the cause, 0..1 (1 = the fix for it).
    pub weight: f64,
}

// ---------------------------------------------------------------- methods
/// `methods:` file: the ways a device can send mail.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodsFile {
    pub methods: Vec<RawMethod>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMethod {
    /// `method.<name>`.
    pub id: String,
    /// Short English title.
    pub title: String,
    /// English explanation: what it is, what it needs, what it can do.
    pub explanation: String,
    /// Where this knowledge comes from (URL or article section).
    pub source: String,
    /// The knowledge holds from this date on (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Re-check against the source by this date; `kb lint` warns after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<Date>,
    /// No longer true after this date; `kb lint` errors if it is still suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

// ---------------------------------------------------------------- symptoms
/// `symptoms:` file: what a user sees, given with `--symptom`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymptomsFile {
    pub symptoms: Vec<RawSymptom>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSymptom {
    /// `symptom.<name>`; `--symptom <name>` selects it.
    pub id: String,
    pub title: String,
    pub explanation: String,
    /// Causes this symptom points at.
    #[serde(default)]
    pub suggests: Vec<CauseLink>,
    pub source: String,
}

// ---------------------------------------------------------------- codes
/// `codes:` file: classes of server replies (and client-side errors).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodesFile {
    pub codes: Vec<RawCode>,
}

/// Protocol stage of a reply, as rebuilt from a log or a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Connect,
    Banner,
    Ehlo,
    Starttls,
    Tls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    EndOfData,
    Quit,
    Unknown,
}

impl Stage {
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Banner => "banner",
            Stage::Ehlo => "ehlo",
            Stage::Starttls => "starttls",
            Stage::Tls => "tls",
            Stage::Auth => "auth",
            Stage::MailFrom => "mail-from",
            Stage::RcptTo => "rcpt-to",
            Stage::Data => "data",
            Stage::EndOfData => "end-of-data",
            Stage::Quit => "quit",
            Stage::Unknown => "unknown",
        }
    }
}

/// What a reply must look like to belong to a code class. All given parts must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCodeMatch {
    /// Three-digit reply codes (any of them). Empty: any code, or none.
    #[serde(default)]
    pub reply: Vec<u16>,
    /// Enhanced status codes (any of them): exact (`5.7.139`) or a range (`5.7.606-5.7.649`).
    #[serde(default)]
    pub enhanced: Vec<String>,
    /// Case-insensitive phrases; at least one must occur in the reply text.
    #[serde(default)]
    pub text_any: Vec<String>,
    /// Case-insensitive phrases; all must occur in the reply text.
    #[serde(default)]
    pub text_all: Vec<String>,
    /// Case-insensitive phrases; none may occur.
    #[serde(default)]
    pub text_none: Vec<String>,
    /// Stages the reply must have been seen at (unknown stage always passes).
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Match client-side error lines (TLS, connection) instead of server replies.
    #[serde(default)]
    pub client_error: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCode {
    /// `code.<name>`.
    pub id: String,
    pub title: String,
    pub explanation: String,
    /// A typical reply exactly as the server sends it.
    pub example: String,
    #[serde(rename = "match")]
    pub matcher: RawCodeMatch,
    /// Causes this reply points at.
    #[serde(default)]
    pub suggests: Vec<CauseLink>,
    /// How sure we are that the server sends this text.
    #[serde(default)]
    pub confidence: Confidence,
    pub source: String,
    /// The knowledge holds from this date on (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Re-check against the source by this date; `kb lint` warns after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<Date>,
    /// No longer true after this date; `kb lint` errors if it is still suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

// ---------------------------------------------------------------- causes
/// `causes:` file: why the device cannot send.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CausesFile {
    pub causes: Vec<RawCause>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCause {
    /// `cause.<name>`.
    pub id: String,
    pub title: String,
    /// English explanation in the KB's own words; may use `{fact.path}` placeholders.
    pub explanation: String,
    /// Fixes in order of preference.
    pub fixed_by: Vec<FixLink>,
    /// Methods this cause only makes sense for; empty = any method.
    #[serde(default)]
    pub applies_to: Vec<String>,
    #[serde(default)]
    pub confidence: Confidence,
    pub source: String,
    /// The knowledge holds from this date on (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Re-check against the source by this date; `kb lint` warns after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<Date>,
    /// No longer true after this date; `kb lint` errors if it is still suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

// ---------------------------------------------------------------- fixes
/// `fixes:` file: what to do about a cause.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixesFile {
    pub fixes: Vec<RawFix>,
}

/// How dangerous a fix is to the organisation's security or mail flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(&self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// Where the admin carries out a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FixPlace {
    Powershell,
    EntraAdminCenter,
    ExchangeAdminCenter,
    M365AdminCenter,
    DefenderPortal,
    DevicePanel,
    AppConfig,
    Firewall,
    Dns,
    Network,
    Vendor,
}

impl FixPlace {
    pub fn as_str(&self) -> &'static str {
        match self {
            FixPlace::Powershell => "powershell",
            FixPlace::EntraAdminCenter => "entra-admin-center",
            FixPlace::ExchangeAdminCenter => "exchange-admin-center",
            FixPlace::M365AdminCenter => "m365-admin-center",
            FixPlace::DefenderPortal => "defender-portal",
            FixPlace::DevicePanel => "device-panel",
            FixPlace::AppConfig => "app-config",
            FixPlace::Firewall => "firewall",
            FixPlace::Dns => "dns",
            FixPlace::Network => "network",
            FixPlace::Vendor => "vendor",
        }
    }
}

/// A ready-to-run command. `{fact.path}` or `{fact.path|<Fallback>}` placeholders
/// are filled from the facts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCommand {
    /// The shell it runs in.
    pub shell: Shell,
    /// The command line.
    pub run: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    Powershell,
    Sh,
    Cmd,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFix {
    /// `fix.<name>`.
    pub id: String,
    pub title: String,
    /// Ordered steps, in English; may use placeholders.
    pub steps: Vec<String>,
    /// Exact commands, in order.
    #[serde(default)]
    pub commands: Vec<RawCommand>,
    /// Where it is done.
    #[serde(rename = "where")]
    pub place: Vec<FixPlace>,
    pub risk: Risk,
    /// Required for high risk: what can go wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    pub source: String,
    /// The knowledge holds from this date on (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Re-check against the source by this date; `kb lint` warns after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<Date>,
    /// No longer true after this date; `kb lint` errors if it is still suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
}

// ---------------------------------------------------------------- rules
/// `rules:` file: Rhai conditions over the facts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    pub rules: Vec<RawRule>,
}

/// Which stratum a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Sets `derived.*` facts; evaluated first, to a fixpoint.
    Derive,
    /// Supports or rules out a cause.
    Diagnose,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// `rule.<name>`.
    pub id: String,
    pub kind: RuleKind,
    /// A Rhai expression over the facts (`device`, `log`, `probe`, `answers`,
    /// `derived`, `observed`, `known`); must give a bool.
    pub when: String,
    /// derive: the facts to set when `when` holds (`derived.*` paths to values).
    #[serde(default)]
    pub set: BTreeMap<String, serde_json::Value>,
    /// derive: how sure the derived fact is, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// derive: why the fact follows, in English (shown as the method's "why").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// diagnose: the cause this rule supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asserts: Option<String>,
    /// diagnose: the cause this rule rules out (weight 1 removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_out: Option<String>,
    /// diagnose: strength, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// diagnose: the evidence in English, shown under the cause; may use placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

// ---------------------------------------------------------------- questions
/// `questions:` file: what to ask when a fact is unknown.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionsFile {
    pub questions: Vec<RawQuestion>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    /// `question.<name>`.
    pub id: String,
    /// The fact path the answer sets (`--set <fact>=<value>`).
    pub fact: String,
    /// The question, in English.
    pub text: String,
    /// Example of how to answer on the command line.
    pub answer_hint: String,
}

// ---------------------------------------------------------------- cases
/// `cases:` file: the KB's own example cases (`kb test`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CasesFile {
    pub cases: Vec<RawCase>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    /// `case.<name>`.
    pub id: String,
    /// What the case shows.
    pub description: String,
    pub input: RawCaseInput,
    pub expect: RawCaseExpect,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCaseInput {
    /// Raw server replies, one per item, as users paste them.
    #[serde(default)]
    pub replies: Vec<String>,
    /// A pasted log or transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Facts by path (`device.username: scanner@contoso.com`).
    #[serde(default)]
    pub facts: BTreeMap<String, serde_json::Value>,
    /// Symptom ids the user reports.
    #[serde(default)]
    pub symptoms: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCaseExpect {
    /// The cause ranked first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Causes that must all be within the first `top_n`.
    #[serde(default)]
    pub in_top: Vec<String>,
    /// How many ranks `in_top` may use (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_n: Option<usize>,
    /// Causes that must not be reported at all.
    #[serde(default)]
    pub absent: Vec<String>,
    /// The method identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The fix ranked first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_fix: Option<String>,
    /// Code classes that must be recognised in the input.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Questions that must be asked.
    #[serde(default)]
    pub questions: Vec<String>,
}

// ---------------------------------------------------------------- settings
/// `settings:` file: scoring knobs and engine-wide KB data.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    pub settings: RawSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// The derived fact that names the sending method (`derived.method`).
    pub method_fact: String,
    /// Causes scoring below this are not reported.
    pub min_cause_score: f64,
    /// At most this many causes in a report.
    pub max_causes: usize,
    /// At most this many fixes in a report.
    pub max_fixes: usize,
    /// At most this many questions in a report.
    pub max_questions: usize,
    /// Multiplies a fix's score by its risk (low/medium/high).
    pub risk_factor: BTreeMap<String, f64>,
    /// Multiplies a cause's score when the known method is not in its `applies_to`.
    pub method_mismatch_factor: f64,
    /// Caps the weight of evidence from `unconfirmed` code classes.
    pub unconfirmed_weight_cap: f64,
    /// Bound on derive passes before giving up on a fixpoint.
    pub derive_max_passes: usize,
    /// What the network probes (`smtp-doctor probe`) test by default and how they name what they find.
    #[serde(default)]
    pub probe: RawProbeSettings,
}

/// The probes' data: endpoints, host patterns, SPF includes and DNS blocklists.
/// Host patterns are exact names or `*.suffix`, compared ignoring case.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProbeSettings {
    /// Endpoints probed when none is given, as `host:port` (`smtp.office365.com:587`).
    #[serde(default)]
    pub default_endpoints: Vec<String>,
    /// Port of the domain's MX host, probed by default when `--domain` is given (25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mx_port: Option<u16>,
    /// Hosts of the client-submission endpoint (role `submission`).
    #[serde(default)]
    pub submission_hosts: Vec<String>,
    /// Hosts of the opt-in legacy-TLS submission endpoint (role `legacy`).
    #[serde(default)]
    pub legacy_hosts: Vec<String>,
    /// Exchange Online MX hosts (role `mx`; an MX record matching one is `probe.mx_is_exo`).
    #[serde(default)]
    pub exo_mx_hosts: Vec<String>,
    /// SPF `include:` names that authorise Microsoft 365 (`spf.protection.outlook.com`).
    #[serde(default)]
    pub spf_includes: Vec<String>,
    /// Most DNS-querying SPF terms an evaluation may need (RFC 7208: 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf_max_lookups: Option<u32>,
    /// DNS blocklist zones the public IP is looked up in (`zen.spamhaus.org`).
    #[serde(default)]
    pub dnsbl_zones: Vec<String>,
}

// ---------------------------------------------------------------- messages
/// `messages:` file: the report's own English strings, by key.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagesFile {
    pub messages: BTreeMap<String, String>,
}

// ---------------------------------------------------------------- translations
/// `kb/i18n/<lang>.yaml`: one language's overlay.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslationFile {
    /// Language code (`it`).
    pub lang: String,
    /// The language's own name (`Italiano`).
    pub language_name: String,
    /// Per entry id: field name to translated text (a list for `steps`), plus `fp`:
    /// field name to the fingerprint of the English text it was translated from.
    #[serde(default)]
    pub entries: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Report strings by key.
    #[serde(default)]
    pub messages: BTreeMap<String, String>,
    /// Fingerprints of the English messages translated.
    #[serde(default)]
    pub messages_fp: BTreeMap<String, String>,
}
