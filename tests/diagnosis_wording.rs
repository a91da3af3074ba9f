//! Diagnosis wording that says only what is known (issue 11, item 7), end to end through the
//! client engine where the engine already calls the diagnosis.

use std::time::Instant;

use smtp_sansio::address::Host;
use smtp_sansio::{Client, CloseReason, Config, DiagnosisClass, Event, TlsPolicy};

/// A 1002-line EHLO reply breaks no rule of SMTP: the limit it hits is the client's own.
#[test]
fn a_1002_line_ehlo_reply_blames_the_clients_limit_and_says_how_to_raise_it() {
    let now = Instant::now();
    let config = Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
    let mut client = Client::new(config, now);
    client.receive(now, b"220 mx.example.com ESMTP\r\n");
    let n = client.pending_output().len();
    client.consume_output(now, n);
    let mut ehlo = String::from("250-mx.example.com\r\n");
    for i in 0..1000 {
        ehlo.push_str(&format!("250-X-EXT{i}\r\n"));
    }
    ehlo.push_str("250 HELP\r\n");
    client.receive(now, ehlo.as_bytes());
    let error = loop {
        match client.poll_event() {
            Some(Event::Closed {
                reason: CloseReason::Failed { error },
            }) => break error,
            Some(_) => continue,
            None => panic!("the client accepted a reply over its line limit"),
        }
    };
    let diagnosis = error.diagnosis();
    assert_eq!(diagnosis.class(), DiagnosisClass::MalformedReply);
    let shown = diagnosis.to_string();
    assert!(
        !shown.contains("does not follow SMTP's reply format"),
        "{shown}"
    );
    assert!(
        diagnosis.summary().contains("SMTP itself sets no limit"),
        "{shown}"
    );
    assert!(diagnosis.summary().contains("client's own"), "{shown}");
    assert!(
        diagnosis
            .remedies()
            .iter()
            .any(|r| r.contains("ReplyLimits::with_max_lines")),
        "{shown}"
    );
}
