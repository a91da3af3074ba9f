//! [`DiagnosisClass`] and what each class says: THE table to read and extend.
//!
//! One entry per class id of `DIAGNOSES.md`, in its order. Each entry gives the id (a public
//! contract: never rename one), a one-sentence summary, probable causes and remedies in plain
//! words, and the default severity and retry advice. To add a class: add an entry here, add it
//! to `DIAGNOSES.md`, then add the rules that detect it in `rules.rs`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::{DiagnosisSeverity, Retry};

/// What a class says, fixed at compile time so that a diagnosis allocates nothing for it.
#[derive(Debug)]
pub(crate) struct ClassInfo {
    pub(crate) summary: &'static str,
    pub(crate) causes: &'static [&'static str],
    pub(crate) remedies: &'static [&'static str],
    pub(crate) severity: DiagnosisSeverity,
    pub(crate) retry: Retry,
    pub(crate) retry_after: Option<Duration>,
}

macro_rules! delay {
    () => {
        None
    };
    ($secs:literal) => {
        Some(Duration::from_secs($secs))
    };
}

macro_rules! classes {
    ($(
        $variant:ident = $id:literal {
            summary: $summary:literal,
            causes: [$($cause:literal),* $(,)?],
            remedies: [$($remedy:literal),* $(,)?],
            severity: $severity:ident,
            retry: $retry:ident $(after $secs:literal)?,
        }
    )*) => {
        /// The kind of problem a [`Diagnosis`](super::Diagnosis) names: one stable snake_case id
        /// of the [taxonomy](super::taxonomy) (see [`DiagnosisClass::as_str`]), which lists
        /// for each class how it is detected, its probable causes, remedies and retry advice.
        ///
        /// The ids are a public contract (users match on them, the `diagnose` example prints
        /// them); new classes may be added, existing ones are never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum DiagnosisClass {
            $(
                #[doc = concat!("`", $id, "`: ", $summary)]
                $variant,
            )*
        }

        impl DiagnosisClass {
            /// Every class, in the order of the [taxonomy](super::taxonomy).
            pub const ALL: &'static [DiagnosisClass] = &[$(DiagnosisClass::$variant,)*];

            /// The stable snake_case id, e.g. `recipient_unknown`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(DiagnosisClass::$variant => $id,)*
                }
            }

            pub(crate) const fn info(self) -> &'static ClassInfo {
                match self {
                    $(DiagnosisClass::$variant => {
                        const INFO: ClassInfo = ClassInfo {
                            summary: $summary,
                            causes: &[$($cause),*],
                            remedies: &[$($remedy),*],
                            severity: DiagnosisSeverity::$severity,
                            retry: Retry::$retry,
                            retry_after: delay!($($secs)?),
                        };
                        &INFO
                    })*
                }
            }
        }
    };
}

classes! {
    // ---- 4.1 Transport and TLS (no reply) ----
    DnsFailure = "dns_failure" {
        summary: "The server's name could not be resolved to an address.",
        causes: [
            "The host name is misspelled.",
            "The name only exists in a private DNS the client cannot see.",
            "The domain does not exist (NXDOMAIN), or for MX delivery it publishes a null MX (`MX 0 .`) and accepts no mail.",
        ],
        remedies: [
            "Check the spelling of the host name.",
            "Look it up by hand (`dig MX domain`, `dig A host`) from the machine that sends.",
            "For MX delivery, a null MX means the domain accepts no mail at all: stop sending to it.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ConnectionRefused = "connection_refused" {
        summary: "The server actively refused the TCP connection: nothing is listening on that port, or a firewall rejects it.",
        causes: [
            "The port is wrong for this server (many providers only open 587 and 465 to clients).",
            "The mail service on the server is stopped.",
            "A firewall rejects connections from this address.",
        ],
        remedies: [
            "Check the port: 25 for server-to-server relay (MX), 587 for submission with STARTTLS, 465 for submission with implicit TLS.",
            "Check that the mail service is running and listening on that port and address (IPv4 and IPv6).",
            "Ask the server's administrator whether a firewall blocks your address.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ConnectionTimeout = "connection_timeout" {
        summary: "The TCP connection was never established: the packets seem to be silently dropped.",
        causes: [
            "Outbound port 25 is blocked by the ISP or cloud provider (very common on home connections and cloud VMs).",
            "A firewall on either side drops the packets.",
            "The address is wrong or unreachable, e.g. an IPv6 route that does not work.",
        ],
        remedies: [
            "To submit mail, use port 587 (STARTTLS) or 465 (implicit TLS) instead of 25.",
            "Ask the hosting or cloud provider to unblock outbound port 25 if you run a mail server.",
            "Test reachability from the same machine (`nc -vz host port`), over IPv4 and IPv6.",
        ],
        severity: Transient,
        retry: Later,
    }
    GreetingTimeout = "greeting_timeout" {
        summary: "The connection opened but the server never sent its 220 greeting.",
        causes: [
            "Most often an implicit-TLS port (465) spoken to in plaintext: the server waits for a TLS handshake while the client waits for a greeting.",
            "The server delays its greeting on purpose (tarpitting, greet-pause) to catch spammers.",
            "The server is overloaded.",
        ],
        remedies: [
            "On port 465 turn on implicit TLS (TLS on connect); otherwise use port 587 with STARTTLS.",
            "Wait longer: RFC 5321 allows 5 minutes for the greeting.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsModeMismatch = "tls_mode_mismatch" {
        summary: "Client and server disagree on when TLS starts: one side speaks TLS, the other plain SMTP.",
        causes: [
            "TLS on connect was used on port 25 or 587, where the server expects plain SMTP and then STARTTLS.",
            "STARTTLS (plain SMTP first) was used on port 465, where the server expects TLS at once.",
        ],
        remedies: [
            "Port 587 (and 25): connect in plaintext, then STARTTLS.",
            "Port 465: implicit TLS, the handshake starts as soon as the connection opens.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsHandshakeFailed = "tls_handshake_failed" {
        summary: "The TLS handshake with the server failed.",
        causes: [
            "Client and server share no TLS version or cipher suite.",
            "An antivirus, proxy or firewall intercepts the TLS connection.",
            "The server's certificate or key is misconfigured.",
        ],
        remedies: [
            "Allow TLS 1.2 and 1.3 on the client.",
            "Look for middleboxes that inspect TLS and exempt the mail connection.",
            "Report the TLS alert to the server's administrator.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsCertificateInvalid = "tls_certificate_invalid" {
        summary: "The server's TLS certificate could not be verified.",
        causes: [
            "The certificate has expired or is not yet valid.",
            "It does not name the host the client connected to (connecting by IP address or by an alias).",
            "It is self-signed or issued by an authority the client does not trust.",
            "Someone is intercepting the connection.",
        ],
        remedies: [
            "Connect using the host name written in the certificate.",
            "Have the server's administrator renew the certificate or install the full chain.",
            "For a private authority, add its certificate to the client's trust store; do not simply turn verification off.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsVersionUnsupported = "tls_version_unsupported" {
        summary: "The server refuses the client's TLS version as too old.",
        causes: [
            "The client only offers TLS 1.0 or 1.1, which most providers have switched off.",
        ],
        remedies: [
            "Enable TLS 1.2 or 1.3 in the client or its operating system (update old .NET, Java or OpenSSL settings).",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ConnectionClosed = "connection_closed" {
        summary: "The server closed the connection in the middle of the session without saying why.",
        causes: [
            "The server dropped the session after a policy decision it did not explain.",
            "The connection sat idle too long and the server or a middlebox timed it out.",
            "A firewall or NAT box reset the connection.",
        ],
        remedies: [
            "Look at the last reply before the close for the real reason.",
            "Reconnect and send commands promptly; do not keep idle connections for long.",
        ],
        severity: Transient,
        retry: Later,
    }
    DroppedAfterReject = "dropped_after_reject" {
        summary: "The server closed the connection right after refusing a command.",
        causes: [
            "Some servers hang up after a rejection instead of waiting for QUIT (Postfix postscreen, Exim).",
        ],
        remedies: [
            "Follow the diagnosis of the refusal that came just before the close.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }

    // ---- 4.2 Session establishment ----
    GreetingRejected = "greeting_rejected" {
        summary: "The server refused to talk to this client as soon as it connected.",
        causes: [
            "The client's IP address is blocked or has a poor reputation (often a home, dynamic or cloud address).",
            "The IP address has no reverse DNS (PTR) name.",
            "The server does not offer SMTP service to this network or country.",
        ],
        remedies: [
            "Send through your provider's submission server (port 587 or 465 with a login) instead of talking to the recipient's MX directly.",
            "Give the sending IP a reverse DNS name that resolves back to it.",
            "Check the IP on public block lists and ask for removal.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ServiceUnavailable = "service_unavailable" {
        summary: "The server is not available right now and closed the connection.",
        causes: [
            "The server is overloaded, shutting down or in maintenance.",
            "It protects itself against too many connections (denial-of-service protection).",
        ],
        remedies: [
            "Reconnect later with growing delays between attempts; the connection is already closed.",
        ],
        severity: Transient,
        retry: Later,
    }
    ConnectionLimit = "connection_limit" {
        summary: "The client opened too many connections at once, or sent too many messages over one connection.",
        causes: [
            "Too many parallel sessions from the same IP address.",
            "The server limits how many messages one session may carry.",
        ],
        remedies: [
            "Use fewer parallel connections to this server.",
            "Open a new connection after every few messages.",
        ],
        severity: Transient,
        retry: Later,
    }
    HeloRejected = "helo_rejected" {
        summary: "The server refused the name the client gave in EHLO/HELO.",
        causes: [
            "The name is not a fully qualified domain name (`localhost`, a bare machine name, or empty).",
            "The name does not resolve in DNS, or it claims to be the server itself.",
        ],
        remedies: [
            "Send a real, resolvable domain name in EHLO, ideally the one the sending IP's reverse DNS points to, or an address literal like `[192.0.2.1]`.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ReverseDnsRequired = "reverse_dns_required" {
        summary: "The server refuses mail from an IP address without proper reverse DNS.",
        causes: [
            "The sending IP has no PTR record.",
            "The PTR name does not resolve back to the same IP (forward-confirmed reverse DNS fails).",
        ],
        remedies: [
            "Ask whoever owns the IP (hosting or ISP) to set a PTR record to a name that resolves back to the IP.",
            "Or send through a smarthost or provider that has this set up.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    EhloNotSupported = "ehlo_not_supported" {
        summary: "The server does not understand EHLO: it is a very old SMTP server.",
        causes: [
            "The server only speaks original SMTP (RFC 821), without extensions.",
        ],
        remedies: [
            "Fall back to HELO; no extensions (STARTTLS, AUTH, SIZE) will be available.",
        ],
        severity: Permanent,
        retry: No,
    }

    // ---- 4.3 TLS negotiation ----
    TlsNotOffered = "tls_not_offered" {
        summary: "The server does not offer STARTTLS, but the connection has to be encrypted.",
        causes: [
            "The server has no TLS configured on this port.",
            "This is port 465, which expects TLS from the first byte instead of STARTTLS.",
            "A firewall or proxy strips STARTTLS from the server's capabilities.",
        ],
        remedies: [
            "Try port 465 with implicit TLS, or ask the administrator to enable STARTTLS.",
            "Never fall back to sending credentials or mail in plaintext when encryption is required.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsUnavailable = "tls_unavailable" {
        summary: "The server offers STARTTLS but cannot start TLS right now.",
        causes: [
            "The server's certificate or key cannot be read, or its TLS library failed.",
        ],
        remedies: [
            "Retry later.",
            "Continue without TLS only if your policy allows plaintext.",
        ],
        severity: Transient,
        retry: Later,
    }
    TlsRequired = "tls_required" {
        summary: "The server requires an encrypted connection before it accepts this command.",
        causes: [
            "The client skipped STARTTLS.",
            "The recipient's domain is configured to accept mail only over TLS.",
        ],
        remedies: [
            "Turn on STARTTLS (port 587 or 25) or implicit TLS (port 465) in the client.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TlsAlreadyActive = "tls_already_active" {
        summary: "STARTTLS was sent on a connection that is already encrypted.",
        causes: [
            "A client bug: STARTTLS issued twice, or on an implicit-TLS connection.",
        ],
        remedies: [
            "Send STARTTLS only once, and never on port 465.",
        ],
        severity: Permanent,
        retry: No,
    }

    // ---- 4.4 Authentication ----
    AuthNotOffered = "auth_not_offered" {
        summary: "The server does not offer authentication (AUTH) on this connection.",
        causes: [
            "Most servers only offer AUTH after STARTTLS.",
            "This is port 25, a server-to-server (MX) port that has no login.",
            "The client said HELO instead of EHLO, so no extensions were announced.",
        ],
        remedies: [
            "Do STARTTLS first, then EHLO again, then AUTH.",
            "Use the submission port: 587 with STARTTLS or 465 with implicit TLS.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthMechanismUnsupported = "auth_mechanism_unsupported" {
        summary: "The server does not accept the authentication method the client chose.",
        causes: [
            "The client used a mechanism the server did not advertise.",
            "The server only offers mechanisms the client lacks (e.g. only NTLM or GSSAPI, or only XOAUTH2).",
        ],
        remedies: [
            "Pick a mechanism from the server's EHLO AUTH list.",
            "For providers that require it, switch to OAuth2 (XOAUTH2 or OAUTHBEARER).",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthEncryptionRequired = "auth_encryption_required" {
        summary: "Logging in with this method is only allowed over an encrypted connection.",
        causes: [
            "A plaintext mechanism (PLAIN or LOGIN) was tried before STARTTLS.",
        ],
        remedies: [
            "Do STARTTLS (or use implicit TLS on port 465) before AUTH.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthFailed = "auth_failed" {
        summary: "The server rejected the username or password.",
        causes: [
            "Wrong username or password (many servers want the full email address as the username).",
            "The account needs an app password or OAuth2 instead of the normal password.",
            "An OAuth2 token or API key is expired, revoked or for the wrong account.",
        ],
        remedies: [
            "Check the credentials; use the full email address as the username.",
            "Create an app password, or regenerate the token or API key.",
            "Do not retry in a loop: repeated failures lock the account or the IP.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthAppPasswordRequired = "auth_app_password_required" {
        summary: "The account requires an app-specific password (or OAuth2), not the normal password.",
        causes: [
            "Two-step verification is on for the account, so the normal password does not work for SMTP.",
        ],
        remedies: [
            "Create an app password in the account's security settings and use it here, or switch to OAuth2 (XOAUTH2).",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthWebLoginRequired = "auth_web_login_required" {
        summary: "The provider blocked this sign-in until someone logs in through a web browser.",
        causes: [
            "The sign-in looked suspicious (new location or device), or the account needs an interactive check.",
        ],
        remedies: [
            "Sign in to the account in a web browser, from the same network if possible, and confirm the activity.",
            "Then use an app password or OAuth2 for SMTP.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthDisabledByPolicy = "auth_disabled_by_policy" {
        summary: "Password login over SMTP (basic authentication) is switched off for this account or organisation.",
        causes: [
            "The administrator or the provider disabled SMTP AUTH for the mailbox or the whole tenant.",
        ],
        remedies: [
            "Ask the administrator to enable authenticated SMTP for this mailbox.",
            "Or switch the client to OAuth2.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthRateLimited = "auth_rate_limited" {
        summary: "Too many login attempts: the server is refusing logins for a while.",
        causes: [
            "Repeated failed logins (often a client retrying wrong credentials) locked the account or the IP.",
        ],
        remedies: [
            "Stop retrying; fix the credentials first.",
            "Wait for the lockout to expire before the next attempt.",
        ],
        severity: Transient,
        retry: Window after 1800,
    }
    AuthTemporaryFailure = "auth_temporary_failure" {
        summary: "The server could not check the credentials right now.",
        causes: [
            "The server's authentication back end (directory, database) is down or slow.",
        ],
        remedies: [
            "Retry later; the credentials themselves may be fine.",
        ],
        severity: Transient,
        retry: Later,
    }
    AuthPasswordTransition = "auth_password_transition" {
        summary: "The server needs one login with the PLAIN mechanism to migrate the password.",
        causes: [
            "The server is moving the account to a new password scheme.",
        ],
        remedies: [
            "Authenticate once with PLAIN over an encrypted connection.",
        ],
        severity: Transient,
        retry: AfterFix,
    }
    AccountDisabled = "account_disabled" {
        summary: "The account is disabled or blocked from sending.",
        causes: [
            "The provider suspended the account, for example after it sent spam.",
        ],
        remedies: [
            "Contact the provider or administrator to have the account restored.",
        ],
        severity: Permanent,
        retry: No,
    }
    AuthRequired = "auth_required" {
        summary: "The server requires the client to log in before sending mail.",
        causes: [
            "No credentials were configured, or AUTH was skipped.",
            "AUTH was skipped because the server only offers it after STARTTLS.",
            "The client used HELO instead of EHLO.",
        ],
        remedies: [
            "Configure a username and password (or OAuth2) in the client.",
            "Do STARTTLS, EHLO again, then AUTH before MAIL FROM.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AuthCancelled = "auth_cancelled" {
        summary: "The authentication exchange was cancelled.",
        causes: [
            "The client sent `*` to abort the SASL exchange, often because it did not understand the server's challenge.",
        ],
        remedies: [
            "Check why the client gave up on the challenge (for example an empty `334` challenge).",
        ],
        severity: Permanent,
        retry: No,
    }
    AuthServerProofInvalid = "auth_server_proof_invalid" {
        summary: "The server could not prove that it knows the account's password: its SCRAM signature (or nonce) was wrong.",
        causes: [
            "An impostor or a man in the middle answering in the server's place.",
            "A server bug, or a server whose stored credentials differ from the client's (a password changed on one side only).",
        ],
        remedies: [
            "Do not send mail through this connection; check the server's certificate and the network path.",
            "If the server is genuine, ask its administrator to check its SCRAM credential store, or use another mechanism over verified TLS.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }

    // ---- 4.5 Envelope: sender and relaying ----
    RelayDenied = "relay_denied" {
        summary: "The server will not pass mail on to that recipient's domain for this client.",
        causes: [
            "The client did not log in, so the server only accepts mail for its own domains (the recipient's MX or port 25 was used like a submission server).",
            "The client's IP is not on the server's list of addresses allowed to relay.",
            "The recipient domain's MX points to a server that does not host that domain.",
        ],
        remedies: [
            "Log in on the submission port (587 with STARTTLS or 465 with implicit TLS) before sending.",
            "Ask the administrator to allow your IP to relay, or register it in the provider's relay settings.",
            "Check the recipient address and its domain's MX records.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SenderNotPermitted = "sender_not_permitted" {
        summary: "The logged-in account is not allowed to send as this From address.",
        causes: [
            "The envelope sender or the From header differs from the authenticated account.",
            "The alias or domain has not been verified or added to the account.",
        ],
        remedies: [
            "Send from the address you logged in with, or grant this account send-as rights for the other address.",
            "Verify the alias or domain with the provider.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SenderRejected = "sender_rejected" {
        summary: "The server refused the envelope sender (MAIL FROM) address.",
        causes: [
            "The server checked the sender address (a callout) and it does not accept mail itself.",
            "The address is malformed or blocked by the server's policy.",
        ],
        remedies: [
            "Use a real sender address that can receive bounces.",
            "Make sure the sender's domain has working MX records and accepts mail for postmaster.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SenderDomainUnresolvable = "sender_domain_unresolvable" {
        summary: "The server could not find the sender address's domain in DNS.",
        causes: [
            "The MAIL FROM domain has no MX or A record, or does not exist.",
            "A temporary DNS problem on either side.",
        ],
        remedies: [
            "Use a sender address whose domain exists and has MX records.",
            "Fix the DNS of the sender's domain.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    AddressSyntaxError = "address_syntax_error" {
        summary: "An email address in the envelope is malformed.",
        causes: [
            "Missing angle brackets, spaces, stray characters or a missing domain in the address.",
        ],
        remedies: [
            "Send addresses as `MAIL FROM:<user@example.com>` and `RCPT TO:<user@example.com>`; check them for typos.",
        ],
        severity: Permanent,
        retry: No,
    }
    Smtputf8Required = "smtputf8_required" {
        summary: "The address contains non-ASCII characters, which needs the SMTPUTF8 extension.",
        causes: [
            "The client did not declare SMTPUTF8, or the server does not support it.",
        ],
        remedies: [
            "Add the SMTPUTF8 parameter to MAIL FROM when the server advertises it.",
            "If it does not, that address cannot be reached through this server.",
        ],
        severity: Permanent,
        retry: No,
    }
    ParamsNotSupported = "params_not_supported" {
        summary: "The server does not accept a parameter given with MAIL FROM or RCPT TO.",
        causes: [
            "The client sent a parameter (DSN, SIZE, BODY, SMTPUTF8...) the server does not support or has switched off.",
        ],
        remedies: [
            "Only send parameters for extensions listed in the server's EHLO reply.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }

    // ---- 4.6 Recipient ----
    RecipientUnknown = "recipient_unknown" {
        summary: "The recipient address does not exist at that server.",
        causes: [
            "The address is misspelled.",
            "The mailbox was deleted or never existed.",
            "An old list entry that is no longer valid.",
        ],
        remedies: [
            "Check the spelling of the address.",
            "Remove it from mailing lists (a hard bounce); do not retry it.",
        ],
        severity: Permanent,
        retry: No,
    }
    RecipientDomainNotFound = "recipient_domain_not_found" {
        summary: "The recipient's domain does not exist or does not accept mail.",
        causes: [
            "The domain is misspelled or has expired.",
            "The domain publishes a null MX: it accepts no mail at all.",
        ],
        remedies: [
            "Check the part after the @ for typos.",
        ],
        severity: Permanent,
        retry: No,
    }
    MailboxDisabled = "mailbox_disabled" {
        summary: "The recipient's mailbox exists but is disabled or inactive.",
        causes: [
            "The account was suspended, closed, or left unused for a long time.",
        ],
        remedies: [
            "Reach the recipient some other way; remove the address from lists.",
        ],
        severity: Permanent,
        retry: No,
    }
    MailboxFull = "mailbox_full" {
        summary: "The recipient's mailbox is full.",
        causes: [
            "The recipient has used up their storage quota.",
        ],
        remedies: [
            "If the refusal was temporary (4xx), retry later.",
            "Let the recipient know by another channel; a mailbox that stays full is often abandoned.",
        ],
        severity: Transient,
        retry: Later,
    }
    RecipientRestricted = "recipient_restricted" {
        summary: "The recipient (often a group or list) only accepts mail from certain senders.",
        causes: [
            "The group or mailbox is restricted to internal or explicitly allowed senders.",
        ],
        remedies: [
            "Ask the recipient's administrator to allow your address or external senders.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    TooManyRecipients = "too_many_recipients" {
        summary: "This message has more recipients than the server accepts in one transaction.",
        causes: [
            "The server limits recipients per message (often 50 to 500).",
        ],
        remedies: [
            "Send the message to the remaining recipients in another transaction (RFC 5321 treats this as temporary).",
        ],
        severity: Transient,
        retry: Later,
    }
    NoValidRecipients = "no_valid_recipients" {
        summary: "DATA was refused because no recipient was accepted.",
        causes: [
            "Every RCPT TO before it was rejected; this refusal is only a consequence.",
        ],
        remedies: [
            "Look at the replies to the RCPT TO commands: they hold the real reason.",
        ],
        severity: Permanent,
        retry: No,
    }

    // ---- 4.7 Reputation, policy, throttling ----
    Greylisted = "greylisted" {
        summary: "The server is greylisting: it turns away the first attempt from an unknown sender and accepts a retry.",
        causes: [
            "An anti-spam measure: mail from a new IP/sender/recipient combination is deferred once.",
        ],
        remedies: [
            "Retry after 5 to 15 minutes from the same IP with the same envelope sender; rotating senders or IPs never get through.",
        ],
        severity: Transient,
        retry: Later after 300,
    }
    RateLimited = "rate_limited" {
        summary: "The receiving server is throttling this sender: too much mail too fast.",
        causes: [
            "A sudden rise in volume, or a recipient receiving too much mail.",
            "The sending IP or domain has a weak reputation, so its allowed rate is low.",
        ],
        remedies: [
            "Back off and retry with growing delays; send fewer messages in parallel to this domain.",
            "Warm up new IPs slowly; check complaint rates and list hygiene.",
        ],
        severity: Transient,
        retry: Later,
    }
    SendingQuotaExceeded = "sending_quota_exceeded" {
        summary: "The account has reached its provider's sending limit for now.",
        causes: [
            "A daily or hourly limit on messages or recipients for the account.",
        ],
        remedies: [
            "Wait until the limit resets (often 24 hours).",
            "Spread sending over time, or use a bulk-mail service for large volumes.",
        ],
        severity: Permanent,
        retry: Window after 86400,
    }
    IpBlocklisted = "ip_blocklisted" {
        summary: "The sending IP address is on a block list the receiving server uses.",
        causes: [
            "The IP was listed for sending spam (often a shared, dynamic or cloud IP with a bad history).",
        ],
        remedies: [
            "Look the IP up at the list named in the reply and follow its removal steps.",
            "Meanwhile send through your provider's submission server or a smarthost.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DnsblQueryRefused = "dnsbl_query_refused" {
        summary: "The receiving server's own block-list lookups are broken; the sender is probably not listed.",
        causes: [
            "The receiver queries a block list (e.g. Spamhaus) through a public or open DNS resolver, which the list refuses, and reads the refusal as a listing.",
        ],
        remedies: [
            "Tell the recipient's postmaster: their DNS block-list setup needs its own resolver or a paid feed.",
        ],
        severity: Permanent,
        retry: No,
    }
    DomainBlocklisted = "domain_blocklisted" {
        summary: "A domain in the message or envelope is on a block list.",
        causes: [
            "The sender's domain, the EHLO name, or a domain linked in the message is listed (e.g. Spamhaus DBL).",
        ],
        remedies: [
            "Find which domain is listed, clean it up and request removal.",
            "Remove links to listed domains from the message.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    IpReputationBlock = "ip_reputation_block" {
        summary: "The receiving server refuses mail from this IP because of its reputation.",
        causes: [
            "The IP has a poor sending history or a low reputation score.",
            "The IP is a home or dynamic address, which should not talk to mail servers directly.",
        ],
        remedies: [
            "Send through an authenticated smarthost or your provider's submission server.",
            "Request a review at the receiving provider's postmaster site once the cause is fixed.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DomainReputationBlock = "domain_reputation_block" {
        summary: "The receiving server refuses mail because the sending domain has a poor reputation.",
        causes: [
            "Complaints, spam traps or unauthenticated mail lowered the domain's reputation.",
        ],
        remedies: [
            "Authenticate the mail (SPF, DKIM, DMARC), clean the list, and lower volume until reputation recovers.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SenderAuthPolicy = "sender_auth_policy" {
        summary: "The message failed the receiver's sender authentication checks (SPF, DKIM or DMARC).",
        causes: [
            "The sending IP is not in the domain's SPF record.",
            "The message has no valid DKIM signature for the From domain.",
            "The From domain's DMARC policy asks receivers to reject unaligned mail.",
        ],
        remedies: [
            "Add the sending server to the domain's SPF record.",
            "Sign outgoing mail with DKIM for the From domain.",
            "Publish a DMARC record and make sure SPF or DKIM aligns with the From address.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    ContentRejected = "content_rejected" {
        summary: "The receiving server refused the message because of its content.",
        causes: [
            "The spam filter scored the message as spam (words, links, formatting).",
            "A link points to a domain with a poor reputation, or an attachment type is forbidden.",
        ],
        remedies: [
            "Change the content: remove suspicious links, shorteners and forbidden attachments.",
            "Check the reputation of the linked domains.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    VirusDetected = "virus_detected" {
        summary: "The receiving server found a virus or malware in the message.",
        causes: [
            "An attachment is infected, or looks like malware to the scanner.",
        ],
        remedies: [
            "Scan and remove the attachment; share files by link instead.",
        ],
        severity: Permanent,
        retry: No,
    }
    PolicyRejected = "policy_rejected" {
        summary: "The server refused the message because of a local policy, without giving details.",
        causes: [
            "A provider policy on reputation, content or sender that the reply does not spell out.",
        ],
        remedies: [
            "Read the provider's postmaster page named in the reply, if any.",
            "Contact the recipient's postmaster with the full reply.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }

    // ---- 4.8 Message ----
    MessageTooLarge = "message_too_large" {
        summary: "The message is larger than the server accepts.",
        causes: [
            "Attachments push the message over the limit; base64 encoding makes files about a third bigger.",
        ],
        remedies: [
            "Compare the size with the SIZE the server advertises in EHLO.",
            "Shrink the message or send large files as links.",
        ],
        severity: Permanent,
        retry: No,
    }
    MessageNoncompliant = "message_noncompliant" {
        summary: "The message is not correctly formatted (RFC 5322).",
        causes: [
            "Missing or duplicate headers (From, Date, Message-ID), or a From without a valid address.",
            "Bare LF line endings or invalid characters in the message.",
        ],
        remedies: [
            "Fix the message generator: one From with a valid address, a Message-ID, CRLF line endings.",
        ],
        severity: Permanent,
        retry: No,
    }
    ClientProtocolViolation = "client_protocol_violation" {
        summary: "The client broke the SMTP protocol rules in what it sent.",
        causes: [
            "Lines ended in a bare LF instead of CRLF.",
            "Commands were sent out of turn.",
        ],
        remedies: [
            "Send CRLF line endings everywhere, including the message body.",
        ],
        severity: Permanent,
        retry: No,
    }
    MailLoop = "mail_loop" {
        summary: "The message is going around in a loop between servers.",
        causes: [
            "Forwarding rules or MX records send the message back and forth.",
        ],
        remedies: [
            "Fix the forwarding rules or the routing that sends the message in a circle.",
        ],
        severity: Permanent,
        retry: No,
    }

    // ---- 4.9 Server-side and protocol ----
    ServerTemporaryError = "server_temporary_error" {
        summary: "The server had a temporary internal problem.",
        causes: [
            "A fault on the receiving side: a lookup, a queue write or its configuration failed.",
        ],
        remedies: [
            "Retry later.",
            "If it lasts, tell the server's administrator.",
        ],
        severity: Transient,
        retry: Later,
    }
    ServerStorageFull = "server_storage_full" {
        summary: "The server is short of disk or queue space.",
        causes: [
            "The receiving system's storage or resources are exhausted.",
        ],
        remedies: [
            "Retry later.",
        ],
        severity: Transient,
        retry: Later,
    }
    ServerTimeout = "server_timeout" {
        summary: "The server gave up waiting for the client and closed the session.",
        causes: [
            "The client was idle too long between commands, or uploaded the message too slowly.",
        ],
        remedies: [
            "Send commands promptly; reconnect instead of keeping idle sessions.",
        ],
        severity: Transient,
        retry: Later,
    }
    TooManyErrors = "too_many_errors" {
        summary: "The server closed the session because of too many errors.",
        causes: [
            "Earlier commands failed (bad logins, unknown recipients, bad commands) and the server gave up.",
        ],
        remedies: [
            "Fix the first error in the session, then reconnect.",
        ],
        severity: Transient,
        retry: AfterFix,
    }
    ProtocolSequenceError = "protocol_sequence_error" {
        summary: "A command came in the wrong order for the server.",
        causes: [
            "EHLO was not sent (again) after connecting or after STARTTLS.",
            "MAIL, RCPT or DATA came out of order, or a connection was reused in an unexpected state.",
            "HELO/EHLO was sent twice.",
        ],
        remedies: [
            "Follow the RFC 5321 order: EHLO, (STARTTLS, EHLO), AUTH, MAIL, RCPT, DATA.",
            "Send EHLO again after STARTTLS and on reused connections.",
        ],
        severity: Permanent,
        retry: No,
    }
    SyntaxError = "syntax_error" {
        summary: "The server did not understand a command the client sent.",
        causes: [
            "A malformed or unknown command, or a proxy that mangled it.",
        ],
        remedies: [
            "Check how the client writes the command; log the exact line sent.",
        ],
        severity: Permanent,
        retry: No,
    }
    CommandNotImplemented = "command_not_implemented" {
        summary: "The server does not implement that command.",
        causes: [
            "An optional command (VRFY, ETRN, BDAT without CHUNKING...) is not supported here.",
        ],
        remedies: [
            "Check the EHLO reply before using optional commands.",
        ],
        severity: Permanent,
        retry: No,
    }
    PipeliningViolation = "pipelining_violation" {
        summary: "The client sent commands before the server was ready for them.",
        causes: [
            "The client talked before the greeting.",
            "It pipelined commands without the server offering PIPELINING, or after STARTTLS.",
        ],
        remedies: [
            "Wait for the greeting; pipeline only when PIPELINING is advertised, and never after STARTTLS.",
        ],
        severity: Permanent,
        retry: No,
    }
    UnexpectedReply = "unexpected_reply" {
        summary: "The server answered with a reply code that is not valid for the command (RFC 5321 s4.3.2).",
        causes: [
            "A server bug, a proxy in between, or client and server out of step.",
        ],
        remedies: [
            "Report it to the server's administrator; treat the reply by its first digit.",
        ],
        severity: Warning,
        retry: No,
    }
    MalformedReply = "malformed_reply" {
        summary: "The server's reply does not follow SMTP's reply format.",
        causes: [
            "A server bug, or a proxy or antivirus that rewrites the conversation.",
            "The port runs another service (a web or POP3 server, or TLS on an implicit-TLS port).",
        ],
        remedies: [
            "Check that the host and port belong to an SMTP server and the TLS mode matches.",
            "Report the raw bytes to the server's administrator.",
        ],
        severity: Permanent,
        retry: No,
    }
    Unrecognized = "unrecognized" {
        summary: "The text carries no reply code, no enhanced status code and no phrase this tool knows: there is nothing to diagnose it by.",
        causes: [
            "The text is not an SMTP reply, or only part of one: the three-digit code and the enhanced code were left out.",
            "A wording this tool has not learned yet.",
        ],
        remedies: [
            "Give the whole reply as the server sent it, starting with its three-digit code (for example `550 5.1.1 ...`), and the command it answered.",
            "For an error from a program rather than a server, give the program's full error message.",
        ],
        severity: Info,
        retry: No,
    }
    Capabilities = "capabilities" {
        summary: "The server listed its capabilities in reply to EHLO.",
        causes: [],
        remedies: [],
        severity: Info,
        retry: No,
    }
    Ok = "ok" {
        summary: "The server accepted the command.",
        causes: [],
        remedies: [],
        severity: Info,
        retry: No,
    }

    // ---- classes beyond the tables ----
    StarttlsResponseInjection = "starttls_response_injection" {
        summary: "Bytes arrived after the server's go-ahead for STARTTLS and before TLS started: the session was aborted.",
        causes: [
            "Someone between client and server injected plaintext commands or replies (a STARTTLS injection attack).",
            "A broken server that pipelines replies past STARTTLS.",
        ],
        remedies: [
            "Abort the connection and never read those bytes as replies after TLS.",
            "Report it: the network path or the server is not trustworthy.",
        ],
        severity: Permanent,
        retry: No,
    }
    ReplyTimeout = "reply_timeout" {
        summary: "The server sent no complete reply within the time allowed.",
        causes: [
            "The server is overloaded or slows down suspected spammers on purpose (tarpitting).",
            "A network path that silently drops packets.",
            "A TLS mode mismatch: one side waits for the other to start.",
        ],
        remedies: [
            "Retry later; keep the RFC 5321 timeouts (5 minutes for most commands, 10 after the final dot).",
        ],
        severity: Transient,
        retry: Later,
    }

    // ---- 4.12 Domain checks (DNS), from the domain's published records ----
    MxMissing = "mx_missing" {
        summary: "The domain publishes no MX records, so mail for it falls back to the address of the domain itself.",
        causes: [
            "MX records were never published.",
            "A typo or a lost record in the zone.",
        ],
        remedies: [
            "Publish MX records naming the hosts that receive mail for the domain (RFC 5321 s5.1).",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    NullMx = "null_mx" {
        summary: "The domain publishes a null MX (`0 .`): it declares that it accepts no mail.",
        causes: [
            "The domain owner decided the domain receives no mail (RFC 7505).",
        ],
        remedies: [
            "Nothing to fix if that is intended: senders bounce mail to it at once.",
            "If the domain should receive mail, replace the null MX with real MX records.",
        ],
        severity: Info,
        retry: No,
    }
    MxTargetInvalid = "mx_target_invalid" {
        summary: "An MX record points at something that cannot receive mail: an IP address, an alias (CNAME), or a name without an address.",
        causes: [
            "A zone error: the MX names an IP address instead of a host name, or an alias (RFC 2181 s10.3), or a host that was removed.",
        ],
        remedies: [
            "Point the MX at a host name that has its own A or AAAA records.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfMissing = "spf_missing" {
        summary: "The domain publishes no SPF record, so receivers cannot tell which servers may send its mail.",
        causes: [
            "No TXT record starting with `v=spf1` was ever published at the domain (RFC 7208 s4.5).",
        ],
        remedies: [
            "Publish one `v=spf1` TXT record listing the servers that send for the domain, ending in `-all` (or `~all` while testing).",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    SpfMultipleRecords = "spf_multiple_records" {
        summary: "The domain publishes more than one SPF record, which makes every SPF check a permanent error.",
        causes: [
            "A second `v=spf1` record was added (for a new provider) instead of editing the first (RFC 7208 s4.5).",
        ],
        remedies: [
            "Merge the records into a single `v=spf1` record.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfSyntaxError = "spf_syntax_error" {
        summary: "The SPF record has a term that does not parse, which makes every SPF check a permanent error.",
        causes: [
            "A typo: an unknown mechanism, a bad CIDR length, a malformed macro, or a character outside ASCII (RFC 7208 s4.6, s7).",
            "A record written by a generator that does not follow RFC 7208.",
        ],
        remedies: [
            "Fix the term the detail quotes, then check the record again.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfTooManyLookups = "spf_too_many_lookups" {
        summary: "Evaluating the SPF record takes more than the 10 DNS lookups RFC 7208 allows, so it ends in a permanent error.",
        causes: [
            "Too many `include`, `a`, `mx`, `ptr`, `exists` or `redirect` terms, usually includes of several providers that include others in turn (RFC 7208 s4.6.4).",
        ],
        remedies: [
            "Remove includes of services that no longer send for the domain.",
            "Replace some includes by the `ip4`/`ip6` ranges they stand for (flattening), and keep them up to date.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfTooManyVoidLookups = "spf_too_many_void_lookups" {
        summary: "More than two lookups of the SPF record found nothing, so the check ends in a permanent error.",
        causes: [
            "Includes or names in the record no longer exist or have no records (RFC 7208 s4.6.4).",
        ],
        remedies: [
            "Remove the terms that name domains with no records.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfIncludeMissing = "spf_include_missing" {
        summary: "An `include:` or `redirect=` of the SPF record names a domain that has no SPF record, which is a permanent error.",
        causes: [
            "The provider moved its SPF record to another name.",
            "A typo in the included domain (RFC 7208 s5.2, s6.1).",
        ],
        remedies: [
            "Fix the name from the provider's documentation, or remove the term.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfPermissiveAll = "spf_permissive_all" {
        summary: "The SPF record lets anyone send as the domain: it ends in `+all` or `?all`, or has no `all` at all.",
        causes: [
            "A record that ends with `+all` or `?all`, or without `all` or `redirect`, so unknown servers get pass or neutral (RFC 7208 s4.7, s5.1).",
        ],
        remedies: [
            "End the record with `-all` (or `~all` while testing).",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    SpfPtrUsed = "spf_ptr_used" {
        summary: "The SPF record uses the `ptr` mechanism, which RFC 7208 says not to use.",
        causes: [
            "A legacy record: `ptr` is slow, unreliable and loads the reverse DNS of every client (RFC 7208 s5.5).",
        ],
        remedies: [
            "Replace `ptr` with the `ip4`, `ip6` or `a` terms of the servers it stood for.",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    SpfIpNotPermitted = "spf_ip_not_permitted" {
        summary: "The domain's SPF record does not authorize the sending IP address (fail or softfail).",
        causes: [
            "The server or provider that sends for the domain is not listed in its SPF record.",
        ],
        remedies: [
            "Add that server's addresses, or its provider's include, to the SPF record.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    SpfTemporaryError = "spf_temporary_error" {
        summary: "The SPF check could not finish because a DNS lookup failed (temperror).",
        causes: [
            "A DNS outage or timeout at the domain's name servers (RFC 7208 s2.6.6).",
        ],
        remedies: [
            "Retry later; check that the domain's name servers answer.",
        ],
        severity: Warning,
        retry: Later,
    }
    DmarcMissing = "dmarc_missing" {
        summary: "The domain publishes no DMARC record, at its own name or its organizational domain.",
        causes: [
            "No `v=DMARC1` TXT record was ever published at `_dmarc.<domain>` (RFC 7489 s6.6.3).",
        ],
        remedies: [
            "Publish `v=DMARC1; p=none; rua=mailto:...`, read the reports, then tighten the policy.",
            "Bulk senders must have one (Gmail and Yahoo rules since 2024).",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    DmarcMultipleRecords = "dmarc_multiple_records" {
        summary: "More than one DMARC record is published at the name, so receivers apply none.",
        causes: [
            "A duplicate record added by a second tool or provider.",
        ],
        remedies: [
            "Keep a single `v=DMARC1` record.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DmarcSyntaxError = "dmarc_syntax_error" {
        summary: "The DMARC record does not parse: `v=DMARC1` is not first, `p` is missing or invalid, or a tag value is invalid.",
        causes: [
            "A typo in a tag or value (RFC 7489 s6.3).",
        ],
        remedies: [
            "Fix the tag the detail quotes.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DmarcPolicyNone = "dmarc_policy_none" {
        summary: "The DMARC policy is `p=none`: monitoring only, spoofed mail is still delivered.",
        causes: [
            "The domain is in its monitoring phase, or never moved past it.",
        ],
        remedies: [
            "Move to `p=quarantine`, then `p=reject`, once the aggregate reports show only legitimate senders.",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    DmarcSubdomainPolicyWeaker = "dmarc_subdomain_policy_weaker" {
        summary: "The DMARC subdomain policy (`sp` or `np`) is weaker than the domain's own policy, leaving subdomains open to spoofing.",
        causes: [
            "An `sp=` or `np=` left at `none` while `p` was tightened.",
        ],
        remedies: [
            "Set `sp` (and `np`) equal to `p`, or remove them so `p` applies.",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    DmarcNoReports = "dmarc_no_reports" {
        summary: "The DMARC record asks for no aggregate reports, so authentication failures stay invisible.",
        causes: [
            "The record has no `rua=` tag.",
        ],
        remedies: [
            "Add `rua=mailto:` with a mailbox (or a report service) that reads the reports.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    DmarcReportDestinationUnauthorized = "dmarc_report_destination_unauthorized" {
        summary: "A DMARC report address is in another domain that has not authorized receiving this domain's reports, so receivers will not send them.",
        causes: [
            "The destination has no `<domain>._report._dmarc.<destination>` record (RFC 7489 s7.1).",
        ],
        remedies: [
            "Publish `v=DMARC1` at `<domain>._report._dmarc.<destination>` (the report service usually does it on request).",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    DmarcRemovedTags = "dmarc_removed_tags" {
        summary: "The DMARC record uses tags that DMARCbis (RFC 9989) removed: `pct`, `rf` or `ri`.",
        causes: [
            "A record written from an older template.",
        ],
        remedies: [
            "Drop those tags; use `t=y` instead of a `pct` below 100 for testing.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    DkimKeyMissing = "dkim_key_missing" {
        summary: "No DKIM key is published at the selector, so signatures with it cannot be verified.",
        causes: [
            "The signer uses another selector than the one checked.",
            "The key was never published at `<selector>._domainkey.<domain>`.",
        ],
        remedies: [
            "Publish the public key the signer uses, at the selector it signs with.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DkimKeyRevoked = "dkim_key_revoked" {
        summary: "The DKIM key at the selector is revoked (`p=` is empty).",
        causes: [
            "The key was revoked on purpose (RFC 6376 s3.6.1) but something still signs with it.",
        ],
        remedies: [
            "Sign with a current selector.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DkimKeyWeak = "dkim_key_weak" {
        summary: "The DKIM RSA key is too short: verifiers reject keys under 1024 bits and 2048 bits is the norm.",
        causes: [
            "An old key, generated before RFC 8301 raised the minimum.",
        ],
        remedies: [
            "Rotate to a 2048-bit RSA key or an Ed25519 key (RFC 8463), under a new selector.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DkimSyntaxError = "dkim_syntax_error" {
        summary: "The DKIM key record does not parse: a bad tag, an unknown key type, or a key that is not base64.",
        causes: [
            "A typo, or a long key split into TXT strings and joined wrongly.",
        ],
        remedies: [
            "Publish the record again from the signer's output, splitting the key into strings without adding characters.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DkimTestingMode = "dkim_testing_mode" {
        summary: "The DKIM key is flagged as testing (`t=y`): verifiers treat failures leniently.",
        causes: [
            "The flag was left on after the set-up.",
        ],
        remedies: [
            "Remove `t=y` once signing works.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    MtaStsMissing = "mta_sts_missing" {
        summary: "The domain publishes no MTA-STS record, so senders cannot insist on TLS when delivering to it.",
        causes: [
            "No `v=STSv1` TXT record at `_mta-sts.<domain>` (RFC 8461 s3.1).",
        ],
        remedies: [
            "Publish MTA-STS (a TXT record and a policy file over HTTPS) to stop TLS downgrade attacks.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    MtaStsSyntaxError = "mta_sts_syntax_error" {
        summary: "The MTA-STS record or policy file does not parse.",
        causes: [
            "A typo in the TXT record or the policy file (RFC 8461 s3.1, s3.2).",
        ],
        remedies: [
            "Fix the field the detail quotes.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    MtaStsPolicyUnavailable = "mta_sts_policy_unavailable" {
        summary: "The MTA-STS record is published but its policy file cannot be fetched over HTTPS with a valid certificate.",
        causes: [
            "No web server at `mta-sts.<domain>`, or its certificate is missing, expired or for another name (RFC 8461 s3.3).",
        ],
        remedies: [
            "Serve the policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` with a valid certificate.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    MtaStsMxMismatch = "mta_sts_mx_mismatch" {
        summary: "An MX host of the domain matches none of the `mx:` patterns of its MTA-STS policy, so enforcing senders will not deliver to it.",
        causes: [
            "The MX records changed and the policy was not updated (RFC 8461 s4.1).",
        ],
        remedies: [
            "Add the MX host to the policy (and raise its `id` in the TXT record).",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    MtaStsTesting = "mta_sts_testing" {
        summary: "The MTA-STS policy is in testing mode: failures are reported, not enforced.",
        causes: [
            "`mode: testing` in the policy file.",
        ],
        remedies: [
            "Move to `mode: enforce` once the TLS reports are clean.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    TlsRptMissing = "tls_rpt_missing" {
        summary: "The domain publishes no TLS-RPT record, so it gets no reports of TLS failures delivering to it.",
        causes: [
            "No `v=TLSRPTv1` TXT record at `_smtp._tls.<domain>` (RFC 8460 s3).",
        ],
        remedies: [
            "Publish `v=TLSRPTv1; rua=mailto:...` to receive TLS failure reports.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    TlsRptSyntaxError = "tls_rpt_syntax_error" {
        summary: "The TLS-RPT record does not parse.",
        causes: [
            "A typo in the record, or an `rua` that is not a `mailto:` or `https:` URI (RFC 8460 s3).",
        ],
        remedies: [
            "Fix the field the detail quotes.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DaneTlsaMismatch = "dane_tlsa_mismatch" {
        summary: "The MX publishes TLSA records, but none matches the certificate chain it presented, so DANE senders will not deliver.",
        causes: [
            "The certificate or key was rotated without updating the TLSA records first (RFC 7672 s3, RFC 6698 s2.1).",
        ],
        remedies: [
            "Publish TLSA records for the new key before rotating; `3 1 1` (the key's digest) survives renewals that keep the key.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    DaneUnsigned = "dane_unsigned" {
        summary: "TLSA records are published but the answer was not DNSSEC-authenticated, so senders ignore them.",
        causes: [
            "The zone is not signed, or the resolver used does not validate.",
        ],
        remedies: [
            "Sign the zone with DNSSEC; check with a validating resolver.",
        ],
        severity: Info,
        retry: AfterFix,
    }
    FcrdnsMissing = "fcrdns_missing" {
        summary: "The IP address has no reverse DNS (PTR) name; many receivers refuse mail from such addresses.",
        causes: [
            "The reverse zone of the address is not delegated, or no PTR was set.",
        ],
        remedies: [
            "Ask the IP's provider to set its PTR to the mail server's name.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
    FcrdnsMismatch = "fcrdns_mismatch" {
        summary: "The IP's reverse DNS name does not resolve back to the IP, or the server calls itself by another name.",
        causes: [
            "The PTR is still the provider's default name.",
            "The A/AAAA of the PTR name, or the EHLO name, was not updated.",
        ],
        remedies: [
            "Give the PTR name an A/AAAA record with this IP, and use that name in EHLO.",
        ],
        severity: Warning,
        retry: AfterFix,
    }
    DnsblListed = "dnsbl_listed" {
        summary: "The IP address is listed on a DNS block list.",
        causes: [
            "Spam or abuse was seen from the address, or the list covers the whole range (dynamic or residential addresses); the list's TXT answer says why.",
        ],
        remedies: [
            "Fix the cause first, then follow the list's delisting procedure.",
        ],
        severity: Permanent,
        retry: AfterFix,
    }
}

impl fmt::Display for DiagnosisClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a class id that is not one of [`DiagnosisClass::as_str`]'s spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown diagnosis class {0:?}")]
pub struct UnknownClass(pub String);

impl FromStr for DiagnosisClass {
    type Err = UnknownClass;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        DiagnosisClass::ALL
            .iter()
            .copied()
            .find(|class| class.as_str().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownClass(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &class in DiagnosisClass::ALL {
            assert!(seen.insert(class.as_str()), "duplicate id {class}");
            assert_eq!(class.as_str().parse::<DiagnosisClass>(), Ok(class));
            let id = class.as_str();
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()),
                "{id} is not snake_case"
            );
        }
        assert!("nonsense".parse::<DiagnosisClass>().is_err());
    }

    #[test]
    fn every_problem_class_says_what_to_do() {
        for &class in DiagnosisClass::ALL {
            let info = class.info();
            assert!(
                info.summary.ends_with('.'),
                "{class}: summary is a sentence"
            );
            if matches!(class, DiagnosisClass::Ok | DiagnosisClass::Capabilities) {
                continue;
            }
            assert!(!info.causes.is_empty(), "{class} has no causes");
            assert!(!info.remedies.is_empty(), "{class} has no remedies");
        }
    }
}

#[cfg(test)]
mod taxonomy {
    use super::DiagnosisClass;

    /// The class ids `docs/DIAGNOSES.md` defines: the first cell of every table row and the
    /// bullets that introduce classes beyond the tables.
    fn documented_ids() -> Vec<String> {
        let text = include_str!("../../docs/DIAGNOSES.md");
        let mut ids = Vec::new();
        for line in text.lines() {
            let cell = if let Some(row) = line.strip_prefix("| `") {
                row.split('|').next().unwrap_or_default()
            } else if let Some(bullet) = line.strip_prefix("- `") {
                bullet.split(' ').next().unwrap_or_default()
            } else {
                continue;
            };
            for part in format!("`{cell}").split('`').skip(1).step_by(2) {
                if !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    ids.push(part.to_owned());
                }
            }
        }
        ids
    }

    #[test]
    fn enum_matches_the_documented_taxonomy() {
        let documented = documented_ids();
        for id in &documented {
            assert!(
                id.parse::<DiagnosisClass>().is_ok(),
                "DIAGNOSES.md defines {id}, the enum does not"
            );
        }
        for class in DiagnosisClass::ALL {
            assert!(
                documented.iter().any(|id| id == class.as_str()),
                "{class} is not in DIAGNOSES.md"
            );
        }
    }
}
