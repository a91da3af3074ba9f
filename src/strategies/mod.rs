//! proptest strategies for every wire type and for whole server scripts (feature
//! `proptest`), to property-test your own SMTP code.
//!
//! Every generated value is valid and built through the public constructors (a generated
//! [`Command`](crate::Command) writes and parses back to itself, a [`reply`] parses back to
//! itself), except where a name says otherwise: [`sloppy_reply`] gives the bytes of replies
//! with the anomalies real servers produce, together with what a parser should report, and
//! [`message_body`] gives whatever octets a caller might hand to a DATA encoder.
//!
//! | Area | Strategies |
//! |---|---|
//! | addresses (ASCII and SMTPUTF8) | [`domain`], [`address_literal`], [`host`], [`local_part`], [`mailbox`], [`reverse_path`], [`forward_path`] |
//! | commands | [`command`], [`mail_params`], [`rcpt_params`], [`esmtp_param`], [`notify`], [`orcpt`], [`mechanism`], [`envelope`] |
//! | replies | [`reply_code`], [`enhanced_code`], [`reply`], [`sloppy_reply`], [`ehlo_reply`] |
//! | messages | [`message_body`], [`message`] |
//! | servers | [`policy`], [`answer`], [`server_script`] (for [`testing::Server`](crate::testing::Server)) |
//!
//! A whole client against random legal servers, on a virtual clock, in a few lines:
//!
//! ```
//! use std::time::Instant;
//! use proptest::prelude::*;
//! use smtp_sansio::strategies::{envelope, message_body, server_script};
//! use smtp_sansio::testing::{End, Plan, Server};
//! use smtp_sansio::{Client, Config, Event, Host, TlsPolicy};
//!
//! proptest!(ProptestConfig::with_cases(64), |(script in server_script(),
//!                                            envelope in envelope(),
//!                                            body in message_body())| {
//!     let mut server = Server::scripted(script);
//!     let config = Config::new(Host::parse("client.example").unwrap())
//!         .with_tls(TlsPolicy::Opportunistic);
//!     let mut client = Client::new(config, Instant::now());
//!     let outcome = Plan::new().send(envelope, body).run(&mut client, &mut server, Instant::now());
//!     // Whatever the server does, the session ends: closed, or failed with an error.
//!     prop_assert_ne!(outcome.end, End::Stalled, "{}", server.transcript());
//!     // The client never claims a delivery the server did not make.
//!     prop_assert_eq!(outcome.messages_accepted(), server.messages().len());
//! });
//! ```

mod address;
mod body;
mod command;
mod ehlo;
mod reply;
mod script;

pub use address::{address_literal, domain, forward_path, host, local_part, mailbox, reverse_path};
pub use body::{message, message_body, message_for};
pub use command::{
    command, envelope, envelope_for, esmtp_param, mail_params, mechanism, notify, orcpt,
    rcpt_params,
};
pub use ehlo::{EhloReply, ehlo_reply};
pub use reply::{SloppyReply, enhanced_code, reply, reply_code, sloppy_reply};
pub use script::{answer, policy, server_script};

#[cfg(test)]
mod tests;
