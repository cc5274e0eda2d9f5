//! The probe library against the fake server and DNS stub, in process: the
//! report structures, the certificate summary of a real certificate, progress
//! callbacks, the overall bound and the facts' summaries. Loopback only.

use fake_m365::{DnsStub, FakeServer, Scenario, StubRecord};
use smtp_doctor_engine::kb::raw::RawProbeSettings;
use smtp_doctor_probes::{probe_facts, run_probes, Credentials, Endpoint, ProbeConfig, ProgressFn, Secret, Trust};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn kb() -> RawProbeSettings {
    RawProbeSettings {
        submission_hosts: vec!["smtp.office365.com".into()],
        exo_mx_hosts: vec!["*.mail.protection.outlook.com".into(), "*.mx.microsoft".into()],
        spf_includes: vec!["spf.protection.outlook.com".into()],
        spf_max_lookups: Some(10),
        dnsbl_zones: vec!["bl.test".into()],
        ..RawProbeSettings::default()
    }
}

fn config_for(server: &FakeServer, role: &str) -> (ProbeConfig, std::path::PathBuf) {
    let ca = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("probes-ca-{}-{}.pem", std::process::id(), server.addr.port()));
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let mut c = ProbeConfig::new(kb());
    c.endpoints = vec![Endpoint::parse(&format!("{}/{}", server.addr, role)).unwrap()];
    c.trust = Trust::CaFile(ca.clone());
    c.step_timeout = Duration::from_secs(3);
    c.overall_timeout = Duration::from_secs(10);
    (c, ca)
}

#[test]
fn a_full_session_reports_every_step_and_the_certificate() {
    let server = FakeServer::start(Scenario::by_name("ok").unwrap());
    let (mut c, _) = config_for(&server, "submission");
    c.credentials = Some(Credentials {
        user: "scanner@contoso.com".into(),
        password: Secret::new("Correct-Horse-7".into()),
    });
    c.mail_from = Some("scanner@contoso.com".into());
    c.rcpt_to = vec!["colleague@contoso.com".into()];
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let progress: ProgressFn = Arc::new(move |_, step| log.lock().unwrap().push(step.to_string()));
    let o = run_probes(c, Some(progress)).unwrap();
    let e = &o.endpoints[0];
    assert_eq!(e.connect.as_deref(), Some("ok"));
    assert_eq!(e.auth_succeeded, Some(true));
    assert_eq!(e.cert_valid, Some(true));
    assert_eq!(e.cert_subject.as_deref(), Some("outlook.office365.com"));
    assert_eq!(e.cert_issuer.as_deref(), Some("fake-m365 test CA"));
    assert_eq!(e.cert_names, ["localhost"]);
    assert_eq!(e.cert_chain_length, 2);
    assert!(e.cert_days_left.unwrap() > 365);
    assert!(e.steps.iter().all(|s| s.ok), "{:?}", e.steps);
    assert!(e.transcript.iter().any(|l| l.text == "<password redacted>"));
    assert!(!e.transcript.iter().any(|l| l.text.contains("Correct-Horse-7")));
    let steps = seen.lock().unwrap().clone();
    assert!(
        steps.starts_with(&["dns".to_string(), "connect".into(), "banner".into()]),
        "{:?}",
        steps
    );
    let f = probe_facts(&o);
    assert_eq!(f["auth_succeeded"], true);
    assert_eq!(
        f["replies"].as_array().unwrap().iter().filter(|r| r["origin"] == "probe").count(),
        f["replies"].as_array().unwrap().len()
    );
}

#[test]
fn the_overall_bound_keeps_partial_reports() {
    let server = FakeServer::start(Scenario::by_name("silent").unwrap());
    let (mut c, _) = config_for(&server, "submission");
    c.step_timeout = Duration::from_secs(30);
    c.overall_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let o = run_probes(c, None).unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(o.overall_timeout);
    assert_eq!(o.endpoints[0].connect.as_deref(), Some("ok"));
    assert_eq!(o.endpoints[0].stopped_at.as_deref(), Some("overall-timeout"));
}

#[test]
fn dns_checks_through_the_stub() {
    let stub = DnsStub::start(vec![
        StubRecord::Mx("contoso.com".into(), 10, "contoso-com.mail.protection.outlook.com".into()),
        StubRecord::Txt(
            "contoso.com".into(),
            "v=spf1 ip4:203.0.113.0/24 include:spf.protection.outlook.com -all".into(),
        ),
        StubRecord::Address("contoso-com.mail.protection.outlook.com".into(), "127.0.0.1".parse().unwrap()),
        StubRecord::Address("10.113.0.203.bl.test".into(), "127.255.255.254".parse().unwrap()),
    ]);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let (mut c, _) = config_for(&server, "mx");
    c.endpoints = vec![Endpoint::parse(&format!("@mx:{}", server.addr.port())).unwrap()];
    c.dns_server = Some(stub.addr);
    c.domain = Some("contoso.com".into());
    c.public_ip = Some("203.0.113.10".parse().unwrap());
    let o = run_probes(c, None).unwrap();
    let d = o.domain.as_ref().unwrap();
    assert_eq!(d.mx_is_exo, Some(true));
    let spf = d.spf.as_ref().unwrap();
    assert_eq!(spf.covers_ip, Some(true));
    assert!(spf.includes_m365);
    assert_eq!(o.endpoints[0].role, "mx");
    assert_eq!(o.endpoints[0].banner_code, Some(220));
    // 127.255.255.x is the blocklist refusing the query, not a listing.
    assert_eq!(o.blocklists[0].listed, None);
    assert!(o.blocklists[0].error.is_some());
    let f = probe_facts(&o);
    assert!(f.get("blocklisted").is_none(), "no zone answered: unknown, not false");
    assert_eq!(f["spf_too_many_lookups"], false);
}
