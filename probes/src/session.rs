//! One endpoint's probe, step by step: resolve, connect, (implicit TLS,)
//! banner, EHLO, STARTTLS, TLS handshake, EHLO again, then the steps in
//! `dialogue.rs` (AUTH, envelope, DATA) and QUIT.
//!
//! Every step runs under the step timeout and records its time; every reply
//! goes through the bounded reader and then the engine's reply parser, tagged
//! with its protocol stage. A step that fails ends the session with the reason
//! recorded (`stopped_at`), and the partial report is published after each step
//! so the run's overall bound can still report what was learned.

use crate::config::{Endpoint, ProbeConfig, Role, MX_PLACEHOLDER};
use crate::dns::Dns;
use crate::reader::{read_reply, RawReply, ReadError};
use crate::report::{EndpointReport, StepRecord, TranscriptLine};
use crate::tls;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A socket, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
pub type Conn = BufReader<Box<dyn Io>>;

/// Called with (endpoint, step) as each step starts.
pub type ProgressFn = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// What every session shares.
pub struct Shared {
    pub config: ProbeConfig,
    pub dns: Dns,
    pub roots: Arc<rustls::RootCertStore>,
    /// The MX host of `--domain`, for `@mx` endpoints.
    pub mx_host: Option<String>,
    pub progress: Option<ProgressFn>,
}

/// A session in progress: the report and where to publish it.
pub struct Session<'a> {
    pub shared: &'a Shared,
    pub rep: EndpointReport,
    slot: Arc<Mutex<EndpointReport>>,
    start: Instant,
}

/// Why a session ended before QUIT (the step that failed was recorded already).
pub struct Stop;

impl<'a> Session<'a> {
    pub fn new(shared: &'a Shared, ep: &Endpoint, slot: Arc<Mutex<EndpointReport>>) -> Session<'a> {
        let host = if ep.host == MX_PLACEHOLDER {
            shared.mx_host.clone().unwrap_or_else(|| MX_PLACEHOLDER.into())
        } else {
            ep.host.clone()
        };
        let role = ep.role.unwrap_or_else(|| Role::of_host(&host, &shared.config.kb));
        let resolved_ep = Endpoint {
            host: host.clone(),
            ..ep.clone()
        };
        let rep = EndpointReport {
            endpoint: resolved_ep.label(),
            host,
            port: ep.port,
            role: role.as_str().into(),
            implicit_tls: ep.implicit_tls,
            ..EndpointReport::default()
        };
        *slot.lock().expect("slot") = rep.clone();
        Session {
            shared,
            rep,
            slot,
            start: Instant::now(),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.shared.config.step_timeout
    }

    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    pub fn note(&mut self, dir: &'static str, text: &str) {
        let ms = self.ms();
        self.rep.transcript.push(TranscriptLine {
            ms,
            dir,
            text: text.to_string(),
        });
    }

    pub fn begin(&self, step: &str) -> Instant {
        if let Some(p) = &self.shared.progress {
            p(&self.rep.endpoint, step);
        }
        Instant::now()
    }

    pub fn end(&mut self, step: &str, started: Instant, ok: bool, detail: impl Into<String>) {
        self.rep.steps.push(StepRecord {
            step: step.into(),
            ok,
            ms: started.elapsed().as_millis() as u64,
            detail: detail.into(),
        });
        self.rep.total_ms = self.ms();
        if !ok && self.rep.stopped_at.is_none() {
            self.rep.stopped_at = Some(step.into());
        }
        *self.slot.lock().expect("slot") = self.rep.clone();
    }

    /// Records a reply: transcript lines, and the parsed reply with its stage.
    fn record_reply(&mut self, reply: &RawReply, stage: &str) {
        for l in &reply.lines {
            self.note("S", l);
        }
        let line = self.rep.transcript.len();
        let file = format!("probe {}", self.rep.endpoint);
        let parsed = smtp_doctor_engine::reply::parse_reply(&reply.wire_text());
        if parsed.is_empty() {
            let r = smtp_doctor_engine::reply::Reply {
                code: Some(reply.code),
                enhanced: None,
                text: reply.line_texts().collect::<Vec<_>>().join("\n"),
                line: 1,
                nested: false,
            };
            self.rep
                .replies
                .push(smtp_doctor_engine::inputs::reply_fact(&r, stage, "probe", &file, line));
        }
        for r in parsed {
            self.rep
                .replies
                .push(smtp_doctor_engine::inputs::reply_fact(&r, stage, "probe", &file, line));
        }
    }

    /// Reads one reply for `step` at protocol `stage`; a failure ends the step and the session.
    pub async fn read(&mut self, conn: &mut Conn, step: &str, stage: &str, started: Instant) -> Result<RawReply, Stop> {
        let limits = self.shared.config.limits;
        match read_reply(conn, &limits, self.timeout()).await {
            Ok(r) => {
                self.record_reply(&r, stage);
                Ok(r)
            }
            Err(e) => {
                let text = e.describe(&limits, self.timeout());
                self.note("*", &text);
                self.rep.read_error = Some(e.kind().into());
                let kind = match e {
                    ReadError::Closed { .. } => "connection-closed",
                    ReadError::Timeout => "timeout",
                    _ => e.kind(),
                };
                self.rep.client_error(kind, &text);
                self.end(step, started, false, text);
                Err(Stop)
            }
        }
    }

    /// Sends one command line; `shown` is what the transcript gets instead (redaction).
    pub async fn send(&mut self, conn: &mut Conn, line: &str, shown: Option<&str>, step: &str, started: Instant) -> Result<(), Stop> {
        self.note("C", shown.unwrap_or(line));
        let data = format!("{}\r\n", line);
        let res = tokio::time::timeout(self.timeout(), async {
            conn.write_all(data.as_bytes()).await?;
            conn.flush().await
        })
        .await;
        match res {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let text = format!("cannot send to the server: {}", e);
                self.rep.client_error("connection-closed", &text);
                self.end(step, started, false, text);
                Err(Stop)
            }
            Err(_) => {
                self.rep.client_error("timeout", "timed out sending to the server");
                self.end(step, started, false, "timed out sending");
                Err(Stop)
            }
        }
    }

    /// Sends a command and reads its reply.
    pub async fn command(
        &mut self,
        conn: &mut Conn,
        line: &str,
        shown: Option<&str>,
        step: &str,
        stage: &str,
    ) -> Result<(RawReply, Instant), Stop> {
        let started = self.begin(step);
        self.send(conn, line, shown, step, started).await?;
        let r = self.read(conn, step, stage, started).await?;
        Ok((r, started))
    }

    /// DNS and TCP connect. Tries each address in turn until one answers.
    pub async fn connect(&mut self) -> Result<TcpStream, Stop> {
        let started = self.begin("dns");
        if self.rep.host == MX_PLACEHOLDER {
            self.rep.connect = Some("dns-failure".into());
            let text = "no MX host to probe: the domain's MX look-up gave none";
            self.rep.client_error("dns", text);
            self.end("dns", started, false, text);
            return Err(Stop);
        }
        let addrs = match self.shared.dns.addresses(&self.rep.host).await {
            Ok(a) => a,
            Err(e) => {
                let text = format!("could not resolve host {}", e.describe(&self.rep.host));
                self.rep.connect = Some("dns-failure".into());
                self.rep.connect_error = Some(text.clone());
                self.rep.client_error("dns", &text);
                self.end("dns", started, false, text);
                return Err(Stop);
            }
        };
        self.rep.resolved = addrs.iter().map(|a| a.to_string()).collect();
        let detail = self.rep.resolved.join(", ");
        self.end("dns", started, true, detail);

        let started = self.begin("connect");
        let mut first_failure: Option<(&'static str, String)> = None;
        for ip in addrs.iter().take(4) {
            let addr = std::net::SocketAddr::new(*ip, self.rep.port);
            let failure = match tokio::time::timeout(self.timeout(), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    // Commands are single small writes; waiting to coalesce them only adds latency.
                    let _ = s.set_nodelay(true);
                    self.rep.address = Some(addr.to_string());
                    self.rep.connect = Some("ok".into());
                    self.note("*", &format!("connected to {}", addr));
                    self.end("connect", started, true, format!("connected to {}", addr));
                    return Ok(s);
                }
                Ok(Err(e)) => match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => ("refused", format!("connect to {}: connection refused", addr)),
                    std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable => {
                        ("unreachable", format!("connect to {}: network is unreachable ({})", addr, e))
                    }
                    std::io::ErrorKind::TimedOut => ("timeout", format!("connect to {}: connection timed out", addr)),
                    _ => ("error", format!("connect to {}: {}", addr, e)),
                },
                Err(_) => (
                    "timeout",
                    format!("connect to {}: connection timed out after {} ms", addr, self.timeout().as_millis()),
                ),
            };
            self.note("*", &failure.1);
            first_failure.get_or_insert(failure);
        }
        let (kind, text) = first_failure.unwrap_or(("error", "no address to connect to".into()));
        self.rep.connect = Some(kind.into());
        self.rep.connect_error = Some(text.clone());
        let error_kind = match kind {
            "refused" => "connection-refused",
            "timeout" => "timeout",
            "unreachable" => "network-unreachable",
            _ => "connection-error",
        };
        self.rep.client_error(error_kind, &text);
        self.end("connect", started, false, text);
        Err(Stop)
    }

    /// The TLS handshake over `io`; records version, cipher and certificate.
    pub async fn handshake(&mut self, io: Box<dyn Io>, step: &str) -> Result<Conn, Stop> {
        let started = self.begin(step);
        let insecure = self.shared.config.trust == tls::Trust::Insecure;
        let (config, record) = match tls::client_config(&self.shared.roots, insecure) {
            Ok(c) => c,
            Err(e) => {
                self.end(step, started, false, e);
                return Err(Stop);
            }
        };
        let name = match tls::server_name(&self.rep.host) {
            Ok(n) => n,
            Err(e) => {
                self.end(step, started, false, e);
                return Err(Stop);
            }
        };
        let connector = tokio_rustls::TlsConnector::from(config);
        let result = tokio::time::timeout(self.timeout(), connector.connect(name, io)).await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let cert = tls::cert_facts(&record.lock().expect("cert record"), now);
        self.rep.cert_valid = cert.valid;
        self.rep.cert_error = cert.error.clone();
        if let Some(leaf) = cert.chain.first() {
            self.rep.cert_subject = leaf.subject_cn.clone();
            self.rep.cert_issuer = leaf.issuer_cn.clone();
            self.rep.cert_names = leaf.dns_names.clone();
            self.rep.cert_not_after = leaf.not_after.clone();
        }
        self.rep.cert_days_left = cert.days_left;
        self.rep.cert_chain_length = cert.chain.len();
        if let (Some(kind), Some(text)) = (&cert.error, &cert.error_text) {
            self.note("*", &format!("certificate: {} ({})", kind, text));
            if insecure {
                self.note("*", "--insecure: going on despite the certificate error");
            }
        }
        match result {
            Ok(Ok(stream)) => {
                let (_, conn) = stream.get_ref();
                let version = conn.protocol_version().map(tls::version_label).unwrap_or_default();
                let cipher = conn
                    .negotiated_cipher_suite()
                    .map(|c| format!("{:?}", c.suite()))
                    .unwrap_or_default();
                self.note("*", &format!("TLS established: {} {}", version, cipher));
                self.rep.tls_established = Some(true);
                self.rep.tls_version = Some(version.clone());
                self.rep.tls_cipher = Some(cipher.clone());
                self.end(step, started, true, format!("{} {}", version, cipher));
                Ok(BufReader::new(Box::new(stream) as Box<dyn Io>))
            }
            Ok(Err(e)) => {
                let kind = tls::handshake_error_kind(&e);
                let text = format!("TLS handshake failed: {}", e);
                self.note("*", &text);
                self.rep.tls_established = Some(false);
                self.rep.tls_error = Some(kind.into());
                self.rep.tls_error_text = Some(e.to_string());
                self.rep.client_error(kind, &text);
                self.end(step, started, false, text);
                Err(Stop)
            }
            Err(_) => {
                let text = format!("TLS handshake timed out after {} ms", self.timeout().as_millis());
                self.note("*", &text);
                self.rep.tls_established = Some(false);
                self.rep.tls_error = Some("timeout".into());
                self.rep.client_error("timeout", &text);
                self.end(step, started, false, text);
                Err(Stop)
            }
        }
    }
}
