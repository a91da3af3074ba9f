//! [`Config`]: how a [`Client`](super::Client) behaves. Every setting has a default that is
//! safe on the public internet; the setters say what changes.

use std::time::Duration;

use crate::address::Host;
use crate::auth::{Credentials, Mechanism, SaslOptions};
use crate::reply::ReplyLimits;

/// Whether and how the session is encrypted (RFC 3207, RFC 8314).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// Never use TLS. Only for loopback testing or servers without TLS.
    None,
    /// Use STARTTLS when the server offers it; go on in plaintext when it does not or when it
    /// refuses. Credentials are still never sent in plaintext unless
    /// [`Config::dangerous_allow_plaintext_auth`] says so.
    Opportunistic,
    /// STARTTLS is mandatory: when it is not offered or fails, the session ends with a
    /// diagnosis before anything else is sent. Never downgrades. The default.
    #[default]
    Required,
    /// The connection is already encrypted (TLS on connect, port 465; RFC 8314 s3).
    Implicit,
}

/// Whether commands are pipelined (RFC 2920).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pipelining {
    /// Pipeline when the server advertises PIPELINING. The default.
    #[default]
    Auto,
    /// Send one command at a time, whatever the server offers.
    Off,
}

/// Who sends EHLO and STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Handshake {
    /// The engine answers the greeting with EHLO (HELO if EHLO is refused), runs STARTTLS as
    /// the [`TlsPolicy`] says, sends EHLO again after TLS, then emits
    /// [`Event::Ready`](super::Event::Ready). The default.
    #[default]
    Automatic,
    /// The caller sends EHLO/HELO/LHLO and STARTTLS itself, step by step (the server check
    /// does this to time and report each step). The TLS policy is still enforced.
    Manual,
}

/// The reply timeouts of RFC 5321 s4.5.3.2, each settable.
///
/// A reply timeout runs from the moment the caller reported the command's last octet written
/// ([`Client::consume_output`](super::Client::consume_output)) or the previous reply arrived,
/// whichever is later. While output waits to be written, [`Timeouts::data_block`] bounds each
/// stretch without progress instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Waiting for the greeting: 5 minutes (s4.5.3.2.1).
    pub greeting: Duration,
    /// Waiting for the reply to MAIL: 5 minutes (s4.5.3.2.2).
    pub mail: Duration,
    /// Waiting for the reply to RCPT: 5 minutes (s4.5.3.2.3).
    pub rcpt: Duration,
    /// Waiting for the `354` to DATA: 2 minutes (s4.5.3.2.4).
    pub data_initiation: Duration,
    /// Output handed out and not yet written, per stretch without progress: 3 minutes
    /// (s4.5.3.2.5, the data-block timeout; it also bounds command lines a server stops
    /// reading).
    pub data_block: Duration,
    /// Waiting for the reply after the final dot: 10 minutes (s4.5.3.2.6).
    pub data_termination: Duration,
    /// Any other command (EHLO, STARTTLS, AUTH, RSET, NOOP, VRFY, QUIT, BDAT): 5 minutes,
    /// the RFC's figure for commands it names.
    pub other: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            greeting: Duration::from_secs(5 * 60),
            mail: Duration::from_secs(5 * 60),
            rcpt: Duration::from_secs(5 * 60),
            data_initiation: Duration::from_secs(2 * 60),
            data_block: Duration::from_secs(3 * 60),
            data_termination: Duration::from_secs(10 * 60),
            other: Duration::from_secs(5 * 60),
        }
    }
}

impl Timeouts {
    /// Every timeout set to `duration` (handy for interactive tools and tests).
    pub fn uniform(duration: Duration) -> Timeouts {
        Timeouts {
            greeting: duration,
            mail: duration,
            rcpt: duration,
            data_initiation: duration,
            data_block: duration,
            data_termination: duration,
            other: duration,
        }
    }
}

/// How a [`Client`](super::Client) behaves.
///
/// ```
/// use smtp_sansio::{Config, TlsPolicy, address::Host};
/// let config = Config::new(Host::parse("client.example.org")?).with_tls(TlsPolicy::Implicit);
/// # Ok::<(), smtp_sansio::address::AddressError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The name sent with EHLO/HELO/LHLO: a fully qualified domain name, or an address literal
    /// such as `[192.0.2.1]` when the client has none (RFC 5321 s4.1.4).
    pub client_name: Host,
    /// Whether and how to encrypt. Default: [`TlsPolicy::Required`].
    pub tls: TlsPolicy,
    /// Allow mechanisms that send a reusable secret (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)
    /// without TLS. Default `false`: such AUTH is refused with a diagnosis.
    pub dangerous_allow_plaintext_auth: bool,
    /// Whether to pipeline. Default: [`Pipelining::Auto`].
    pub pipelining: Pipelining,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO, one reply per recipient after the data.
    pub lmtp: bool,
    /// Who sends EHLO and STARTTLS. Default: [`Handshake::Automatic`].
    pub handshake: Handshake,
    /// Bounds on each server reply.
    pub reply_limits: ReplyLimits,
    /// Reply timeouts.
    pub timeouts: Timeouts,
    /// Most commands queued or awaiting a reply at once (memory bound). Default 1024.
    pub max_outstanding_commands: usize,
    /// Most messages handed to [`Client::send_mail`](super::Client::send_mail) and not yet
    /// finished (memory bound: the engine keeps each one's envelope and encoded content until
    /// it is sent). Default 100.
    pub max_queued_messages: usize,
    /// Log in with these once the session is ready (after STARTTLS in automatic mode), before
    /// any queued message. Default: none. AUTH is never sent without TLS unless
    /// [`Config::dangerous_allow_plaintext_auth`] says so.
    pub credentials: Option<Credentials>,
    /// The SASL mechanism for [`Config::credentials`]; `None` (the default): the best one both
    /// sides support.
    pub auth_mechanism: Option<Mechanism>,
    /// SASL options for [`Config::credentials`]: an authorization identity, or the client
    /// nonce SCRAM needs (the engine has no randomness of its own; without a nonce the
    /// automatic choice skips SCRAM).
    pub sasl_options: SaslOptions,
    /// Declare the message's size (`SIZE=`, RFC 1870) on MAIL for messages queued with
    /// `send_mail`, when the server offers SIZE: an oversized message is then refused before
    /// it is sent. Default `true`; without it the server's limit applies after the data.
    pub declare_size: bool,
}

impl Config {
    /// A configuration with safe defaults: TLS required, no plaintext AUTH, pipelining when
    /// offered, automatic handshake, RFC 5321 timeouts.
    pub fn new(client_name: Host) -> Config {
        Config {
            client_name,
            tls: TlsPolicy::default(),
            dangerous_allow_plaintext_auth: false,
            pipelining: Pipelining::default(),
            lmtp: false,
            handshake: Handshake::default(),
            reply_limits: ReplyLimits::default(),
            timeouts: Timeouts::default(),
            max_outstanding_commands: 1024,
            max_queued_messages: 100,
            credentials: None,
            auth_mechanism: None,
            sasl_options: SaslOptions::default(),
            declare_size: true,
        }
    }

    /// Sets [`Config::tls`].
    pub fn with_tls(mut self, tls: TlsPolicy) -> Config {
        self.tls = tls;
        self
    }

    /// Sets [`Config::dangerous_allow_plaintext_auth`]: credentials may then cross the network
    /// in the clear. Only for loopback tests or networks you control.
    pub fn dangerous_allow_plaintext_auth(mut self, allow: bool) -> Config {
        self.dangerous_allow_plaintext_auth = allow;
        self
    }

    /// Sets [`Config::pipelining`].
    pub fn with_pipelining(mut self, pipelining: Pipelining) -> Config {
        self.pipelining = pipelining;
        self
    }

    /// Sets [`Config::lmtp`].
    pub fn with_lmtp(mut self, lmtp: bool) -> Config {
        self.lmtp = lmtp;
        self
    }

    /// Sets [`Config::handshake`].
    pub fn with_handshake(mut self, handshake: Handshake) -> Config {
        self.handshake = handshake;
        self
    }

    /// Sets [`Config::reply_limits`].
    pub fn with_reply_limits(mut self, limits: ReplyLimits) -> Config {
        self.reply_limits = limits;
        self
    }

    /// Sets [`Config::timeouts`].
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Config {
        self.timeouts = timeouts;
        self
    }

    /// Sets [`Config::max_outstanding_commands`].
    pub fn with_max_outstanding_commands(mut self, max: usize) -> Config {
        self.max_outstanding_commands = max;
        self
    }

    /// Sets [`Config::max_queued_messages`].
    pub fn with_max_queued_messages(mut self, max: usize) -> Config {
        self.max_queued_messages = max;
        self
    }

    /// Sets [`Config::credentials`]: the engine logs in by itself before sending mail.
    pub fn with_credentials(mut self, credentials: Credentials) -> Config {
        self.credentials = Some(credentials);
        self
    }

    /// Sets [`Config::auth_mechanism`].
    pub fn with_auth_mechanism(mut self, mechanism: Mechanism) -> Config {
        self.auth_mechanism = Some(mechanism);
        self
    }

    /// Sets [`Config::declare_size`].
    pub fn with_declared_size(mut self, declare: bool) -> Config {
        self.declare_size = declare;
        self
    }

    /// Sets [`Config::sasl_options`].
    pub fn with_sasl_options(mut self, options: SaslOptions) -> Config {
        self.sasl_options = options;
        self
    }
}
