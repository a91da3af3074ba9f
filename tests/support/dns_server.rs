//! A real authoritative DNS server on loopback for the domain-check tests: hickory-server in
//! this process, serving zone files given as text over UDP and TCP on an ephemeral port, a
//! zone signed with DNSSEC when asked (a fresh ECDSA P-256 key, its DNSKEY written as a trust
//! anchor file), and two faults: names answered with SERVFAIL, and names never answered (a
//! resolver timeout).
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_server::proto::dnssec::rdata::{DNSKEY, DNSSECRData};
use hickory_server::proto::dnssec::{Algorithm, DnssecSigner, SigningKey};
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};

/// One zone: its origin (`example.test`) and its records in zone-file format (`$ORIGIN` is
/// set to the origin; `@` works).
pub struct Zone {
    pub origin: String,
    pub text: String,
    /// Sign it (NSEC, RRSIGs on every RRset, the DNSKEY at the apex).
    pub signed: bool,
}

impl Zone {
    /// A zone with the usual SOA and NS, then `records`.
    pub fn new(origin: &str, records: &str) -> Zone {
        Zone {
            origin: origin.to_owned(),
            text: format!(
                "$TTL 300\n@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300\n@ IN NS ns.{origin}.\n{records}\n"
            ),
            signed: false,
        }
    }

    pub fn signed(mut self) -> Zone {
        self.signed = true;
        self
    }
}

/// Names whose queries fail.
#[derive(Default, Clone)]
pub struct Faults {
    /// Answered with SERVFAIL.
    pub servfail: Vec<String>,
    /// Never answered.
    pub silent: Vec<String>,
}

pub struct DnsServer {
    pub addr: SocketAddr,
    /// The DNSKEY records of the signed zones, in zone-file format (for `--trust-anchor`).
    pub trust_anchor: Option<PathBuf>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: TempDir,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "smtp-sansio-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Faulty {
    catalog: Catalog,
    servfail: Vec<LowerName>,
    silent: Vec<LowerName>,
}

fn names(list: &[String]) -> Vec<LowerName> {
    list.iter()
        .map(|n| LowerName::from(Name::from_ascii(format!("{n}.")).expect("a name")))
        .collect()
}

#[async_trait::async_trait]
impl RequestHandler for Faulty {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let asked = request.queries.queries().first().map(|q| q.name().clone());
        if let Some(asked) = &asked {
            if self.silent.iter().any(|n| n.zone_of(asked)) {
                // No answer at all: the resolver's timeout is the only way out.
                let mut metadata = request.metadata;
                metadata.response_code = ResponseCode::ServFail;
                return ResponseInfo::from(hickory_server::proto::op::Header {
                    metadata,
                    counts: Default::default(),
                });
            }
            if self.servfail.iter().any(|n| n.zone_of(asked)) {
                let response = MessageResponseBuilder::from_message_request(request)
                    .error_msg(&request.metadata, ResponseCode::ServFail);
                if let Ok(info) = response_handle.send_response(response).await {
                    return info;
                }
            }
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// Starts the server; it stops when the value is dropped.
pub fn serve(zones: Vec<Zone>, faults: Faults) -> DnsServer {
    let dir = TempDir::new("dns");
    let mut catalog = Catalog::new();
    let mut anchors = String::new();
    for zone in zones {
        let origin = Name::from_ascii(format!("{}.", zone.origin)).expect("origin");
        let (origin, records) = Parser::new(&zone.text, None, Some(origin))
            .parse()
            .unwrap_or_else(|e| panic!("zone {}: {e}", zone.origin));
        let mut handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
            origin.clone(),
            records,
            ZoneType::Primary,
            AxfrPolicy::Deny,
            Some(NxProofKind::Nsec),
        )
        .expect("zone");
        if zone.signed {
            let pkcs8 = EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256).expect("key");
            let key = EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256).expect("key");
            let public = key.to_public_key().expect("public key");
            let dnskey = DNSKEY::from_key(&public);
            let record = Record::from_rdata(
                origin.clone(),
                300,
                RData::DNSSEC(DNSSECRData::DNSKEY(dnskey.clone())),
            );
            anchors.push_str(&format!("{record}\n"));
            let signer = DnssecSigner::new(
                dnskey,
                Box::new(key),
                origin.clone(),
                Duration::from_secs(86400),
            );
            handler
                .add_zone_signing_key_mut(signer)
                .expect("signing key");
            handler.secure_zone_mut().expect("signed zone");
        }
        catalog.upsert(LowerName::from(origin), vec![Arc::new(handler)]);
    }
    let trust_anchor = (!anchors.is_empty()).then(|| {
        let path = dir.0.join("trust-anchor.txt");
        std::fs::write(&path, anchors).expect("trust anchor");
        path
    });
    let handler = Faulty {
        catalog,
        servfail: names(&faults.servfail),
        silent: names(&faults.silent),
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            // One port for UDP and TCP (the resolver retries over TCP on truncation).
            let (udp, tcp) = loop {
                let udp = tokio::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
                    .await
                    .expect("udp");
                let port = udp.local_addr().expect("addr").port();
                if let Ok(tcp) = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
                    break (udp, tcp);
                }
            };
            let addr = udp.local_addr().expect("addr");
            let mut server = Server::new(handler);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 65535);
            ready_tx.send(addr).expect("ready");
            let _ = stop_rx.await;
            let _ = server.shutdown_gracefully().await;
        });
    });
    let addr = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the DNS server starts");
    DnsServer {
        addr,
        trust_anchor,
        stop: Some(stop_tx),
        thread: Some(thread),
        _dir: dir,
    }
}
