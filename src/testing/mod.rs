//! Test your own SMTP code without sockets (feature `testing`): a scripted in-memory
//! [`Server`] and a driver that runs a [`Client`](crate::Client) against it on a virtual
//! clock.
//!
//! The server answers in one of three ways:
//!
//! - from a [`Policy`]: capabilities, accounts, accepted recipients, a size limit (a small but
//!   real ESMTP server, built on the crate's own command parser, DATA decoder and reply
//!   writer);
//! - from a [`Script`]: a policy whose answers are overridden one reply at a time (refusals
//!   with the codes the RFCs list for each command, `421` or a hang-up at any point, and the
//!   output split at any octet); the `proptest` feature generates these;
//! - from a C:/S: [`Transcript`], which it replays and checks the client against.
//!
//! It records what the client sent ([`Server::received`], [`Server::transcript`]) and the
//! messages it accepted ([`Server::messages`]). [`run`] drives any session with your
//! reactions to the client's events and idle turns; [`Plan`] is the common one (authenticate, send, quit).
//!
//! ```
//! use std::time::Instant;
//! use smtp_sansio::testing::{End, Plan, Policy, Server};
//! use smtp_sansio::{Client, Config, Credentials, Envelope, Event, ForwardPath, Host, Mailbox,
//!     ReversePath, Stage};
//!
//! // A submission server: STARTTLS, then AUTH; one local user exists.
//! let policy = Policy::new()
//!     .with_starttls(true)
//!     .with_user("alice@example.test", "s3cret")
//!     .with_recipients(["bob@example.test"]);
//! let mut server = Server::new(policy);
//! let mut client = Client::new(Config::new(Host::parse("client.example")?), Instant::now());
//! let envelope = Envelope::new(
//!     ReversePath::from(Mailbox::parse("alice@example.test")?),
//!     [
//!         ForwardPath::from(Mailbox::parse("bob@example.test")?),
//!         ForwardPath::from(Mailbox::parse("nobody@example.test")?),
//!     ],
//! );
//! let outcome = Plan::new()
//!     .authenticate(Credentials::password("alice@example.test", "s3cret"))
//!     .send(envelope, b"Subject: hi\r\n\r\nHello Bob.\r\n".to_vec())
//!     .run(&mut client, &mut server, Instant::now());
//!
//! assert_eq!(outcome.end, End::Closed);
//! assert!(server.is_tls());
//! // The unknown user was refused at RCPT, with a diagnosis; Bob got the message.
//! let refused = outcome.events.iter().find_map(|event| match event {
//!     Event::Rejected(rejection) => Some(rejection),
//!     _ => None,
//! });
//! assert_eq!(refused.map(|r| (r.stage, r.diagnosis.class().as_str())), Some((Stage::Rcpt, "recipient_unknown")));
//! assert_eq!(server.messages().len(), 1);
//! assert_eq!(server.messages()[0].to.len(), 1);
//! assert_eq!(server.messages()[0].authenticated_as.as_deref(), Some("alice@example.test"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod drive;
mod policy;
mod script;
#[cfg(any(feature = "tokio", feature = "blocking"))]
mod serve;
mod server;
mod transcript;

pub use drive::{End, Outcome, Plan, Turn, run};
pub use policy::Policy;
pub use script::{Answer, Script};
pub use server::{ReceivedMessage, Server};
pub use transcript::{Transcript, TranscriptError};

#[cfg(feature = "tokio")]
pub use serve::serve;
#[cfg(feature = "blocking")]
pub use serve::serve_blocking;

#[cfg(test)]
mod tests;
