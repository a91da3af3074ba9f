//! Whole server scripts for [`testing::Server`](crate::testing::Server).

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::testing::{Answer, Policy, Script};

/// A server policy: which extensions it offers (PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8,
/// ENHANCEDSTATUSCODES, STARTTLS each on or off), a size limit or none, AUTH before TLS or
/// not, one account (`user@example.test` / `password`), and whether it accepts every
/// recipient or only `bob@example.test` and `carol@example.test`.
pub fn policy() -> impl Strategy<Value = Policy> {
    (
        [any::<bool>(); 5],
        any::<bool>(),
        option::of(prop_oneof![Just(100u64), Just(10_000), 1u64..100_000_000]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(extensions, starttls, size, auth, auth_before_tls, known_recipients)| {
                let names = [
                    "PIPELINING",
                    "CHUNKING",
                    "8BITMIME",
                    "SMTPUTF8",
                    "ENHANCEDSTATUSCODES",
                ];
                let mut policy = Policy::new()
                    .with_starttls(starttls)
                    .with_size_limit(size)
                    .with_auth_before_tls(auth_before_tls);
                for (name, offered) in names.into_iter().zip(extensions) {
                    policy = policy.with_extension(name, offered);
                }
                if auth {
                    policy = policy.with_user("user@example.test", "password");
                }
                if known_recipients {
                    policy = policy.with_recipients(["bob@example.test", "carol@example.test"]);
                }
                policy
            },
        )
}

/// One answer: mostly the policy's, then refusals (transient and permanent, with the codes
/// the RFCs list for whatever command it lands on), and rarely a `421` or a hang-up.
pub fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        20 => Just(Answer::Policy),
        3 => any::<u8>().prop_map(|pick| Answer::Refuse { permanent: false, pick }),
        3 => any::<u8>().prop_map(|pick| Answer::Refuse { permanent: true, pick }),
        1 => Just(Answer::ServiceClosing),
        1 => Just(Answer::HangUp),
    ]
}

/// A whole server: a [`policy`], up to 40 answers (so refusals, `421` and hang-ups fall at
/// random points: the greeting, EHLO, STARTTLS, AUTH, any command of a pipelined group,
/// the end of the data), and the output delivered in pieces as small as one octet.
///
/// Every reply the server gives is legal for the command it answers, and pipelined commands
/// get their replies in order, together (RFC 2920 s3.1): what a client must handle.
pub fn server_script() -> impl Strategy<Value = Script> {
    (
        policy(),
        vec(answer(), 0..40),
        prop_oneof![
            2 => Just(Vec::new()),
            1 => vec(1usize..64, 1..8),
            1 => Just(vec![1]),
        ],
    )
        .prop_map(|(policy, answers, splits)| Script {
            policy,
            answers,
            splits,
        })
}
