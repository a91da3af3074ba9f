//! [`Secret`]: a wrapper for credentials and SASL exchanges whose `Debug` and `Display` redact.

use std::fmt;

/// A value that must never appear in logs, transcripts or panic messages.
///
/// `Debug` and `Display` print `[redacted]`; the only way to see the value is
/// [`Secret::expose_secret`], so every place that reads a secret is easy to find.
/// On drop, byte and string secrets are overwritten before their memory is freed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T: Wipe>(T);

impl<T: Wipe> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// Returns the value. Call this only where the value is sent or checked.
    pub fn expose_secret(&self) -> &T {
        &self.0
    }
}

impl<T: Wipe> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl From<&[u8]> for Secret<Vec<u8>> {
    fn from(value: &[u8]) -> Self {
        Secret(value.to_vec())
    }
}

impl<T: Wipe> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Wipe> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Wipe> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

/// Types whose memory [`Secret`] can overwrite when it is dropped.
pub trait Wipe {
    /// Overwrites the value's bytes with zeros.
    fn wipe(&mut self);
}

impl Wipe for Vec<u8> {
    fn wipe(&mut self) {
        for byte in self.iter_mut() {
            // SAFETY: `byte` is a valid, aligned, exclusive reference; a volatile write keeps
            // the compiler from removing the store to memory that is about to be freed.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

impl Wipe for String {
    fn wipe(&mut self) {
        // Zero bytes are valid UTF-8, so the string stays well-formed.
        // SAFETY: see `Vec<u8>::wipe`; writing 0 keeps the UTF-8 invariant.
        let bytes = unsafe { self.as_mut_vec() };
        bytes.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(secret.expose_secret(), "hunter2");
        let nested = Some(Secret::from(b"pw".as_slice()));
        assert!(!format!("{nested:?}").contains("pw"));
    }
}
