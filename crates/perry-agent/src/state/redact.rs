//! `{:?}` of the types that hold the token or credentials: the secret parts print as
//! `<redacted>`, so a debug log line, a panic message or an assertion never carries them.

use std::fmt;

/// Prints `<redacted>` in place of a secret.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// An optional secret as `None` or `Some(<redacted>)`: whether it is set, never what it is.
pub fn secret<T>(value: &Option<T>) -> Option<Redacted> {
    value.as_ref().map(|_| Redacted)
}

/// A map whose values may be secrets, given by its keys: each key with `<redacted>`.
pub struct RedactedValues<I>(pub I);

impl<I> fmt::Debug for RedactedValues<I>
where
    I: Iterator + Clone,
    I::Item: fmt::Debug,
{
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_map()
            .entries(self.0.clone().map(|key| (key, Redacted)))
            .finish()
    }
}
