//! The rule for workspace names: they become container, volume and host names.

use crate::error::ApiError;

/// The rule, as people read it in error messages.
pub const NAME_RULE: &str = "1 to 63 characters, lowercase letters, digits and '-', starting and ending with a letter or digit";

/// Accepts `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`: a valid DNS label, so also a valid hostname.
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    let bytes = name.as_bytes();
    let allowed = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    let valid = !bytes.is_empty()
        && bytes.len() <= 63
        && allowed(&bytes[0])
        && allowed(&bytes[bytes.len() - 1])
        && bytes.iter().all(|byte| allowed(byte) || *byte == b'-');
    if valid {
        return Ok(());
    }
    Err(ApiError::BadRequest(format!(
        "Invalid workspace name {name:?}: use {NAME_RULE}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for name in ["a", "alpha", "a1", "my-workspace", "0", &"x".repeat(63)] {
            assert!(validate_name(name).is_ok(), "{name} should be valid");
        }
    }

    #[test]
    fn refuses_everything_else_and_states_the_rule() {
        for name in [
            "",
            "-a",
            "a-",
            "Alpha",
            "a_b",
            "a.b",
            "a b",
            "ä",
            "../x",
            &"x".repeat(64),
        ] {
            let error = validate_name(name).unwrap_err();
            assert!(error.to_string().contains(NAME_RULE), "{error}");
        }
    }
}
