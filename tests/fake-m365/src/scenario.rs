//! Scenarios: how the fake server behaves, stage by stage. Each named
//! scenario mirrors one way Exchange Online answers a device (the reply texts
//! are the ones the KB's research sheet quotes), and any stage's reply can be
//! replaced per test with `Scenario::reply`.

use std::collections::BTreeMap;

/// The diagnostic tag Exchange Online appends to its replies.
pub const TAG: &str = "[FAKE01CA0001.namprd00.prod.outlook.com 2026-10-01T10:00:00.000Z 08DCAB6EB788477A]";

/// What kind of Exchange Online endpoint the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// smtp.office365.com: STARTTLS, then AUTH LOGIN XOAUTH2; anonymous MAIL FROM is refused.
    Submission,
    /// <domain>.mail.protection.outlook.com: no AUTH, anonymous mail for accepted domains.
    Mx,
}

/// Connection-level behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// A normal SMTP dialogue.
    Normal,
    /// Nothing listens on the port (connection refused).
    Closed,
    /// Accepts the connection and never says anything.
    Silent,
    /// Starts a banner line and never ends it.
    EndlessLine,
    /// Sends `220-` continuation lines forever.
    EndlessMultiLine,
}

/// The TLS versions the fake accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3 (Exchange Online's minimum is TLS 1.2).
    Tls12AndUp,
    /// Only TLS 1.2.
    Tls12Only,
    /// Only TLS 1.3.
    Tls13Only,
}

/// The certificate the fake presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Issued by the test CA for 127.0.0.1, ::1 and localhost, valid now.
    Valid,
    /// The same, but expired.
    Expired,
}

/// Stages whose reply a test can replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Banner,
    Ehlo,
    Starttls,
    /// The final AUTH reply (after the password).
    Auth,
    MailFrom,
    /// Every RCPT TO.
    RcptTo,
    /// RCPT TO for a domain that is not accepted.
    RcptExternal,
    EndOfData,
}

/// One scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub kind: Kind,
    pub behaviour: Behaviour,
    /// TLS from the first byte (port 465 style) instead of STARTTLS.
    pub implicit_tls: bool,
    pub offer_starttls: bool,
    pub tls_versions: TlsVersions,
    pub cert: CertKind,
    /// Mechanisms advertised after TLS.
    pub auth_mechanisms: String,
    /// The only sign-in that succeeds.
    pub user: String,
    pub password: String,
    /// Domains whose recipients are internal.
    pub accepted_domains: Vec<String>,
    /// Replies that replace the default at a stage.
    pub replies: BTreeMap<Stage, String>,
}

impl Scenario {
    /// A well-behaved submission endpoint that accepts the test credentials.
    pub fn submission() -> Scenario {
        Scenario {
            name: "ok".into(),
            kind: Kind::Submission,
            behaviour: Behaviour::Normal,
            implicit_tls: false,
            offer_starttls: true,
            tls_versions: TlsVersions::Tls12AndUp,
            cert: CertKind::Valid,
            auth_mechanisms: "LOGIN XOAUTH2".into(),
            user: "scanner@contoso.com".into(),
            password: "Correct-Horse-7".into(),
            accepted_domains: vec!["contoso.com".into()],
            replies: BTreeMap::new(),
        }
    }

    /// Replaces the reply at one stage.
    pub fn reply(mut self, stage: Stage, text: &str) -> Scenario {
        self.replies.insert(stage, text.to_string());
        self
    }

    fn named(mut self, name: &str) -> Scenario {
        self.name = name.into();
        self
    }

    /// Every named scenario, in the order `--list` shows them.
    pub fn names() -> Vec<&'static str> {
        vec![
            "ok",
            "wrong-credentials",
            "auth-disabled-mailbox",
            "auth-disabled-tenant",
            "auth-criteria-not-met",
            "send-as-denied",
            "restricted-sender",
            "direct-send",
            "direct-send-external",
            "tenant-attribution",
            "wrong-region",
            "no-starttls",
            "tls12-only",
            "tls13-only",
            "expired-cert",
            "implicit-tls",
            "closed",
            "silent",
            "endless-line",
            "endless-multiline",
        ]
    }

    /// A named scenario.
    pub fn by_name(name: &str) -> Option<Scenario> {
        let s = Scenario::submission();
        let auth = |text: &str| Scenario::submission().reply(Stage::Auth, &format!("{} {}", text, TAG));
        let mx = || Scenario {
            kind: Kind::Mx,
            auth_mechanisms: String::new(),
            ..Scenario::submission()
        };
        let sc = match name {
            "ok" => s,
            "wrong-credentials" => auth("535 5.7.3 Authentication unsuccessful"),
            "auth-disabled-mailbox" => auth("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."),
            "auth-disabled-tenant" => auth("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."),
            "auth-criteria-not-met" => auth("535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator."),
            "send-as-denied" => s.reply(Stage::MailFrom, "550 5.7.60 SMTP; Client does not have permissions to send as this sender"),
            "restricted-sender" => s.reply(Stage::MailFrom, "550 5.1.8 Access denied, bad outbound sender"),
            "direct-send" => mx(),
            "direct-send-external" => mx().reply(Stage::RcptExternal, "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"),
            "tenant-attribution" => mx().reply(Stage::RcptExternal, "550 5.7.64 TenantAttribution; Relay Access Denied"),
            "wrong-region" => mx().reply(Stage::RcptTo, "451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35."),
            "no-starttls" => Scenario {
                offer_starttls: false,
                ..s
            },
            "tls12-only" => Scenario {
                tls_versions: TlsVersions::Tls12Only,
                ..s
            },
            "tls13-only" => Scenario {
                tls_versions: TlsVersions::Tls13Only,
                ..s
            },
            "expired-cert" => Scenario { cert: CertKind::Expired, ..s },
            "implicit-tls" => Scenario { implicit_tls: true, ..s },
            "closed" => Scenario {
                behaviour: Behaviour::Closed,
                ..s
            },
            "silent" => Scenario {
                behaviour: Behaviour::Silent,
                ..s
            },
            "endless-line" => Scenario {
                behaviour: Behaviour::EndlessLine,
                ..s
            },
            "endless-multiline" => Scenario {
                behaviour: Behaviour::EndlessMultiLine,
                ..s
            },
            _ => return None,
        };
        Some(sc.named(name))
    }

    /// The host name in the banner and EHLO greeting.
    pub fn host(&self) -> &'static str {
        match self.kind {
            Kind::Submission => "FAKE01CA0001.outlook.office365.com",
            Kind::Mx => "FAKE01FT001.mail.protection.outlook.com",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_builds() {
        for n in Scenario::names() {
            assert_eq!(Scenario::by_name(n).map(|s| s.name), Some(n.to_string()));
        }
        assert!(Scenario::by_name("nope").is_none());
    }
}
