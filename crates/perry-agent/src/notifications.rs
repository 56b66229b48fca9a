//! Notification channels: the agent tells the person, wherever they are, that a coding agent
//! needs them or is done, through channels configured once (`notifications.*`, config.json
//! `notifications`): a signed JSON webhook, an ntfy topic, a Gotify server, or a browser's Web
//! Push subscription (encrypted for it, RFC 8291, and signed with the agent's VAPID key, RFC
//! 8292, with the key in [`VAPID_KEY_FILE`]; a subscription its push service says is gone, 404
//! or 410, is removed).
//!
//! One task follows the session hub's status changes; each change a channel's states ask for is
//! delivered on a task of its own, retried with backoff, so a slow or dead endpoint never holds
//! up the agent, the other channels, or the next change (at most [`IN_FLIGHT`] deliveries per
//! channel wait at once; more are dropped and counted as failures). Every delivery's outcome is
//! recorded in state.json (`deliveries`) and comes back with the channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use hmac::{Hmac, Mac};
use perry_api::notifications::{
    ChannelAddInput, ChannelKind, DEFAULT_CHANNEL_STATES, DeliveryRecord, NotificationChannel,
    PushKey, PushKeys,
};
use perry_api::sessions::{SessionInfo, SessionState, StatusAlert, StatusEvent};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::Semaphore;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike as _, ES256KeyPair};

use crate::Agent;
use crate::error::ApiError;
use crate::state::config::Channel;

/// Each attempt's patience: connecting and the endpoint's answer together.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Waits before the second and third attempts.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];
/// Deliveries to one channel that may be under way at once.
const IN_FLIGHT: usize = 8;
/// The longest channel URL and secret taken.
const MAX_URL_BYTES: usize = 2048;
const MAX_SECRET_BYTES: usize = 1024;

/// What one delivery says: the change, worded for a person and whole for a program.
#[derive(Debug, Clone)]
pub struct Message {
    pub alert: StatusAlert,
    pub workspace: String,
    pub session: SessionInfo,
    pub previous: Option<SessionState>,
    /// This agent's host name, so a person with several agents knows which one.
    pub host: String,
}

/// Deliveries under way, per channel, and the VAPID key once read.
#[derive(Default)]
pub struct Dispatch {
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
    vapid: std::sync::OnceLock<Arc<Vapid>>,
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dispatch")
            .field(
                "vapid",
                &self.vapid.get().map(|_| crate::state::redact::Redacted),
            )
            .finish_non_exhaustive()
    }
}

impl Dispatch {
    fn permits(&self, channel: &str) -> Arc<Semaphore> {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(channel.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(IN_FLIGHT)))
            .clone()
    }
}

/// Follows the status changes of every workspace and delivers them, for as long as the agent
/// lives.
pub fn spawn_dispatcher(agent: &Arc<Agent>) {
    let mut changes = agent.sessions.status_events();
    let agent: Weak<Agent> = Arc::downgrade(agent);
    tokio::spawn(async move {
        loop {
            let change = match changes.recv().await {
                Ok(change) => change,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!("notifications: {missed} status changes went by unsent");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Some(agent) = agent.upgrade() else { return };
            let StatusEvent::Changed {
                workspace,
                session,
                previous,
            } = change
            else {
                continue;
            };
            let Some(alert) = StatusAlert::of(&workspace, &session, previous) else {
                continue;
            };
            let message = Message {
                alert,
                workspace,
                session,
                previous,
                host: crate::host_name(),
            };
            for (name, channel) in agent.config().notifications.iter() {
                if channel.states.contains(&message.alert.state) {
                    spawn_delivery(&agent, name, channel, &message);
                }
            }
        }
    });
}

/// Delivers `message` to one channel on a task of its own, and records the outcome.
fn spawn_delivery(agent: &Arc<Agent>, name: &str, channel: &Channel, message: &Message) {
    let permits = agent.notifications.permits(name);
    let Ok(permit) = permits.try_acquire_owned() else {
        record(
            agent,
            name,
            Err(format!(
                "dropped: {IN_FLIGHT} deliveries to this channel are still under way (the endpoint is slow or down)"
            )),
        );
        return;
    };
    let (agent, name, channel, message) = (
        agent.clone(),
        name.to_owned(),
        channel.clone(),
        message.clone(),
    );
    tokio::spawn(async move {
        // Logged and recorded inside.
        let _ = deliver_and_record(&agent, &name, &channel, &message).await;
        drop(permit);
    });
}

/// Delivers, and records what became of it; a Web Push subscription found gone is removed
/// instead. Returns the outcome.
async fn deliver_and_record(
    agent: &Agent,
    name: &str,
    channel: &Channel,
    message: &Message,
) -> Result<(), String> {
    let outcome = match vapid(agent) {
        Ok(vapid) => deliver(channel, message, &vapid).await,
        Err(error) => Err(format!("no VAPID key: {error}")),
    };
    if let Err(error) = &outcome {
        tracing::warn!("notification channel {name}: {error}");
        if error.starts_with(GONE) {
            tracing::info!("notification channel {name}: {GONE}; removing it");
            if let Err(error) = remove(agent, name) {
                tracing::warn!("cannot remove channel {name}: {error}");
            }
            return outcome;
        }
    }
    record(agent, name, outcome.clone());
    outcome
}

/// Tries a delivery up to three times, waiting between attempts.
pub async fn deliver(channel: &Channel, message: &Message, vapid: &Vapid) -> Result<(), String> {
    let mut last_error = String::new();
    for attempt in 0..=RETRY_DELAYS.len() {
        if attempt > 0 {
            tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
        }
        match attempt_delivery(channel, message, vapid).await {
            Ok(()) => return Ok(()),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Retry(error)) => last_error = error,
        }
    }
    Err(format!(
        "{last_error} (after {} attempts)",
        RETRY_DELAYS.len() + 1
    ))
}

enum Failure {
    /// Worth another try: no answer, a refused connection, a 5xx or 429.
    Retry(String),
    /// Another try would get the same: the endpoint refused the request itself (4xx).
    Final(String),
}

async fn attempt_delivery(
    channel: &Channel,
    message: &Message,
    vapid: &Vapid,
) -> Result<(), Failure> {
    let request = build_request(channel, message, vapid).map_err(Failure::Final)?;
    let response = match tokio::time::timeout(ATTEMPT_TIMEOUT, request.send()).await {
        Err(_) => {
            return Err(Failure::Retry(format!(
                "no answer within {} s",
                ATTEMPT_TIMEOUT.as_secs()
            )));
        }
        Ok(Err(error)) => {
            return Err(Failure::Retry(
                crate::error::innermost_cause(&error).to_string(),
            ));
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let error = if channel.kind == ChannelKind::Webpush && matches!(status.as_u16(), 404 | 410) {
        format!("{GONE}: the push service answered {status}")
    } else {
        format!("the endpoint answered {status}")
    };
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(Failure::Retry(error))
    } else {
        Err(Failure::Final(error))
    }
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::tls::http_client(
            reqwest::Client::builder()
                .connect_timeout(ATTEMPT_TIMEOUT)
                .user_agent(concat!("perry-agent/", env!("CARGO_PKG_VERSION"))),
            "https notification channels",
        )
    })
}

/// The start of a failure that says a Web Push subscription is no more (the browser
/// unsubscribed, or its push service forgot it): its channel is removed.
const GONE: &str = "the subscription is gone";

/// The agent's VAPID key pair and the contact its signatures name.
pub struct Vapid {
    pub key: ES256KeyPair,
    pub subject: String,
}

/// The request a channel gets for `message`.
fn build_request(
    channel: &Channel,
    message: &Message,
    vapid: &Vapid,
) -> Result<reqwest::RequestBuilder, String> {
    let client = http();
    Ok(match channel.kind {
        ChannelKind::Webhook => {
            let body = webhook_body(message).to_string();
            let mut request = client
                .post(&channel.url)
                .header("content-type", "application/json")
                .header("x-perry-event", "session.status");
            if let Some(secret) = &channel.secret {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                request = request.header("x-perry-signature", signature(secret, now, &body));
            }
            request.body(body)
        }
        ChannelKind::Ntfy => {
            // ntfy's JSON publishing (to the server's root, the topic in the body) carries any
            // text; its headers would not.
            let (server, topic) = channel
                .url
                .trim_end_matches('/')
                .rsplit_once('/')
                .unwrap_or((&channel.url, ""));
            let mut request = client.post(format!("{server}/")).json(&json!({
                "topic": topic,
                "title": message.alert.title,
                "message": format!("{} (on {})", message.alert.body, message.host),
                "priority": if message.alert.state == SessionState::Idle { 3 } else { 4 },
                "tags": [match message.alert.state {
                    SessionState::NeedsInput => "bell",
                    SessionState::Error => "warning",
                    _ => "white_check_mark",
                }],
            }));
            if let Some(token) = &channel.secret {
                request = request.bearer_auth(token);
            }
            request
        }
        ChannelKind::Gotify => {
            let mut request = client
                .post(format!("{}/message", channel.url.trim_end_matches('/')))
                .json(&json!({
                    "title": message.alert.title,
                    "message": format!("{} (on {})", message.alert.body, message.host),
                    "priority": if message.alert.state == SessionState::Idle { 4 } else { 8 },
                }));
            if let Some(token) = &channel.secret {
                request = request.header("x-gotify-key", token);
            }
            request
        }
        ChannelKind::Webpush => {
            let keys = channel
                .keys
                .as_ref()
                .ok_or("the subscription has no keys")?;
            let push = web_push_request(&channel.url, keys, vapid, &push_payload(message))?;
            let (parts, body) = push.into_parts();
            let mut request = client.post(parts.uri.to_string()).body(body);
            for (name, value) in &parts.headers {
                request = request.header(name, value);
            }
            request
        }
    })
}

/// What the service worker gets (web/public/sw.js shows it): the alert, and where a click goes.
pub fn push_payload(message: &Message) -> Vec<u8> {
    json!({
        "title": message.alert.title,
        "body": message.alert.body,
        "tag": format!("{}:{}", message.workspace, message.session.session_id),
        "path": format!(
            "/workspaces/{}/sessions/{}",
            message.workspace, message.session.session_id
        ),
    })
    .to_string()
    .into_bytes()
}

/// The encrypted, signed push request for one subscription.
fn web_push_request(
    endpoint: &str,
    keys: &PushKeys,
    vapid: &Vapid,
    payload: &[u8],
) -> Result<http::Request<Vec<u8>>, String> {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let decode = |what: &str, text: &str| {
        Base64UrlUnpadded::decode_vec(text.trim_end_matches('='))
            .map_err(|_| format!("the subscription's {what} is not base64url"))
    };
    let public =
        web_push_native::p256::PublicKey::from_sec1_bytes(&decode("p256dh", &keys.p256dh)?)
            .map_err(|_| "the subscription's p256dh is not a P-256 public key".to_owned())?;
    let auth = decode("auth", &keys.auth)?;
    if auth.len() != 16 {
        return Err("the subscription's auth secret is not 16 bytes".to_owned());
    }
    let endpoint = endpoint
        .parse()
        .map_err(|_| format!("{endpoint:?} is not a push endpoint"))?;
    web_push_native::WebPushBuilder::new(
        endpoint,
        public,
        web_push_native::Auth::clone_from_slice(&auth),
    )
    .with_vapid(&vapid.key, &vapid.subject)
    .build(payload.to_vec())
    .map_err(|error| format!("cannot encrypt for the subscription: {error}"))
}

/// Where the agent keeps its VAPID private key (base64url P-256 scalar), beside config.json:
/// made at the first need, never in config.json (which is the person's to edit).
pub const VAPID_KEY_FILE: &str = "web-push-vapid.key";

/// The agent's VAPID key pair, made and saved at the first need, then kept in memory.
pub fn vapid(agent: &Agent) -> Result<Arc<Vapid>, ApiError> {
    if let Some(vapid) = agent.notifications.vapid.get() {
        return Ok(vapid.clone());
    }
    let vapid = Arc::new(read_vapid(agent)?);
    Ok(agent.notifications.vapid.get_or_init(|| vapid).clone())
}

fn read_vapid(agent: &Agent) -> Result<Vapid, ApiError> {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let path = agent.config_dir.join(VAPID_KEY_FILE);
    let text = crate::state::files::read_or_create(&path, || {
        Base64UrlUnpadded::encode_string(&ES256KeyPair::generate().to_bytes()).into_bytes()
    })
    .map_err(ApiError::Internal)?;
    let key = std::str::from_utf8(&text)
        .ok()
        .and_then(|text| Base64UrlUnpadded::decode_vec(text.trim()).ok())
        .and_then(|bytes| ES256KeyPair::from_bytes(&bytes).ok())
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "{} is not a VAPID key; remove it and the agent makes another (browsers then subscribe again)",
                path.display()
            ))
        })?;
    Ok(Vapid {
        key,
        subject: format!("mailto:perry@{}", crate::host_name()),
    })
}

/// `notifications.pushKey`: the public half of the agent's VAPID key.
pub fn push_key(agent: &Agent) -> Result<PushKey, ApiError> {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let vapid = vapid(agent)?;
    Ok(PushKey {
        public_key: Base64UrlUnpadded::encode_string(
            &vapid.key.public_key().public_key().to_bytes_uncompressed(),
        ),
    })
}

/// A webhook's JSON: the alert's words, and the session whole.
pub fn webhook_body(message: &Message) -> serde_json::Value {
    json!({
        "type": "session.status",
        "host": message.host,
        "workspace": message.workspace,
        "state": message.alert.state,
        "previous": message.previous,
        "title": message.alert.title,
        "body": message.alert.body,
        "session": message.session,
    })
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the time is signed with the
/// body, so a receiver can refuse an old delivery played again.
pub fn signature(secret: &str, unix_seconds: u64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{unix_seconds}.{body}").as_bytes());
    format!(
        "t={unix_seconds},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Puts a delivery's outcome on the channel's record in state.json.
fn record(agent: &Agent, name: &str, outcome: Result<(), String>) {
    let now = crate::now_rfc3339();
    let saved = agent.workspaces.state().update(|state| {
        let record = state.deliveries.entry(name.to_owned()).or_default();
        record.deliveries += 1;
        match outcome {
            Ok(()) => record.last_success = Some(now),
            Err(error) => {
                record.failures += 1;
                record.last_failure = Some(now);
                record.last_error = Some(error);
            }
        }
    });
    if let Err(error) = saved {
        tracing::error!("cannot record a delivery of channel {name}: {error:#}");
    }
}

/// `notifications.list`: every channel, its secret never.
pub fn list(agent: &Agent) -> Vec<NotificationChannel> {
    let deliveries = agent.workspaces.state().snapshot().deliveries.clone();
    agent
        .config()
        .notifications
        .iter()
        .map(|(name, channel)| shown(name, channel, deliveries.get(name)))
        .collect()
}

fn shown(name: &str, channel: &Channel, record: Option<&DeliveryRecord>) -> NotificationChannel {
    NotificationChannel {
        name: name.to_owned(),
        kind: channel.kind,
        url: channel.url.clone(),
        states: channel.states.clone(),
        has_secret: channel.secret.is_some(),
        delivery: record.cloned().unwrap_or_default(),
    }
}

fn invalid(field: &'static str, message: String) -> ApiError {
    ApiError::InvalidField { field, message }
}

/// `notifications.add`'s input checked: the channel to save, or which field is wrong and why.
pub fn check_new_channel(input: &ChannelAddInput) -> Result<Channel, ApiError> {
    check_channel_name(&input.name)?;
    let url = input.url.trim().to_owned();
    let parsed = reqwest::Url::parse(&url)
        .ok()
        .filter(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some());
    if url.len() > MAX_URL_BYTES || parsed.is_none() {
        return Err(invalid(
            "url",
            format!("{url:?} is not an http:// or https:// URL"),
        ));
    }
    if input.kind == ChannelKind::Ntfy
        && parsed
            .as_ref()
            .is_some_and(|parsed| parsed.path().trim_matches('/').is_empty())
    {
        return Err(invalid(
            "url",
            "An ntfy channel's URL names its topic, e.g. https://ntfy.example/perry-alerts"
                .to_owned(),
        ));
    }
    let secret = input.secret.clone().filter(|secret| !secret.is_empty());
    if secret
        .as_ref()
        .is_some_and(|secret| secret.len() > MAX_SECRET_BYTES || secret.contains(['\r', '\n']))
    {
        return Err(invalid(
            "secret",
            format!("The secret must be one line of at most {MAX_SECRET_BYTES} bytes"),
        ));
    }
    let mut states = input
        .states
        .clone()
        .unwrap_or_else(|| DEFAULT_CHANNEL_STATES.to_vec());
    states.sort_by_key(|state| state.as_str());
    states.dedup();
    if states.is_empty() {
        return Err(invalid(
            "states",
            "Name at least one state that triggers the channel (needs_input, error, idle)"
                .to_owned(),
        ));
    }
    if let Some(state) = states
        .iter()
        .find(|state| matches!(state, SessionState::Working | SessionState::Ended))
    {
        return Err(invalid(
            "states",
            format!(
                "{} is not told to channels: only needs_input, error and idle are",
                state.as_str()
            ),
        ));
    }
    let keys = match (input.kind, &input.keys) {
        (ChannelKind::Webpush, None) => {
            return Err(invalid(
                "keys",
                "A Web Push channel needs the subscription's keys (p256dh and auth)".to_owned(),
            ));
        }
        (ChannelKind::Webpush, Some(keys)) => {
            let probe = Vapid {
                key: ES256KeyPair::generate(),
                subject: "mailto:check@localhost".to_owned(),
            };
            // Encrypting an empty message checks the keys as a delivery would use them.
            web_push_request(&url, keys, &probe, b"").map_err(|why| invalid("keys", why))?;
            Some(keys.clone())
        }
        (_, Some(_)) => {
            return Err(invalid(
                "keys",
                "Only a Web Push channel has subscription keys".to_owned(),
            ));
        }
        (_, None) => None,
    };
    Ok(Channel {
        kind: input.kind,
        url,
        secret,
        states,
        keys,
    })
}

/// A channel's name: the rule of workspace names.
pub fn check_channel_name(name: &str) -> Result<(), ApiError> {
    crate::workspace::validate_name(name).map_err(|_| {
        invalid(
            "name",
            format!(
                "{name:?} is not a channel name: 1 to 63 lowercase letters, digits and dashes, starting with a letter"
            ),
        )
    })
}

/// `notifications.add`: checks the name, URL, secret and states, then saves the channel.
pub fn add(agent: &Agent, input: ChannelAddInput) -> Result<NotificationChannel, ApiError> {
    let channel = check_new_channel(&input)?;
    let mut taken = false;
    agent
        .update_config(|object| {
            let channels = object
                .entry("notifications")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(channels) = channels else { return };
            if channels.contains_key(&input.name) {
                taken = true;
                return;
            }
            channels.insert(
                input.name.clone(),
                serde_json::to_value(&channel).expect("a channel is JSON"),
            );
        })
        .map_err(ApiError::Internal)?;
    if taken {
        return Err(ApiError::Conflict(format!(
            "A notification channel named {:?} exists already; remove it first",
            input.name
        )));
    }
    Ok(shown(&input.name, &channel, None))
}

/// `notifications.remove`: the channels left.
pub fn remove(agent: &Agent, name: &str) -> Result<Vec<NotificationChannel>, ApiError> {
    let mut found = false;
    agent
        .update_config(|object| {
            if let Some(channels) = object
                .get_mut("notifications")
                .and_then(|channels| channels.as_object_mut())
            {
                found = channels.remove(name).is_some();
            }
        })
        .map_err(ApiError::Internal)?;
    if !found {
        return Err(unknown_channel(agent, name));
    }
    let forgotten = agent.workspaces.state().update(|state| {
        state.deliveries.remove(name);
    });
    if let Err(error) = forgotten {
        tracing::warn!("cannot forget the deliveries of channel {name}: {error:#}");
    }
    Ok(list(agent))
}

/// `notifications.test`: delivers a sample now (with its retries) and returns the channel with
/// the outcome recorded.
pub async fn test(agent: &Agent, name: &str) -> Result<NotificationChannel, ApiError> {
    let config = agent.config();
    let Some(channel) = config.notifications.get(name) else {
        return Err(unknown_channel(agent, name));
    };
    let session = SessionInfo {
        session_id: "test".to_owned(),
        title: "A test from Perry".to_owned(),
        agent: perry_api::sessions::SessionAgent::ClaudeCode,
        message_count: 0,
        last_activity: crate::now_rfc3339(),
        project_path: String::new(),
        resume_command: String::new(),
        status: Some(perry_api::sessions::SessionStatus {
            state: SessionState::NeedsInput,
            since: crate::now_rfc3339(),
            detail: Some("This is what a coding agent waiting for you looks like".to_owned()),
        }),
        name: None,
    };
    let message = Message {
        alert: StatusAlert::of("test", &session, None).expect("needs_input is told"),
        workspace: "test".to_owned(),
        session,
        previous: None,
        host: crate::host_name(),
    };
    if let Err(error) = deliver_and_record(agent, name, channel, &message).await
        && error.starts_with(GONE)
    {
        return Err(ApiError::NotFound(format!(
            "{name}: {error}; the channel was removed (subscribe this browser again)"
        )));
    }
    let deliveries = agent.workspaces.state().snapshot().deliveries.clone();
    Ok(shown(name, channel, deliveries.get(name)))
}

fn unknown_channel(agent: &Agent, name: &str) -> ApiError {
    let names: Vec<String> = agent.config().notifications.keys().cloned().collect();
    ApiError::NotFound(if names.is_empty() {
        format!("No notification channel named {name:?}: none is configured yet")
    } else {
        format!(
            "No notification channel named {name:?}; the channels are: {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        // Reference: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret
        assert_eq!(
            signature("s3cret", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
        );
    }
}
