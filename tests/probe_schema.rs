//! The probe's JSON is documented: `probe --format json` matches
//! `schemas/probe-report.schema.json`, the facts `diagnose --probe` adds match
//! the `probe` section of `schemas/facts.schema.json`, and the two schemas
//! describe the probe facts identically.

mod probe_common;
use fake_m365::{DnsStub, FakeServer, Scenario, StubRecord};
use probe_common::*;
use serde_json::Value;

fn schema(name: &str) -> Value {
    let path = format!("{}/schemas/{}.schema.json", env!("CARGO_MANIFEST_DIR"), name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("schema is JSON")
}

fn assert_valid(schema: &Value, doc: &Value, what: &str) {
    let v = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{} does not match its schema:\n{}", what, errors.join("\n"));
}

#[test]
fn the_report_schema_and_the_facts_schema_agree() {
    let report = schema("probe-report");
    let facts = schema("facts");
    assert_eq!(
        report["properties"]["probe"], facts["properties"]["probe"],
        "the two `probe` definitions drifted"
    );
    for def in ["source", "reply", "client_error"] {
        assert_eq!(report["$defs"][def], facts["$defs"][def], "$defs/{} drifted", def);
    }
}

#[test]
fn real_probe_output_matches_the_schemas() {
    let stub = DnsStub::start(vec![
        StubRecord::Mx("contoso.com".into(), 10, "contoso-com.mail.protection.outlook.com".into()),
        StubRecord::Txt("contoso.com".into(), "v=spf1 include:spf.protection.outlook.com -all".into()),
        StubRecord::Address("10.113.0.203.zen.spamhaus.org".into(), "127.0.0.2".parse().unwrap()),
    ]);
    let ok = FakeServer::start(Scenario::by_name("ok").unwrap());
    let mx = FakeServer::start(Scenario::by_name("direct-send-external").unwrap());
    let closed = FakeServer::start(Scenario::by_name("closed").unwrap());
    let expired = FakeServer::start(Scenario::by_name("expired-cert").unwrap());
    let endless = FakeServer::start(Scenario::by_name("endless-multiline").unwrap());
    let mut a = args(&[
        "--dns-server",
        &stub.addr.to_string(),
        "--timeout",
        "3",
        "--ca-file",
        &ca_file(&ok).display().to_string(),
    ]);
    a.extend(args(&[
        "--endpoint",
        &format!("{}/submission", ok.addr),
        "--endpoint",
        &format!("{}/mx", mx.addr),
    ]));
    a.extend(args(&[
        "--endpoint",
        &format!("{}", closed.addr),
        "--endpoint",
        &format!("smtps://{}", ok.addr),
    ]));
    a.extend(args(&[
        "--endpoint",
        &format!("{}/legacy", expired.addr),
        "--endpoint",
        &format!("{}", endless.addr),
    ]));
    a.extend(args(&["--domain", "contoso.com", "--public-ip", "203.0.113.10", "--from", USER]));
    a.extend(args(&[
        "--to",
        "colleague@contoso.com",
        "--to",
        "customer@example.net",
        "--send-test",
    ]));
    a.extend(args(&signin()));

    let run = smtp_doctor(&[args(&["probe", "--format", "json"]), a.clone()].concat(), None);
    let report = run.json();
    assert_eq!(report["probe"]["endpoints"].as_array().unwrap().len(), 6);
    assert_valid(&schema("probe-report"), &report, "probe --format json");

    let d = smtp_doctor(&[args(&["diagnose", "--probe", "--format", "json"]), a].concat(), None);
    let facts = d.json()["facts"].clone();
    assert_eq!(facts["probe"]["ran"], true);
    assert_valid(&schema("facts"), &facts, "diagnose --probe facts");
}

#[test]
fn text_output_shows_each_step_with_its_time() {
    let t = target("ok", "submission");
    let mut a = args(&["probe"]);
    a.extend(t.base.iter().cloned());
    a.extend(args(&signin()));
    let run = smtp_doctor(&a, None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for step in ["dns", "connect", "banner", "ehlo", "starttls", "tls", "ehlo-tls", "auth", "quit"] {
        let line = run.stdout.lines().find(|l| l.trim_start().starts_with(&format!("{} ", step)));
        let line = line.unwrap_or_else(|| panic!("no `{}` step in:\n{}", step, run.stdout));
        assert!(line.contains(" ms "), "{}", line);
    }
    assert!(run.stdout.contains("certificate validation: only the CAs in"), "{}", run.stdout);
    assert!(run.stdout.contains("certificate valid"), "{}", run.stdout);
    assert!(
        run.stderr.is_empty(),
        "no progress display when stderr is not a terminal: {}",
        run.stderr
    );
}
