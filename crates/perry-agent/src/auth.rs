//! The bearer token check in front of every API and WebSocket route.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Agent;
use crate::error::ApiError;

/// Whether requests need the token, and which.
#[derive(Clone)]
pub struct AuthSettings {
    pub enabled: bool,
    token: String,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never goes into logs.
        f.debug_struct("AuthSettings")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl AuthSettings {
    /// Auth with `token`, on or off.
    pub fn new(enabled: bool, token: &str) -> AuthSettings {
        AuthSettings {
            enabled,
            token: token.to_owned(),
        }
    }

    /// Compares in constant time; hashing first hides the token's length too.
    pub fn accepts(&self, presented: &str) -> bool {
        let expected = Sha256::digest(self.token.as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        !self.token.is_empty() && bool::from(expected.ct_eq(&presented))
    }
}

/// The token a request presents: `Authorization: Bearer <token>`, or `?token=` where the client
/// cannot set headers (browsers opening a WebSocket).
fn presented_token(request: &Request, allow_query: bool) -> Option<String> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    if !allow_query {
        return None;
    }
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

/// Middleware for `/rpc`: header only.
pub async fn require_token(
    State(agent): State<Arc<Agent>>,
    request: Request,
    next: Next,
) -> Response {
    check(&agent, request, next, false).await
}

/// Middleware for WebSocket routes: header or `?token=`.
pub async fn require_token_or_query(
    State(agent): State<Arc<Agent>>,
    request: Request,
    next: Next,
) -> Response {
    check(&agent, request, next, true).await
}

async fn check(agent: &Agent, request: Request, next: Next, allow_query: bool) -> Response {
    if !agent.auth.enabled {
        return next.run(request).await;
    }
    match presented_token(&request, allow_query) {
        Some(token) if agent.auth.accepts(&token) => next.run(request).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_is_accepted() {
        let auth = AuthSettings::new(true, "secret-token");
        assert!(auth.accepts("secret-token"));
        for wrong in [
            "",
            "secret",
            "secret-token ",
            "SECRET-TOKEN",
            "secret-token-and-more",
        ] {
            assert!(!auth.accepts(wrong), "{wrong:?} must be refused");
        }
    }

    #[test]
    fn an_empty_configured_token_accepts_nothing() {
        assert!(!AuthSettings::new(true, "").accepts(""));
    }

    #[test]
    fn debug_output_hides_the_token() {
        assert!(!format!("{:?}", AuthSettings::new(true, "hunter2")).contains("hunter2"));
    }
}
