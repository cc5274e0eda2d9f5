//! A DNS stub on loopback UDP for the MX, SPF and blocklist tests: it answers
//! A, AAAA, MX and TXT questions from a fixed list of records, NOERROR with no
//! answer for a known name of another type, and NXDOMAIN otherwise.
//!
//! Address records must be loopback addresses (blocklist answers are in
//! 127.0.0.0/8 anyway): a test can never point a probe at another machine.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::net::{IpAddr, SocketAddr};

/// One record the stub serves.
#[derive(Debug, Clone)]
pub enum StubRecord {
    /// Name and a loopback address.
    Address(String, IpAddr),
    Mx(String, u16, String),
    Txt(String, String),
}

impl StubRecord {
    fn name(&self) -> &str {
        match self {
            StubRecord::Address(n, _) | StubRecord::Mx(n, _, _) | StubRecord::Txt(n, _) => n,
        }
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Builds the answer to one query datagram; `None` for what is not a query.
pub fn answer(records: &[StubRecord], query: &[u8]) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    if q.metadata.message_type != MessageType::Query {
        return None;
    }
    let question = q.queries.first()?.clone();
    let qname = question.name().to_ascii();
    let qtype = question.query_type();
    let mut resp = Message::response(q.metadata.id, q.metadata.op_code);
    resp.metadata.recursion_desired = q.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.metadata.authoritative = true;
    resp.add_query(question.clone());
    let known: Vec<&StubRecord> = records.iter().filter(|r| same_name(r.name(), &qname)).collect();
    if known.is_empty() {
        resp.metadata.response_code = ResponseCode::NXDomain;
    }
    let name = Name::from_ascii(&qname).ok()?;
    for r in known {
        let data = match (r, qtype) {
            (StubRecord::Address(_, IpAddr::V4(ip)), RecordType::A) => RData::A(A(*ip)),
            (StubRecord::Address(_, IpAddr::V6(ip)), RecordType::AAAA) => RData::AAAA(AAAA(*ip)),
            (StubRecord::Mx(_, pref, host), RecordType::MX) => RData::MX(MX::new(*pref, Name::from_ascii(format!("{}.", host)).ok()?)),
            (StubRecord::Txt(_, text), RecordType::TXT) => {
                // TXT strings are at most 255 bytes each; long SPF records are split as DNS servers split them.
                let chunks: Vec<String> = text
                    .as_bytes()
                    .chunks(255)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                RData::TXT(TXT::new(chunks))
            }
            _ => continue,
        };
        resp.add_answer(Record::from_rdata(name.clone(), 60, data));
    }
    resp.to_vec().ok()
}

/// A running stub; dropping it stops the server.
pub struct DnsStub {
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl DnsStub {
    /// Starts the stub on 127.0.0.1 (a free port) in its own thread.
    pub fn start(records: Vec<StubRecord>) -> DnsStub {
        for r in &records {
            if let StubRecord::Address(n, ip) = r {
                assert!(ip.is_loopback(), "{} -> {}: the stub serves loopback addresses only", n, ip);
            }
        }
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind the DNS stub");
        socket.set_nonblocking(true).expect("non-blocking");
        let addr = socket.local_addr().expect("address");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let socket = tokio::net::UdpSocket::from_std(socket).expect("tokio socket");
                let mut buf = [0u8; 1500];
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        got = socket.recv_from(&mut buf) => {
                            let Ok((n, from)) = got else { continue };
                            if let Some(out) = answer(&records, &buf[..n]) {
                                let _ = socket.send_to(&out, from).await;
                            }
                        }
                    }
                }
            });
        });
        DnsStub { addr, _stop: stop }
    }
}
