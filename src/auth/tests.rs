//! Known-answer vectors from the RFCs and vendor documents, odd server behaviour, error
//! challenges, and redaction.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;

fn password() -> Credentials {
    Credentials::password("tim", "tanstaaftanstaaf")
}

fn token() -> Credentials {
    Credentials::oauth2(
        "someuser@example.com",
        "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    )
}

fn start(mechanism: Mechanism, credentials: &Credentials) -> SaslClient {
    SaslClient::new(mechanism, credentials, SaslOptions::default()).expect("the exchange starts")
}

/// Decodes a 334 text and answers it, returning the answer's base64.
fn answer(client: &mut SaslClient, text: &str) -> String {
    let challenge = decode_challenge(text.as_bytes()).expect("base64 challenge");
    let response = client.respond(&challenge).expect("an answer");
    encode_response(&response).expose_secret().clone()
}

fn initial(client: &mut SaslClient) -> String {
    let response = client.initial_response().expect("an initial response");
    encode_initial_response(&response).expose_secret().clone()
}

/// Every secret in these tests; none may show in any `Debug` output.
const SECRETS: &[&str] = &[
    "tanstaaftanstaaf",
    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    "pencil",
    "xipj3plmq",
];

fn assert_redacted(value: &impl std::fmt::Debug) {
    let shown = format!("{value:?} {value:#?}");
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret:?} shows in {shown}");
    }
    // The base64 forms of the PLAIN message must not show either.
    assert!(!shown.contains("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"));
}

#[test]
fn plain_rfc4616_examples() {
    // RFC 4616 s4: "\0tim\0tanstaaftanstaaf" and "Ursel\0Kurt\0xipj3plmq".
    let mut client = start(Mechanism::Plain, &password());
    assert!(!client.is_complete());
    assert_eq!(initial(&mut client), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    assert!(client.is_complete());
    assert!(client.initial_response().is_none(), "handed out once");
    assert_redacted(&client);

    let kurt = Credentials::password("Kurt", "xipj3plmq");
    let options = SaslOptions::default().with_authorization_id("Ursel");
    let mut client = SaslClient::new(Mechanism::Plain, &kurt, options).expect("starts");
    let message = client.initial_response().expect("initial response");
    assert_eq!(message.expose_secret(), b"Ursel\0Kurt\0xipj3plmq");
    assert_redacted(&client);
}

#[test]
fn plain_after_an_empty_challenge() {
    // RFC 4422 s5: AUTH PLAIN without the initial response, then "334 ".
    let mut client = start(Mechanism::Plain, &password());
    assert_eq!(answer(&mut client, ""), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    assert!(client.is_complete());
    let again = client.respond(b"");
    assert!(matches!(
        again,
        Err(SaslError::UnexpectedChallenge { number: 2, .. })
    ));
}

#[test]
fn plain_refuses_nul_and_empty_values() {
    for credentials in [
        Credentials::password("t\0m", "pw"),
        Credentials::password("tim", "p\0w"),
        Credentials::password("", "pw"),
        Credentials::password("tim", ""),
    ] {
        let err = SaslClient::new(Mechanism::Plain, &credentials, SaslOptions::default())
            .expect_err("refused");
        assert!(matches!(err, SaslError::InvalidInput { .. }), "{err}");
    }
    let options = SaslOptions::default().with_authorization_id("a\0b");
    assert!(SaslClient::new(Mechanism::Plain, &password(), options).is_err());
}

#[test]
fn plain_with_a_challenge_before_the_initial_response_is_refused() {
    let mut client = start(Mechanism::Plain, &password());
    assert!(matches!(
        client.respond(b"hello"),
        Err(SaslError::UnexpectedChallenge { number: 1, .. })
    ));
    // The initial response is still there for an empty challenge.
    assert_eq!(answer(&mut client, ""), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

#[test]
fn login_answers_by_order_whatever_the_challenges_say() {
    // Username:/Password:, lower case, empty, other text, and the prompts swapped.
    let prompts: &[(&str, &str)] = &[
        ("VXNlcm5hbWU6", "UGFzc3dvcmQ6"),
        ("dXNlcm5hbWU6", "cGFzc3dvcmQ6"),
        ("", ""),
        ("VXNlciBOYW1lAA==", "UGFzc3dvcmQA"),
        ("QmVudXR6ZXJuYW1lOg==", "UGFzc3dvcnQ6"),
        ("UGFzc3dvcmQ6", "VXNlcm5hbWU6"),
    ];
    for &(first, second) in prompts {
        let mut client = start(Mechanism::Login, &password());
        assert!(client.initial_response().is_none());
        assert_eq!(answer(&mut client, first), "dGlt");
        assert!(!client.is_complete());
        assert_eq!(answer(&mut client, second), "dGFuc3RhYWZ0YW5zdGFhZg==");
        assert!(client.is_complete());
        assert_redacted(&client);
        let third = client.respond(b"Password:");
        assert!(
            matches!(third, Err(SaslError::UnexpectedChallenge { number: 3, .. })),
            "{third:?}"
        );
    }
}

#[test]
fn login_refuses_an_authorization_identity() {
    let options = SaslOptions::default().with_authorization_id("someone");
    let err = SaslClient::new(Mechanism::Login, &password(), options).expect_err("refused");
    assert_eq!(
        err,
        SaslError::AuthorizationIdUnsupported {
            mechanism: Mechanism::Login
        }
    );
}

#[test]
fn xoauth2_known_answer() {
    // The example in Google's XOAUTH2 protocol document.
    let mut client = start(Mechanism::XOAuth2, &token());
    assert_eq!(
        initial(&mut client),
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    );
    assert!(client.is_complete());
    assert_eq!(client.server_error(), None);
    assert_redacted(&client);
}

#[test]
fn xoauth2_error_challenge_gets_an_empty_answer() {
    let mut client = start(Mechanism::XOAuth2, &token());
    client.initial_response();
    let json = br#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;
    let response = client
        .respond(&decode_challenge(STANDARD.encode(json).as_bytes()).expect("base64"))
        .expect("answered");
    assert!(response.expose_secret().is_empty());
    assert_eq!(client.server_error(), Some(&json[..]));
    assert!(client.is_complete());
    assert!(matches!(
        client.respond(b"{}"),
        Err(SaslError::UnexpectedChallenge { .. })
    ));
}

#[test]
fn oauthbearer_message_and_error_challenge() {
    // RFC 7628 s4.1's message without the optional host and port pairs.
    let credentials = Credentials::oauth2(
        "user@example.com",
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
    );
    let mut client = start(Mechanism::OAuthBearer, &credentials);
    let message = client.initial_response().expect("initial response");
    assert_eq!(
        message.expose_secret(),
        b"n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
    );
    // RFC 7628 s4.3: the server's error challenge, answered with a single %x01 ("AQ==").
    let challenge = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";
    assert_eq!(answer(&mut client, challenge), "AQ==");
    let error = client.server_error().expect("kept");
    assert!(error.starts_with(br#"{"status":"invalid_token""#));
    assert!(client.is_complete());
}

#[test]
fn oauthbearer_escapes_the_user_and_takes_an_authorization_identity() {
    let credentials = Credentials::oauth2("a,b=c", "tok");
    let mut client = start(Mechanism::OAuthBearer, &credentials);
    let message = client.initial_response().expect("initial response");
    assert!(message.expose_secret().starts_with(b"n,a=a=2Cb=3Dc,\x01"));

    let options = SaslOptions::default().with_authorization_id("boss@example.com");
    let mut client =
        SaslClient::new(Mechanism::OAuthBearer, &credentials, options).expect("starts");
    let message = client.initial_response().expect("initial response");
    assert!(
        message
            .expose_secret()
            .starts_with(b"n,a=boss@example.com,\x01")
    );
}

#[test]
fn tokens_that_would_break_the_framing_are_refused() {
    for bad in ["", "a b", "a\x01b", "a\r\nb", "tök"] {
        for mechanism in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
            let credentials = Credentials::oauth2("user@example.com", bad);
            let err = SaslClient::new(mechanism.clone(), &credentials, SaslOptions::default())
                .expect_err("refused");
            assert!(
                matches!(err, SaslError::InvalidInput { field: "token", .. }),
                "{mechanism} {bad:?}: {err}"
            );
        }
    }
    let credentials = Credentials::oauth2("user\x01x", "tok");
    assert!(SaslClient::new(Mechanism::XOAuth2, &credentials, SaslOptions::default()).is_err());
}

#[test]
fn credentials_must_fit_the_mechanism() {
    let err =
        SaslClient::new(Mechanism::Plain, &token(), SaslOptions::default()).expect_err("refused");
    assert_eq!(
        err,
        SaslError::WrongCredentials {
            mechanism: Mechanism::Plain,
            expected: "a password",
            found: "an OAuth 2.0 token",
        }
    );
    let err = SaslClient::new(Mechanism::XOAuth2, &password(), SaslOptions::default())
        .expect_err("refused");
    assert!(matches!(err, SaslError::WrongCredentials { .. }));
    assert_eq!(
        err.to_string(),
        "XOAUTH2 needs an OAuth 2.0 token, but the credentials hold a password"
    );
}

#[test]
fn mechanisms_without_a_client_are_refused() {
    for mechanism in [
        Mechanism::Gssapi,
        Mechanism::DigestMd5,
        Mechanism::Other("X-UNKNOWN".into()),
    ] {
        let err = SaslClient::new(mechanism.clone(), &password(), SaslOptions::default())
            .expect_err("refused");
        assert!(matches!(err, SaslError::UnsupportedMechanism { .. }));
        assert!(!SaslClient::supports(&mechanism));
    }
}

#[test]
fn bad_base64_is_a_typed_error() {
    for text in ["not base64!", "QUJD*", "A"] {
        let err = decode_challenge(text.as_bytes()).expect_err("refused");
        assert!(
            matches!(&err, SaslError::ChallengeNotBase64 { found, .. } if found == text),
            "{text}: {err}"
        );
    }
    // Tolerated: surrounding spaces, missing padding, an empty text, a lone "=".
    assert_eq!(
        decode_challenge(b" VXNlcm5hbWU6 ").expect("ok"),
        b"Username:"
    );
    assert_eq!(decode_challenge(b"QUI").expect("ok"), b"AB");
    assert_eq!(decode_challenge(b"").expect("ok"), b"");
    assert_eq!(decode_challenge(b"=").expect("ok"), b"");
}

#[test]
fn empty_initial_response_is_an_equals_sign() {
    let empty = crate::Secret::new(Vec::new());
    assert_eq!(encode_initial_response(&empty).expose_secret(), "=");
    assert_eq!(encode_response(&empty).expose_secret(), "");
}

#[test]
fn debug_output_never_shows_a_secret() {
    assert_redacted(&password());
    assert_redacted(&token());
    assert_redacted(&Credentials::password("Kurt", "xipj3plmq"));
    assert!(
        format!("{:?}", password()).contains("tim"),
        "the user is shown"
    );
    for mechanism in supported_mechanisms() {
        let credentials = if matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) {
            token()
        } else {
            password()
        };
        let options = SaslOptions::default().with_client_nonce("rOprNGfwEbeRWgbNEkqO");
        let mut client = SaslClient::new(mechanism, &credentials, options).expect("starts");
        assert_redacted(&client);
        if let Some(response) = client.initial_response() {
            assert_redacted(&response);
        }
        if let Ok(response) = client.respond(b"<1896.697170952@postoffice.reston.mci.net>") {
            assert_redacted(&response);
        }
        assert_redacted(&client);
    }
}

#[test]
fn choose_mechanism_prefers_the_strongest_offered() {
    let allowed = supported_mechanisms();
    let everything = [
        Mechanism::Login,
        Mechanism::Plain,
        Mechanism::CramMd5,
        Mechanism::ScramSha256,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::Gssapi,
    ];
    let best_password = if cfg!(feature = "scram") {
        Mechanism::ScramSha256
    } else if cfg!(feature = "cram-md5") {
        Mechanism::CramMd5
    } else {
        Mechanism::Plain
    };
    assert_eq!(
        choose_mechanism(&everything, &password(), &allowed),
        Some(best_password)
    );
    assert_eq!(
        choose_mechanism(&everything, &token(), &allowed),
        Some(Mechanism::OAuthBearer)
    );
    assert_eq!(
        choose_mechanism(&[Mechanism::Login], &password(), &allowed),
        Some(Mechanism::Login)
    );
    assert_eq!(
        choose_mechanism(&[Mechanism::Login, Mechanism::Plain], &password(), &allowed),
        Some(Mechanism::Plain)
    );
    assert_eq!(
        choose_mechanism(&[Mechanism::XOAuth2, Mechanism::Plain], &token(), &allowed),
        Some(Mechanism::XOAuth2)
    );
    // Nothing for this kind of credentials, or nothing allowed.
    assert_eq!(
        choose_mechanism(&[Mechanism::Plain], &token(), &allowed),
        None
    );
    assert_eq!(choose_mechanism(&[], &password(), &allowed), None);
    assert_eq!(
        choose_mechanism(&everything, &password(), &[Mechanism::Login]),
        Some(Mechanism::Login)
    );
    // A mechanism the build lacks is never chosen, even if allowed and offered.
    assert_eq!(
        choose_mechanism(&[Mechanism::Gssapi], &password(), &[Mechanism::Gssapi]),
        None
    );
}

#[test]
fn supported_mechanisms_follow_the_features() {
    let supported = supported_mechanisms();
    assert!(supported.contains(&Mechanism::Plain));
    assert!(supported.contains(&Mechanism::Login));
    assert!(supported.contains(&Mechanism::XOAuth2));
    assert!(supported.contains(&Mechanism::OAuthBearer));
    assert_eq!(
        supported.contains(&Mechanism::CramMd5),
        cfg!(feature = "cram-md5")
    );
    assert_eq!(
        supported.contains(&Mechanism::ScramSha256),
        cfg!(feature = "scram")
    );
}

#[cfg(not(feature = "cram-md5"))]
#[test]
fn cram_md5_without_the_feature_says_how_to_get_it() {
    let err = SaslClient::new(Mechanism::CramMd5, &password(), SaslOptions::default())
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "no client for SASL mechanism CRAM-MD5 in this build (enable the `cram-md5` feature)"
    );
}

#[cfg(feature = "cram-md5")]
mod cram_md5 {
    use super::*;

    #[test]
    fn rfc2195_example() {
        let mut client = start(Mechanism::CramMd5, &password());
        assert!(client.initial_response().is_none());
        assert!(!client.is_complete());
        // RFC 2195 s2: S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
        //              C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
        assert_eq!(
            answer(
                &mut client,
                "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
            ),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        assert!(client.is_complete());
        assert!(!client.server_verified());
        assert_redacted(&client);
        assert!(matches!(
            client.respond(b"again"),
            Err(SaslError::UnexpectedChallenge { number: 2, .. })
        ));
    }

    #[test]
    fn empty_challenge_is_refused() {
        let mut client = start(Mechanism::CramMd5, &password());
        assert!(matches!(
            client.respond(b""),
            Err(SaslError::MalformedChallenge { .. })
        ));
    }
}

#[cfg(not(feature = "scram"))]
#[test]
fn scram_without_the_feature_says_how_to_get_it() {
    let err = SaslClient::new(Mechanism::ScramSha256, &password(), SaslOptions::default())
        .expect_err("refused");
    assert!(err.to_string().contains("enable the `scram` feature"));
}

#[cfg(feature = "scram")]
mod scram {
    use super::*;

    // RFC 7677 s3.
    const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &[u8] =
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc7677_client() -> SaslClient {
        let credentials = Credentials::password("user", "pencil");
        let options = SaslOptions::default().with_client_nonce(CLIENT_NONCE);
        SaslClient::new(Mechanism::ScramSha256, &credentials, options).expect("starts")
    }

    #[test]
    fn rfc7677_exchange() {
        let mut client = rfc7677_client();
        let first = client.initial_response().expect("client-first");
        assert_eq!(first.expose_secret(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let last = client.respond(SERVER_FIRST).expect("client-final");
        assert_eq!(last.expose_secret(), CLIENT_FINAL);
        assert!(!client.is_complete(), "not before the server signature");
        assert!(!client.server_verified());
        assert_redacted(&client);
        let empty = client.respond(SERVER_FINAL).expect("verified");
        assert!(empty.expose_secret().is_empty());
        assert!(client.is_complete());
        assert!(client.server_verified());
        assert!(matches!(
            client.respond(b""),
            Err(SaslError::UnexpectedChallenge { .. })
        ));
    }

    #[test]
    fn a_wrong_server_signature_is_refused() {
        let mut client = rfc7677_client();
        client.initial_response();
        client.respond(SERVER_FIRST).expect("client-final");
        let err = client
            .respond(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .expect_err("refused");
        assert!(matches!(err, SaslError::ServerSignatureMismatch { .. }));
        assert!(!client.is_complete());
        assert!(!client.server_verified());
    }

    #[test]
    fn server_errors_and_malformed_finals() {
        let mut client = rfc7677_client();
        client.initial_response();
        client.respond(SERVER_FIRST).expect("client-final");
        assert_eq!(
            client.respond(b"e=invalid-proof"),
            Err(SaslError::ServerError {
                mechanism: Mechanism::ScramSha256,
                message: "invalid-proof".into()
            })
        );
        assert!(matches!(
            client.respond(b"x=1"),
            Err(SaslError::MalformedChallenge { .. })
        ));
    }

    #[test]
    fn server_first_is_checked() {
        type IsExpected = fn(&SaslError) -> bool;
        let cases: &[(&[u8], IsExpected)] = &[
            // The server nonce must extend the client's.
            (b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", |e| {
                matches!(e, SaslError::NonceMismatch { .. })
            }),
            (
                b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                |e| matches!(e, SaslError::NonceMismatch { .. }),
            ),
            // RFC 7677 s4: at least 4096 iterations; and not more than the cap.
            (
                b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",
                |e| matches!(e, SaslError::IterationCount { found: 4095, .. }),
            ),
            (
                b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001",
                |e| {
                    matches!(
                        e,
                        SaslError::IterationCount {
                            found: 1_000_001,
                            ..
                        }
                    )
                },
            ),
            (
                b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999",
                |e| matches!(e, SaslError::MalformedChallenge { .. }),
            ),
            (
                b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=+4096",
                |e| matches!(e, SaslError::MalformedChallenge { .. }),
            ),
            // Mandatory extension, fields missing or out of order, bad salt.
            (
                b"m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                |e| matches!(e, SaslError::MandatoryExtension { .. }),
            ),
            (
                b"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOx,i=4096",
                |e| matches!(e, SaslError::MalformedChallenge { .. }),
            ),
            (b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==", |e| {
                matches!(e, SaslError::MalformedChallenge { .. })
            }),
            (b"r=rOprNGfwEbeRWgbNEkqOx,s=!!!,i=4096", |e| {
                matches!(e, SaslError::MalformedChallenge { .. })
            }),
            (b"r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096", |e| {
                matches!(e, SaslError::MalformedChallenge { .. })
            }),
            (b"", |e| matches!(e, SaslError::MalformedChallenge { .. })),
        ];
        for (server_first, expected) in cases {
            let mut client = rfc7677_client();
            client.initial_response();
            let err = client.respond(server_first).expect_err("refused");
            assert!(
                expected(&err),
                "{}: {err}",
                String::from_utf8_lossy(server_first)
            );
        }
    }

    #[test]
    fn a_lower_cap_is_honoured_and_extensions_are_ignored() {
        let credentials = Credentials::password("user", "pencil");
        let options = SaslOptions::default()
            .with_client_nonce(CLIENT_NONCE)
            .with_max_scram_iterations(5000);
        let mut client =
            SaslClient::new(Mechanism::ScramSha256, &credentials, options).expect("starts");
        client.initial_response();
        let err = client
            .respond(b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=5001")
            .expect_err("over the cap");
        assert_eq!(
            err.to_string(),
            "SCRAM-SHA-256: expected an iteration count from 4096 to 5000 (RFC 7677 s4), found 5001"
        );
        let mut client = rfc7677_client();
        client.initial_response();
        let mut with_extension = SERVER_FIRST.to_vec();
        with_extension.extend_from_slice(b",x=future");
        assert!(client.respond(&with_extension).is_ok());
    }

    #[test]
    fn names_are_escaped_and_inputs_checked() {
        let credentials = Credentials::password("us,er=", "pencil");
        let options = SaslOptions::default()
            .with_client_nonce("abc")
            .with_authorization_id("ad=min");
        let mut client =
            SaslClient::new(Mechanism::ScramSha256, &credentials, options).expect("starts");
        let first = client.initial_response().expect("client-first");
        assert_eq!(first.expose_secret(), b"n,a=ad=3Dmin,n=us=2Cer=3D,r=abc");

        let missing = SaslClient::new(Mechanism::ScramSha256, &credentials, SaslOptions::default());
        assert!(matches!(missing, Err(SaslError::MissingClientNonce { .. })));
        for nonce in ["", "a,b", "a b", "é"] {
            let options = SaslOptions::default().with_client_nonce(nonce);
            let err = SaslClient::new(Mechanism::ScramSha256, &credentials, options)
                .expect_err("refused");
            assert!(
                matches!(
                    err,
                    SaslError::InvalidInput {
                        field: "client nonce",
                        ..
                    }
                ),
                "{nonce:?}"
            );
        }
        let options = SaslOptions::default().with_client_nonce("abc");
        let nul = Credentials::password("a\0b", "pencil");
        assert!(SaslClient::new(Mechanism::ScramSha256, &nul, options).is_err());
    }

    #[test]
    fn client_first_after_an_empty_challenge() {
        let mut client = rfc7677_client();
        let first = client.respond(b"").expect("client-first");
        assert_eq!(first.expose_secret(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        assert_eq!(
            client
                .respond(SERVER_FIRST)
                .expect("client-final")
                .expose_secret(),
            CLIENT_FINAL
        );
    }
}
