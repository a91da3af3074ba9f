//! The README's send, against a real server: STARTTLS, AUTH, one message, QUIT.
//!
//! ```text
//! SMTP_SERVER=smtp.example.org:587 SMTP_USER=me@example.org SMTP_PASSWORD=... \
//!     MAIL_FROM=me@example.org MAIL_TO=you@example.net cargo run --example send_minimal
//! ```

use smtp_sansio::{Config, Credentials, Envelope, Host, tokio::Connection};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = Config::new(Host::parse("[0.0.0.0]")?) // the connection's own address
        .with_credentials(Credentials::password(
            var("SMTP_USER")?,
            var("SMTP_PASSWORD")?,
        ));
    let mut smtp = Connection::connect(&var("SMTP_SERVER")?, config).await?;
    let envelope = Envelope::parse(&var("MAIL_FROM")?, [var("MAIL_TO")?])?;
    let outcome = smtp
        .send(&envelope, b"Subject: hello\r\n\r\nHello.\r\n")
        .await?;
    match outcome.diagnosis() {
        None => println!("accepted"),
        Some(why) => eprintln!("{why}"),
    }
    smtp.quit().await?;
    Ok(())
}
