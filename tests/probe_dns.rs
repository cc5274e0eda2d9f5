//! DNS probes against the loopback DNS stub: the MX of `--domain` (and the
//! `@mx` endpoint it names), SPF (Microsoft 365 include, public IP coverage,
//! several records, too many look-ups) and DNS blocklists, and what
//! `diagnose --probe` concludes from them. The public IP is a documentation
//! address that is only ever looked up, never contacted.

mod probe_common;
use fake_m365::{DnsStub, FakeServer, Scenario, StubRecord};
use probe_common::*;
use serde_json::json;

const PUBLIC_IP: &str = "203.0.113.10";
const MX_HOST: &str = "contoso-com.mail.protection.outlook.com";

fn txt(name: &str, text: &str) -> StubRecord {
    StubRecord::Txt(name.into(), text.into())
}

fn loopback(name: &str) -> StubRecord {
    StubRecord::Address(name.into(), "127.0.0.1".parse().unwrap())
}

/// contoso.com with an Exchange Online MX and an SPF record that includes Microsoft 365 only.
fn contoso(extra: Vec<StubRecord>) -> DnsStub {
    let mut records = vec![
        StubRecord::Mx("contoso.com".into(), 10, MX_HOST.into()),
        txt("contoso.com", "MS=ms12345678"),
        txt("contoso.com", "v=spf1 include:spf.protection.outlook.com -all"),
        txt("spf.protection.outlook.com", "v=spf1 ip4:40.92.0.0/15 ip4:52.100.0.0/14 -all"),
        loopback(MX_HOST),
    ];
    records.extend(extra);
    DnsStub::start(records)
}

/// `probe --format json` asking every DNS question of the stub.
fn probe_args(stub: &DnsStub) -> Vec<String> {
    args(&[
        "probe",
        "--format",
        "json",
        "--dns-server",
        &stub.addr.to_string(),
        "--timeout",
        "3",
    ])
}

/// `a` (probe or diagnose arguments) with the fake server as the `@mx` endpoint.
fn run_at_mx(mut a: Vec<String>, server: &FakeServer, extra: &[&str]) -> Run {
    a.extend(args(&[
        "--endpoint",
        &format!("@mx:{}", server.addr.port()),
        "--ca-file",
        &ca_file(server).display().to_string(),
    ]));
    a.extend(args(extra));
    smtp_doctor(&a, None)
}

fn run_probe(stub: &DnsStub, server: &FakeServer, extra: &[&str]) -> Run {
    run_at_mx(probe_args(stub), server, extra)
}

/// `diagnose --probe --format json` asking the stub.
fn diagnose_args(stub: &DnsStub) -> Vec<String> {
    let mut a = probe_args(stub);
    a[0] = "diagnose".into();
    a.insert(1, "--probe".into());
    a
}

fn run_diagnose(stub: &DnsStub, server: &FakeServer, extra: &[&str]) -> Run {
    run_at_mx(diagnose_args(stub), server, extra)
}

#[test]
fn mx_spf_and_blocklist_facts() {
    let stub = contoso(vec![loopback("10.113.0.203.zen.spamhaus.org")]);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let run = run_probe(&stub, &server, &["--domain", "contoso.com", "--public-ip", PUBLIC_IP]);
    let f = facts(&run);
    assert_eq!(f["domain"], "contoso.com");
    assert_eq!(f["mx_host"], MX_HOST);
    assert_eq!(f["mx_is_exo"], true);
    // The @mx endpoint is the MX host, resolved through the same name server, with the role the KB's patterns give it.
    assert_eq!(f["endpoints"][0]["host"], MX_HOST);
    assert_eq!(f["endpoints"][0]["role"], "mx");
    assert_eq!(f["mx_reachable"], true);
    assert_eq!(f["spf_present"], true);
    assert_eq!(f["spf_record_count"], 1);
    assert_eq!(f["spf_includes_m365"], true);
    assert_eq!(f["spf_covers_ip"], false);
    assert_eq!(f["spf_lookup_count"], 1);
    assert_eq!(f["spf_too_many_lookups"], false);
    assert_eq!(f["spf_all"], "-all");
    assert_eq!(f["blocklisted"], true);
    assert_eq!(f["blocklists"], json!(["zen.spamhaus.org"]));
    assert_eq!(f["blocklist_results"].as_array().unwrap().len(), 3);
    assert_eq!(f["dns_server"], stub.addr.to_string());

    let d = run_diagnose(
        &stub,
        &server,
        &[
            "--domain",
            "contoso.com",
            "--public-ip",
            PUBLIC_IP,
            "--set",
            "device.connector_present=false",
        ],
    );
    assert_eq!(d.json()["method"]["id"], "method.direct-send");
    assert_first_cause(&d, "cause.ip-blocklisted");
    assert!(causes(&d).iter().take(3).any(|c| c == "cause.spf-missing-ip"), "{:?}", causes(&d));
}

#[test]
fn spf_that_covers_the_ip_and_no_listing() {
    let stub = DnsStub::start(vec![
        StubRecord::Mx("contoso.com".into(), 10, MX_HOST.into()),
        txt(
            "contoso.com",
            "v=spf1 include:devices.contoso.com include:spf.protection.outlook.com ~all",
        ),
        txt("devices.contoso.com", "v=spf1 ip4:203.0.113.0/24 -all"),
        txt("spf.protection.outlook.com", "v=spf1 ip4:40.92.0.0/15 -all"),
        loopback(MX_HOST),
    ]);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let run = run_probe(&stub, &server, &["--domain", "contoso.com", "--public-ip", PUBLIC_IP]);
    let f = facts(&run);
    assert_eq!(f["spf_covers_ip"], true);
    assert_eq!(f["spf_lookup_count"], 2);
    assert_eq!(f["spf_includes"], json!(["devices.contoso.com", "spf.protection.outlook.com"]));
    assert_eq!(f["spf_all"], "~all");
    assert_eq!(f["blocklisted"], false);
    assert_eq!(f["blocklists"], json!([]));
}

#[test]
fn two_spf_records_too_many_lookups_and_a_foreign_mx() {
    let mut records = vec![
        StubRecord::Mx("fabrikam.example".into(), 5, "mail.fabrikam.example".into()),
        txt("fabrikam.example", "v=spf1 -all"),
        loopback("mail.fabrikam.example"),
    ];
    let includes: Vec<String> = (0..11).map(|i| format!("include:s{}.fabrikam.example", i)).collect();
    records.push(txt("fabrikam.example", &format!("v=spf1 {} ~all", includes.join(" "))));
    for i in 0..11 {
        records.push(txt(&format!("s{}.fabrikam.example", i), "v=spf1 a mx -all"));
    }
    let stub = DnsStub::start(records);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let run = run_probe(&stub, &server, &["--domain", "fabrikam.example"]);
    let f = facts(&run);
    assert_eq!(f["mx_host"], "mail.fabrikam.example");
    assert_eq!(f["mx_is_exo"], false);
    assert_eq!(f["endpoints"][0]["role"], "other");
    assert_eq!(f["spf_record_count"], 2);
    assert_eq!(f["spf_includes_m365"], false);
    assert!(f.get("spf_covers_ip").is_none(), "no --public-ip: coverage is unknown, not false");
    // The first record found is the one evaluated; whichever it is, the facts are consistent.
    let lookups = f["spf_lookup_count"].as_u64().unwrap();
    assert_eq!(f["spf_too_many_lookups"], lookups > 10);
}

#[test]
fn nested_includes_are_counted_recursively() {
    let mut records = vec![txt("deep.example", "v=spf1 include:l0.deep.example -all")];
    for i in 0..12 {
        records.push(txt(
            &format!("l{}.deep.example", i),
            &format!("v=spf1 a include:l{}.deep.example -all", i + 1),
        ));
    }
    let stub = DnsStub::start(records);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let run = run_probe(&stub, &server, &["--domain", "deep.example"]);
    let f = facts(&run);
    assert!(f["spf_lookup_count"].as_u64().unwrap() > 10, "{}", f["spf_lookup_count"]);
    assert_eq!(f["spf_too_many_lookups"], true);
    assert_eq!(f["mx_error"], "no-records");
    assert_eq!(f["endpoints"][0]["connect"], "dns-failure", "no MX host, nothing to connect to");
}

#[test]
fn unknown_domain_and_unresolvable_endpoint() {
    let stub = contoso(vec![loopback("fake.contoso.test")]);
    let server = FakeServer::start(Scenario::by_name("ok").unwrap());
    let mut a = probe_args(&stub);
    a.extend(args(&[
        "--endpoint",
        &format!("fake.contoso.test:{}/submission", server.addr.port()),
    ]));
    a.extend(args(&["--endpoint", "missing.contoso.test:25", "--domain", "nosuch.example"]));
    a.extend(args(&["--ca-file", &ca_file(&server).display().to_string()]));
    let run = smtp_doctor(&a, None);
    let f = facts(&run);
    assert_eq!(f["mx_error"], "nxdomain");
    assert!(f.get("spf_present").is_none());
    assert_eq!(f["endpoints"][0]["connect"], "ok");
    assert_eq!(f["endpoints"][0]["resolved"], json!(["127.0.0.1"]));
    assert_eq!(f["endpoints"][1]["connect"], "dns-failure");
    assert_eq!(f["connect_errors"], json!(["dns-failure"]));
    assert_eq!(f["any_connected"], true);
}

#[test]
fn every_name_unresolvable_points_at_dns() {
    let stub = DnsStub::start(vec![]);
    let mut a = diagnose_args(&stub);
    a.extend(args(&["--endpoint", "smtp.contoso.test:587", "--endpoint", "mx.contoso.test:25"]));
    let d = smtp_doctor(&a, None);
    assert_eq!(d.json()["facts"]["probe"]["all_connect_failed"], true);
    assert_first_cause(&d, "cause.dns-failure");
}

#[test]
fn device_sending_to_an_mx_that_is_not_exchange_online() {
    // contoso.com's MX is a mail filter in front of Microsoft 365; the device is set to it.
    const FILTER: &str = "mx1.filter.example.net";
    let stub = DnsStub::start(vec![
        StubRecord::Mx("contoso.com".into(), 10, FILTER.into()),
        txt("contoso.com", "v=spf1 include:spf.protection.outlook.com -all"),
        loopback(FILTER),
    ]);
    let server = FakeServer::start(Scenario::by_name("direct-send").unwrap());
    let run = run_probe(&stub, &server, &["--domain", "contoso.com"]);
    let f = facts(&run);
    assert_eq!(f["mx_host"], FILTER);
    assert_eq!(f["mx_is_exo"], false);
    assert_eq!(f["endpoints"][0]["role"], "other");

    let device_server = format!("device.server={}", FILTER);
    let d = run_diagnose(&stub, &server, &["--domain", "contoso.com", "--set", &device_server]);
    assert_first_cause(&d, "cause.mx-not-exchange-online");
    // The fix names the MX found and asks Graph for the tenant's own endpoint.
    let text = d.stdout.clone();
    assert!(text.contains("fix.use-tenant-exo-endpoint"), "{}", text);
    assert!(
        text.contains("Get-MgDomainServiceConfigurationRecord -DomainId contoso.com"),
        "{}",
        text
    );
}

/// `a` and `mx` terms authorise the addresses of the names they point at (with
/// their prefix lengths); a `ptr` term, not evaluated, leaves coverage unknown
/// rather than "not covered". The public IPs are loopback addresses: the stub
/// serves no other, and they are only compared, never contacted.
#[test]
fn spf_a_and_mx_terms_and_unevaluated_ptr() {
    let records = |spf: &str| {
        vec![
            StubRecord::Mx("contoso.com".into(), 10, "mail.contoso.com".into()),
            txt("contoso.com", spf),
            txt("devices.contoso.com", "v=spf1 a:printers.contoso.com/24 -all"),
            StubRecord::Address("contoso.com".into(), "127.0.0.5".parse().unwrap()),
            StubRecord::Address("mail.contoso.com".into(), "127.0.0.6".parse().unwrap()),
            StubRecord::Address("printers.contoso.com".into(), "127.0.1.1".parse().unwrap()),
        ]
    };
    let spf_facts = |spf: &str, public_ip: &str| {
        let stub = DnsStub::start(records(spf));
        let mut a = probe_args(&stub);
        a.extend(args(&[
            "--domain",
            "contoso.com",
            "--public-ip",
            public_ip,
            "--endpoint",
            "127.0.0.1:1",
        ]));
        facts(&smtp_doctor(&a, None))
    };
    // The domain's own A record.
    assert_eq!(spf_facts("v=spf1 a -all", "127.0.0.5")["spf_covers_ip"], true);
    assert_eq!(spf_facts("v=spf1 a -all", "127.0.0.6")["spf_covers_ip"], false);
    // Its MX host's address.
    let f = spf_facts("v=spf1 mx -all", "127.0.0.6");
    assert_eq!(f["spf_covers_ip"], true);
    assert_eq!(f["spf_lookup_count"], 1);
    // A named host with a prefix, inside an include (the include's own terms).
    assert_eq!(
        spf_facts("v=spf1 include:devices.contoso.com -all", "127.0.1.200")["spf_covers_ip"],
        true
    );
    assert_eq!(
        spf_facts("v=spf1 include:devices.contoso.com -all", "127.0.2.1")["spf_covers_ip"],
        false
    );
    // A failing qualifier authorises nothing.
    assert_eq!(spf_facts("v=spf1 -a ~all", "127.0.0.5")["spf_covers_ip"], false);
    // `ptr` is not evaluated: unknown, so no rule can say the IP is missing.
    assert!(spf_facts("v=spf1 ptr -all", "127.0.0.9").get("spf_covers_ip").is_none());
    // `+all` passes everything.
    assert_eq!(spf_facts("v=spf1 +all", "127.0.0.9")["spf_covers_ip"], true);
}

/// Every `a`/`mx` look-up counts against the SPF walk's query budget: a record
/// that would take more queries than the budget leaves coverage unknown
/// instead of "not covered" (and the run still ends).
#[test]
fn spf_a_and_mx_terms_stay_within_the_query_budget() {
    // 12 `mx` terms, each one MX query plus three host look-ups: 48 queries.
    let spf = format!("v=spf1 {}-all", "mx:m.test ".repeat(12));
    let mut records = vec![txt("contoso.com", &spf)];
    for host in ["h1.test", "h2.test", "h3.test"] {
        records.push(StubRecord::Mx("m.test".into(), 10, host.into()));
    }
    let stub = DnsStub::start(records);
    let mut a = probe_args(&stub);
    a.extend(args(&[
        "--domain",
        "contoso.com",
        "--public-ip",
        "127.0.0.9",
        "--endpoint",
        "127.0.0.1:1",
    ]));
    let f = facts(&smtp_doctor(&a, None));
    assert_eq!(f["spf_lookup_count"], 12);
    assert!(f.get("spf_covers_ip").is_none(), "{}", f);
}
