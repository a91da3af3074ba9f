//! SASL authentication (RFC 4954): mechanism names and the client side of each exchange.

mod mechanism;

pub use mechanism::{InvalidMechanism, Mechanism};
