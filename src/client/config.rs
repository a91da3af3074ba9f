//! [`Config`]: how a [`Client`](super::Client) behaves. Every setting has a default that is
//! safe on the public internet; the setters say what changes.

use std::time::Duration;

use crate::address::Host;
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
/// A timeout runs from the moment the command was fully handed to the caller for writing
/// (`consume_output`) or the previous reply arrived, whichever is later.
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
    /// Each block of message data handed out and not yet written: 3 minutes (s4.5.3.2.5).
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
}
