//! The bearer token check in front of every API and WebSocket route, and the throttle that stops
//! an address guessing tokens.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Agent;
use crate::error::ApiError;

/// Whether requests need the token, and which. The token can be rotated while the agent runs
/// (`settings.rotateToken`): from then on the old one is refused, and every socket opened with
/// it is closed ([`TokenWatch`]).
pub struct AuthSettings {
    pub enabled: bool,
    token: std::sync::RwLock<String>,
    /// Counts rotations; sockets opened with a token watch it.
    rotations: tokio::sync::watch::Sender<u64>,
}

/// Marks a request that came through the agent's local socket (`agent.sock`, the owner's
/// alone): the file's permissions are its authentication, as with docker.sock, so the CLI on
/// the agent's machine keeps working when the token is rotated from elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct LocalClient;

/// The close code of a socket whose token was rotated away (4001, "unauthorized" in the
/// 4000–4999 range applications own); clients take it as "sign in again".
pub const TOKEN_ROTATED_CLOSE_CODE: u16 = 4001;

/// The close frame of a socket whose token was rotated away.
pub fn token_rotated() -> crate::websocket::Frame {
    crate::websocket::close(
        TOKEN_ROTATED_CLOSE_CODE,
        "the agent's token was rotated; sign in with the new one",
    )
}

/// What a socket waits on to learn that the token it was opened with is no longer valid.
#[derive(Debug)]
pub struct TokenWatch(Option<tokio::sync::watch::Receiver<u64>>);

impl TokenWatch {
    /// Completes when the token is rotated; never for a socket that needed no token.
    pub async fn rotated(&mut self) {
        let changed = match &mut self.0 {
            Some(receiver) => receiver.changed().await.is_ok(),
            None => false,
        };
        if !changed {
            std::future::pending::<()>().await;
        }
    }
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
            token: std::sync::RwLock::new(token.to_owned()),
            rotations: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The token clients present now.
    pub fn token(&self) -> String {
        self.token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Makes `token` the only one accepted, and closes every socket opened with the old one.
    pub fn replace_token(&self, token: &str) {
        *self
            .token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = token.to_owned();
        self.rotations.send_modify(|count| *count += 1);
    }

    /// What a socket opened now watches: `local` sockets, and every socket when auth is off,
    /// outlive rotations.
    pub fn watch(&self, local: bool) -> TokenWatch {
        TokenWatch((self.enabled && !local).then(|| self.rotations.subscribe()))
    }

    /// Compares in constant time; hashing first hides the token's length too.
    pub fn accepts(&self, presented: &str) -> bool {
        let token = self.token();
        let expected = Sha256::digest(token.as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        !token.is_empty() && bool::from(expected.ct_eq(&presented))
    }
}

/// The token a request presents: `Authorization: Bearer <token>`, or `?token=` where the client
/// cannot set headers (browsers opening a WebSocket).
pub(crate) fn presented_token(request: &Request, allow_query: bool) -> Option<String> {
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
    if !agent.auth.enabled || request.extensions().get::<LocalClient>().is_some() {
        return next.run(request).await;
    }
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    // A locked-out address is refused before its token is even looked at: answering "right" or
    // "wrong" would keep the guessing going at full speed.
    if let Some(address) = address
        && let Some(wait) = agent.auth_failures.locked_out(address, Instant::now())
    {
        return ApiError::TooManyRequests(format!(
            "Too many requests with a wrong token from {address}; try again in {} s",
            wait.as_secs().max(1)
        ))
        .into_response();
    }
    match presented_token(&request, allow_query) {
        Some(token) if agent.auth.accepts(&token) => next.run(request).await,
        _ => {
            if let Some(address) = address {
                agent.auth_failures.record(address, Instant::now());
            }
            ApiError::Unauthorized.into_response()
        }
    }
}

/// Requests with a missing or wrong token per client address. After [`AuthFailures::ALLOWED`]
/// of them within [`AuthFailures::WINDOW`], the address gets 429 for the rest of the window: at
/// most 20 guesses a minute against a 256-bit token, while a person who mistyped it is back in
/// a minute.
#[derive(Debug, Default)]
pub struct AuthFailures {
    by_address: Mutex<HashMap<IpAddr, FailureWindow>>,
}

#[derive(Debug, Clone, Copy)]
struct FailureWindow {
    started: Instant,
    count: u32,
}

impl AuthFailures {
    pub const ALLOWED: u32 = 20;
    pub const WINDOW: Duration = Duration::from_secs(60);
    /// Addresses remembered at most; expired windows are dropped first.
    const MAX_ADDRESSES: usize = 4096;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, FailureWindow>> {
        self.by_address
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long `address` still has to wait, if it is locked out.
    pub fn locked_out(&self, address: IpAddr, now: Instant) -> Option<Duration> {
        let window = *self.lock().get(&address)?;
        let elapsed = now.saturating_duration_since(window.started);
        (window.count >= Self::ALLOWED && elapsed < Self::WINDOW).then(|| Self::WINDOW - elapsed)
    }

    /// Counts one failure of `address`.
    pub fn record(&self, address: IpAddr, now: Instant) {
        let mut windows = self.lock();
        if windows.len() >= Self::MAX_ADDRESSES {
            windows
                .retain(|_, window| now.saturating_duration_since(window.started) < Self::WINDOW);
            if windows.len() >= Self::MAX_ADDRESSES {
                return;
            }
        }
        let window = windows.entry(address).or_insert(FailureWindow {
            started: now,
            count: 0,
        });
        if now.saturating_duration_since(window.started) >= Self::WINDOW {
            *window = FailureWindow {
                started: now,
                count: 0,
            };
        }
        window.count += 1;
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
    fn an_address_is_locked_out_after_the_allowed_failures_until_its_window_ends() {
        let failures = AuthFailures::default();
        let guesser: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
        let start = Instant::now();
        for _ in 0..AuthFailures::ALLOWED - 1 {
            failures.record(guesser, start);
        }
        assert_eq!(failures.locked_out(guesser, start), None);
        failures.record(guesser, start);
        let later = start + Duration::from_secs(15);
        assert_eq!(
            failures.locked_out(guesser, later),
            Some(AuthFailures::WINDOW - Duration::from_secs(15))
        );
        assert_eq!(failures.locked_out(neighbour, later), None);
        assert_eq!(
            failures.locked_out(guesser, start + AuthFailures::WINDOW),
            None
        );
        failures.record(guesser, start + AuthFailures::WINDOW);
        assert_eq!(
            failures.locked_out(guesser, start + AuthFailures::WINDOW),
            None
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        assert!(!format!("{:?}", AuthSettings::new(true, "hunter2")).contains("hunter2"));
    }
}
