//! A fake Microsoft 365 (Exchange Online) SMTP server and a DNS stub, on
//! loopback only, for smtp-doctor's probe tests and for anyone who wants a
//! real client to talk to something that answers like Exchange Online.
//!
//! `FakeServer::start(scenario)` listens on 127.0.0.1 (a free port) in its own
//! thread and runtime; each scenario decides every stage's reply. The server
//! certificate is made at start-up by a test CA (`ca_pem()` for `--ca-file`).
//! `DnsStub::start(records)` answers MX, TXT and A/AAAA questions.

mod certs;
mod dns_stub;
mod scenario;
mod smtp;

pub use certs::TestPki;
pub use dns_stub::{DnsStub, StubRecord};
pub use scenario::{Behaviour, CertKind, Kind, Scenario, Stage, TlsVersions, TAG};

use std::net::SocketAddr;
use std::sync::Arc;

/// A running fake server; dropping it stops it.
pub struct FakeServer {
    pub addr: SocketAddr,
    ca_pem: String,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeServer {
    /// Starts the scenario on 127.0.0.1 with a free port.
    pub fn start(scenario: Scenario) -> FakeServer {
        FakeServer::start_on("127.0.0.1:0".parse().expect("address"), scenario)
    }

    /// Starts the scenario on a given loopback address (the bin's `--listen`).
    pub fn start_on(addr: SocketAddr, scenario: Scenario) -> FakeServer {
        assert!(addr.ip().is_loopback(), "the fake server listens on loopback only, not {}", addr);
        let pki = TestPki::new(scenario.cert);
        let listener = std::net::TcpListener::bind(addr).expect("bind the fake server");
        let addr = listener.local_addr().expect("address");
        if scenario.behaviour == Behaviour::Closed {
            // Bound and released: the port is known and, for now, nobody listens on it.
            drop(listener);
            return FakeServer {
                addr,
                ca_pem: pki.ca_pem,
                _stop: None,
            };
        }
        listener.set_nonblocking(true).expect("non-blocking");
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config(scenario.tls_versions));
        let scenario = Arc::new(scenario);
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        got = listener.accept() => {
                            let Ok((stream, _)) = got else { continue };
                            let _ = stream.set_nodelay(true);
                            tokio::spawn(smtp::serve(Box::new(stream), scenario.clone(), acceptor.clone()));
                        }
                    }
                }
            });
        });
        FakeServer {
            addr,
            ca_pem: pki.ca_pem,
            _stop: Some(stop),
        }
    }

    /// The test CA's certificate (PEM), for `--ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}
