//! Commands and their parameters.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::address::{forward_path, host, mailbox, reverse_path};
use crate::address::{ForwardPath, ReversePath};
use crate::auth::Mechanism;
use crate::client::Envelope;
use crate::command::params::is_typed_keyword;
use crate::command::{Body, Command, EsmtpParam, MailParams, Notify, Orcpt, RcptParams, Ret};
use crate::secret::Secret;

/// A raw parameter with a keyword no typed field uses.
pub fn esmtp_param() -> impl Strategy<Value = EsmtpParam> {
    (
        "(X-[A-Z0-9]{1,6}|HOLDFOR|BY|[a-z][a-z0-9-]{0,8})",
        option::of("[!-<>-~]{1,12}"),
    )
        .prop_filter_map("not a typed keyword", |(keyword, value)| {
            if is_typed_keyword(&keyword) {
                return None;
            }
            EsmtpParam::new(&keyword, value.as_deref()).ok()
        })
}

/// MAIL parameters, each present about half of the time.
pub fn mail_params() -> impl Strategy<Value = MailParams> {
    (
        option::of(any::<u64>()),
        option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        option::of("[!-~]{1,30}"),
        option::of(reverse_path()),
        any::<bool>(),
        option::of(-9i8..=9),
        vec(esmtp_param(), 0..3),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, auth, requiretls, mt_priority, other)| MailParams {
                size,
                body,
                smtputf8,
                ret,
                envid,
                auth,
                requiretls,
                mt_priority,
                other,
            },
        )
}

/// `NOTIFY=` values: `NEVER` or a non-empty set.
pub fn notify() -> impl Strategy<Value = Notify> {
    prop_oneof![
        Just(Notify::Never),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_filter("at least one", |(s, f, d)| *s || *f || *d)
            .prop_map(|(success, failure, delay)| Notify::On {
                success,
                failure,
                delay
            }),
    ]
}

/// `ORCPT=` values: `rfc822` with printable ASCII, `utf-8` with any text.
pub fn orcpt() -> impl Strategy<Value = Orcpt> {
    prop_oneof![
        "[ -~]{1,40}".prop_filter_map("valid", |a| Orcpt::new("rfc822", &a).ok()),
        "[a-zé中+=\\\\ @.]{1,20}".prop_filter_map("valid", |a| Orcpt::new("utf-8", &a).ok()),
        mailbox().prop_filter_map("valid", |m| Orcpt::for_mailbox(&m).ok()),
    ]
}

/// RCPT parameters.
pub fn rcpt_params() -> impl Strategy<Value = RcptParams> {
    (
        option::of(notify()),
        option::of(orcpt()),
        vec(esmtp_param(), 0..3),
    )
        .prop_map(|(notify, orcpt, other)| RcptParams {
            notify,
            orcpt,
            other,
        })
}

/// A SASL mechanism, registered or not.
pub fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Login),
        Just(Mechanism::XOAuth2),
        Just(Mechanism::CramMd5),
        "[A-Za-z0-9_-]{1,20}".prop_filter_map("valid", |n| Mechanism::from_name(n.as_bytes())),
    ]
}

/// Text for VRFY, EXPN, HELP and NOOP: anything but CR, LF and NUL.
fn text() -> impl Strategy<Value = String> {
    "[ -~\té中\u{1}]{1,40}"
}

/// Any command line a client may write (SASL lines included).
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        host().prop_map(Command::Helo),
        host().prop_map(Command::Ehlo),
        host().prop_map(Command::Lhlo),
        (reverse_path(), mail_params()).prop_map(|(from, params)| Command::Mail { from, params }),
        (forward_path(), rcpt_params()).prop_map(|(to, params)| Command::Rcpt { to, params }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(Command::Vrfy),
        text().prop_map(Command::Expn),
        option::of(text()).prop_map(Command::Help),
        option::of(text()).prop_map(Command::Noop),
        Just(Command::Quit),
        Just(Command::StartTls),
        (mechanism(), option::of(vec(any::<u8>(), 0..200))).prop_map(|(mechanism, initial)| {
            Command::Auth {
                mechanism,
                initial_response: initial.map(Secret::new),
            }
        }),
        vec(any::<u8>(), 0..600).prop_map(|data| Command::AuthResponse(Secret::new(data))),
        Just(Command::AuthCancel),
    ]
}

/// An envelope: a reverse path and one to five recipients.
pub fn envelope() -> impl Strategy<Value = Envelope> {
    (reverse_path(), vec(forward_path(), 1..6)).prop_map(|(from, to)| Envelope::new(from, to))
}

/// An envelope `policy`'s server can take: ASCII addresses unless it offers SMTPUTF8, the
/// recipients it knows when it names some (with now and then one it does not, to be refused
/// at RCPT), and an ordinary sender.
pub fn envelope_for(policy: &crate::testing::Policy) -> impl Strategy<Value = Envelope> + use<> {
    let utf8 = policy.offers("SMTPUTF8");
    let known = policy.recipients.clone();
    let sender = prop_oneof![
        Just(ReversePath::Null),
        "[a-z]{1,8}".prop_map(|user| {
            ReversePath::parse(&format!("{user}@example.org")).unwrap_or(ReversePath::Null)
        }),
    ];
    let recipient = move || -> BoxedStrategy<ForwardPath> {
        let ascii = "[a-z]{1,8}".prop_map(|user| {
            ForwardPath::parse(&format!("{user}@example.test")).unwrap_or(ForwardPath::Postmaster)
        });
        let base = match &known {
            Some(names) if !names.is_empty() => {
                let names = names.clone();
                prop_oneof![
                    4 => (0..names.len()).prop_map(move |i| {
                        ForwardPath::parse(&names[i]).unwrap_or(ForwardPath::Postmaster)
                    }),
                    1 => ascii,
                ]
                .boxed()
            }
            _ => ascii.boxed(),
        };
        if utf8 {
            prop_oneof![4 => base, 1 => forward_path()].boxed()
        } else {
            base
        }
    };
    (sender, vec(recipient(), 1..4)).prop_map(|(from, to)| Envelope::new(from, to))
}
