//! `fake-m365 --scenario NAME [--listen 127.0.0.1:2525] [--ca-out FILE]`: runs
//! one scenario until killed, so real clients can talk to it (to make log
//! fixtures). `--list` names the scenarios. Loopback addresses only.

use fake_m365::{FakeServer, Scenario};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    if args.iter().any(|a| a == "--list") {
        for n in Scenario::names() {
            println!("{}", n);
        }
        return ExitCode::SUCCESS;
    }
    let Some(name) = value("--scenario") else {
        eprintln!("usage: fake-m365 --scenario NAME [--listen 127.0.0.1:2525] [--ca-out FILE] | --list");
        return ExitCode::from(2);
    };
    let Some(scenario) = Scenario::by_name(&name) else {
        eprintln!("fake-m365: no scenario `{}` (try --list)", name);
        return ExitCode::from(2);
    };
    let listen = value("--listen").unwrap_or_else(|| "127.0.0.1:2525".into());
    let addr: std::net::SocketAddr = match listen.parse() {
        Ok(a) if std::net::SocketAddr::ip(&a).is_loopback() => a,
        _ => {
            eprintln!("fake-m365: --listen must be a loopback address and port (127.0.0.1:2525 or [::1]:2525)");
            return ExitCode::from(2);
        }
    };
    let (user, password) = (scenario.user.clone(), scenario.password.clone());
    let server = FakeServer::start_on(addr, scenario);
    if let Some(path) = value("--ca-out") {
        if let Err(e) = std::fs::write(&path, server.ca_pem()) {
            eprintln!("fake-m365: {}: {}", path, e);
            return ExitCode::from(2);
        }
    }
    eprintln!(
        "fake-m365: scenario `{}` on {} (test sign-in: {} / {}); Ctrl-C stops it",
        name, server.addr, user, password
    );
    loop {
        std::thread::park();
    }
}
