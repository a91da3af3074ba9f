//! LOGIN (draft-murchison-sasl-login): the user name after the first challenge, the
//! password after the second.
//!
//! The challenges are meant to read `Username:` and `Password:`, but servers send
//! `Username:`, `username:`, `User Name`, an empty string or localized text. They are not
//! read: the order of the challenges decides what is sent, and a third challenge is an
//! error.

use super::{Mechanism, SaslError};
use crate::secret::Secret;

/// A LOGIN exchange: how many challenges it has answered.
#[derive(Debug, Clone)]
pub(super) struct Login {
    user: String,
    password: Secret<String>,
    answered: usize,
}

impl Login {
    pub(super) fn new(user: &str, password: &Secret<String>) -> Self {
        Login {
            user: user.to_owned(),
            password: password.clone(),
            answered: 0,
        }
    }

    /// Answers the next challenge, whatever it says.
    pub(super) fn respond(&mut self) -> Result<Secret<Vec<u8>>, SaslError> {
        let answer = match self.answered {
            0 => self.user.as_bytes().to_vec(),
            1 => self.password.expose_secret().as_bytes().to_vec(),
            _ => {
                return Err(SaslError::UnexpectedChallenge {
                    mechanism: Mechanism::Login,
                    number: self.answered + 1,
                    expected: "two challenges (user name, then password)",
                });
            }
        };
        self.answered += 1;
        Ok(Secret::new(answer))
    }

    pub(super) fn is_complete(&self) -> bool {
        self.answered >= 2
    }
}
