//! `check --domain`: the IO around the library's sans-IO `DomainCheck`. DNS goes through
//! hickory-resolver (the system's configuration or `--resolver`), every query the machine
//! offers in flight at once; the MTA-STS policy comes over HTTPS with hyper's HTTP/1 client on a
//! tokio-rustls stream to the address DNS gave; each chosen server is checked over SMTP with
//! the blocking adapter, its certificate verified for the MX host name.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::client::{Client, ClientHandle};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::udp::UdpClientStream;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use smtp_sansio::records::dane::TlsaRecord;
use smtp_sansio::records::domain::{DomainCheck, PolicyRequest};
use smtp_sansio::records::mta_sts::PolicyFetch;
use smtp_sansio::records::{Answer, Lookups, Query, QueryKind, Rdata};
use tokio::task::JoinSet;

/// How the example resolves.
pub struct DnsSettings {
    /// `--resolver IP[:PORT]`; the system's configuration when `None`.
    pub server: Option<SocketAddr>,
    /// `--trust-anchor FILE`: DNSKEY records for DNSSEC validation of TLSA answers, instead of
    /// the root's keys compiled into hickory.
    pub trust_anchor: Option<PathBuf>,
    /// Per query attempt.
    pub timeout: Duration,
}

/// The failure of a lookup, as words for the `dns_failure` diagnosis.
type Failure = String;

/// Two resolvers over the same servers: a plain one for every query, and one that validates
/// DNSSEC for the TLSA queries (only DANE cares whether an answer is authenticated).
///
/// With `--resolver`, PTR queries go to that server as asked, like `dig @server`: a stub
/// resolver answers the reverse names of 127.0.0.0/8 and ::1 itself (RFC 6761 s6.3, and
/// hickory-resolver does), but a checker asked what a server publishes must ask it.
#[derive(Clone)]
pub struct Dns {
    plain: TokioResolver,
    validating: TokioResolver,
    direct: Option<Client<TokioRuntimeProvider>>,
    timeout: Duration,
}

impl Dns {
    pub fn new(settings: &DnsSettings) -> Result<Dns, String> {
        let build = |validate: bool| -> Result<TokioResolver, String> {
            let mut builder = match settings.server {
                Some(server) => {
                    let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                    for connection in &mut name_server.connections {
                        connection.port = server.port();
                    }
                    let config = ResolverConfig::from_name_servers(vec![name_server]);
                    let mut builder =
                        Resolver::builder_with_config(config, TokioRuntimeProvider::default());
                    *builder.options_mut() = ResolverOpts::default();
                    builder
                }
                None => TokioResolver::builder_tokio()
                    .map_err(|error| format!("the system's DNS configuration: {error}"))?,
            };
            let options = builder.options_mut();
            options.timeout = settings.timeout;
            options.attempts = 2;
            options.ndots = 0;
            // The domain's published DNS, not this machine's /etc/hosts.
            options.use_hosts_file = ResolveHosts::Never;
            options.validate = validate;
            if validate && let Some(path) = &settings.trust_anchor {
                // Loaded here: the builder reads no `ResolverOpts::trust_anchor` file itself.
                let anchors = TrustAnchors::from_file(path)
                    .map_err(|error| format!("--trust-anchor {}: {error}", path.display()))?;
                builder = builder.with_trust_anchor(Arc::new(anchors));
            }
            builder
                .build()
                .map_err(|error| format!("DNS resolver: {error}"))
        };
        let direct = match settings.server {
            Some(server) => {
                let stream = UdpClientStream::builder(server, TokioRuntimeProvider::default())
                    .with_timeout(Some(settings.timeout))
                    .build();
                let (client, background) = Client::<TokioRuntimeProvider>::from_sender(stream);
                tokio::spawn(background);
                Some(client)
            }
            None => None,
        };
        Ok(Dns {
            plain: build(false)?,
            validating: build(true)?,
            direct,
            timeout: settings.timeout,
        })
    }

    /// Answers one query of the machine.
    async fn answer(&self, query: &Query) -> Result<Answer, Failure> {
        let name = Name::from_ascii(format!("{}.", query.name))
            .map_err(|error| format!("{:?} is not a DNS name: {error}", query.name))?;
        let kind = record_type(query.kind);
        if let (QueryKind::Ptr, Some(client)) = (query.kind, &self.direct) {
            let response = client
                .clone()
                .query(name, DNSClass::IN, kind)
                .await
                .map_err(|error| self.failure(&error))?;
            return match response.response_code {
                ResponseCode::NoError => Ok(Answer::records(
                    response
                        .answers
                        .iter()
                        .filter(|r| r.record_type() == kind)
                        .filter_map(|r| rdata(&r.data))
                        .collect(),
                )),
                ResponseCode::NXDomain => Ok(Answer::NxDomain),
                code => Err(rcode(code)),
            };
        }
        if query.kind == QueryKind::Tlsa {
            match self.validating.lookup(name.clone(), kind).await {
                Ok(lookup) => {
                    let records: Vec<&hickory_resolver::proto::rr::Record> = lookup
                        .answers()
                        .iter()
                        .filter(|r| r.record_type() == kind)
                        .collect();
                    let authenticated =
                        !records.is_empty() && records.iter().all(|r| r.proof == Proof::Secure);
                    let rdata: Vec<Rdata> = records.iter().filter_map(|r| rdata(&r.data)).collect();
                    return Ok(if authenticated {
                        Answer::authenticated(rdata)
                    } else {
                        Answer::records(rdata)
                    });
                }
                Err(error) => {
                    if let Some(answer) = negative(&error) {
                        return Ok(answer);
                    }
                    // Not validated (no chain of trust from the anchors, a bogus answer):
                    // the records as the plain resolver sees them, not authenticated.
                }
            }
        }
        match self.plain.lookup(name, kind).await {
            Ok(lookup) => Ok(Answer::records(
                lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == kind)
                    .filter_map(|r| rdata(&r.data))
                    .collect(),
            )),
            Err(error) => negative(&error).ok_or_else(|| self.failure(&error)),
        }
    }

    fn failure(&self, error: &NetError) -> Failure {
        match error {
            NetError::Timeout => {
                format!("no answer in {} s, 2 attempts", self.timeout.as_secs_f64())
            }
            NetError::Dns(DnsError::ResponseCode(code)) => rcode(*code),
            NetError::Dns(DnsError::DnssecBogus) => "DNSSEC validation failed".to_owned(),
            other => other.to_string(),
        }
    }
}

/// A response code as DNS tools print it (RFC 1035 s4.1.1, RFC 6895 s2.3).
fn rcode(code: ResponseCode) -> String {
    match code {
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        other => other.to_str().to_owned(),
    }
}

/// NXDOMAIN and "no records of this type" as answers; `None` for a failure.
fn negative(error: &NetError) -> Option<Answer> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(no)) => Some(match no.response_code {
            ResponseCode::NXDomain => Answer::NxDomain,
            _ => Answer::NoData,
        }),
        NetError::Dns(DnsError::Nsec { response, .. }) => {
            Some(if response.response_code == ResponseCode::NXDomain {
                Answer::NxDomain
            } else {
                Answer::NoData
            })
        }
        _ => None,
    }
}

fn record_type(kind: QueryKind) -> RecordType {
    match kind {
        QueryKind::A => RecordType::A,
        QueryKind::Aaaa => RecordType::AAAA,
        QueryKind::Mx => RecordType::MX,
        QueryKind::Txt => RecordType::TXT,
        QueryKind::Ptr => RecordType::PTR,
        QueryKind::Tlsa => RecordType::TLSA,
        QueryKind::Cname => RecordType::CNAME,
        _ => RecordType::NULL,
    }
}

fn rdata(data: &RData) -> Option<Rdata> {
    let name = |name: &Name| name.to_ascii().trim_end_matches('.').to_owned();
    Some(match data {
        RData::A(a) => Rdata::A(a.0),
        RData::AAAA(aaaa) => Rdata::Aaaa(aaaa.0),
        RData::MX(mx) => Rdata::Mx {
            preference: mx.preference,
            exchange: if mx.exchange.is_root() {
                ".".to_owned()
            } else {
                name(&mx.exchange)
            },
        },
        RData::TXT(txt) => Rdata::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::PTR(ptr) => Rdata::Ptr(name(&ptr.0)),
        RData::CNAME(cname) => Rdata::Cname(name(&cname.0)),
        RData::TLSA(tlsa) => Rdata::Tlsa(TlsaRecord {
            usage: u8::from(tlsa.cert_usage),
            selector: u8::from(tlsa.selector),
            matching: u8::from(tlsa.matching),
            data: tlsa.cert_data.clone(),
        }),
        _ => return None,
    })
}

/// Runs the machine's DNS to the end: every query it offers is in flight at once, and each
/// answer goes back as it comes (so the queries it unlocks start at once too).
pub async fn resolve(check: &mut DomainCheck, dns: &Dns) {
    let mut flight = JoinSet::new();
    loop {
        while let Some(query) = check.poll_query() {
            let dns = dns.clone();
            flight.spawn(async move {
                let answer = dns.answer(&query).await;
                (query.id, answer)
            });
        }
        let Some(done) = flight.join_next().await else {
            break;
        };
        let Ok((id, answer)) = done else {
            continue;
        };
        let _ = match answer {
            Ok(answer) => check.answer(id, answer),
            Err(reason) => check.answer_failed(id, &reason),
        };
    }
}

/// The largest policy file read (RFC 8461 sets no limit; real ones are a few hundred octets).
const POLICY_LIMIT: usize = 64 * 1024;

/// Fetches the MTA-STS policy over HTTPS (RFC 8461 s3.3): from the addresses DNS gave for
/// `mta-sts.<domain>`, certificate verified for that name, no redirects followed, status 200
/// and `text/plain` required, within `timeout`.
pub async fn fetch_policy(
    request: &PolicyRequest,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> PolicyFetch {
    match tokio::time::timeout(timeout, fetch(request, port, tls)).await {
        Ok(Ok(body)) => PolicyFetch::Fetched(body),
        Ok(Err(reason)) => PolicyFetch::Failed(reason),
        Err(_) => PolicyFetch::Failed(format!(
            "no complete answer within {} s",
            timeout.as_secs_f64()
        )),
    }
}

async fn fetch(
    request: &PolicyRequest,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
) -> Result<String, String> {
    use http_body_util::{BodyExt, Empty, Limited};
    use hyper::body::Bytes;

    if request.addresses.is_empty() {
        return Err(format!("{} has no address", request.host));
    }
    let mut last = String::new();
    let mut tcp = None;
    for address in &request.addresses {
        match tokio::net::TcpStream::connect(SocketAddr::new(*address, port)).await {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(error) => last = format!("{address} port {port}: {error}"),
        }
    }
    let tcp = tcp.ok_or(last)?;
    let server_name = rustls::pki_types::ServerName::try_from(request.host.clone())
        .map_err(|error| format!("{}: {error}", request.host))?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(server_name, tcp)
        .await
        .map_err(|error| format!("TLS: {error}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP: {error}"))?;
    tokio::spawn(connection);
    let http_request = hyper::Request::get("/.well-known/mta-sts.txt")
        .header(hyper::header::HOST, &request.host)
        .header(hyper::header::USER_AGENT, "smtp-sansio check")
        .body(Empty::<Bytes>::new())
        .map_err(|error| format!("HTTP request: {error}"))?;
    let response = sender
        .send_request(http_request)
        .await
        .map_err(|error| format!("HTTP: {error}"))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "HTTP status {status}: redirects are not followed (RFC 8461 s3.3)"
        ));
    }
    if status != hyper::StatusCode::OK {
        return Err(format!("HTTP status {status}"));
    }
    let media_type = response
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !media_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
    {
        return Err(format!(
            "served as {:?}, not text/plain (RFC 8461 s3.3)",
            media_type
        ));
    }
    let body = Limited::new(response.into_body(), POLICY_LIMIT)
        .collect()
        .await
        .map_err(|error| format!("HTTP body: {error}"))?
        .to_bytes();
    String::from_utf8(body.to_vec()).map_err(|_| "the policy is not UTF-8".to_owned())
}

/// A rustls client configuration for the policy fetch: the WebPKI roots and the `--ca`
/// certificates, as the SMTP sessions trust.
pub fn https_config(ca: Option<&str>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca {
        for cert in CertificateDer::pem_file_iter(path).map_err(|error| format!("--ca {error}"))? {
            let cert = cert.map_err(|error| format!("--ca {error}"))?;
            roots
                .add(cert)
                .map_err(|error| format!("--ca: unusable certificate: {error}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// An address for `--resolver`: `IP`, `IP:PORT` or `[IPv6]:PORT`, port 53 by default.
pub fn resolver_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    text.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("--resolver {text:?}: give IP or IP:PORT"))
}
