//! Notification channels: the agent tells the person, wherever they are, that a coding agent
//! needs them or is done, through channels configured once (`notifications.*`, config.json
//! `notifications`): a signed JSON webhook, an ntfy topic, or a Gotify server.
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
};
use perry_api::sessions::{SessionInfo, SessionState, StatusAlert, StatusEvent};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::Semaphore;

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

/// Deliveries under way, per channel.
#[derive(Debug, Default)]
pub struct Dispatch {
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
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
        let outcome = deliver(&channel, &message).await;
        if let Err(error) = &outcome {
            tracing::warn!("notification channel {name}: {error}");
        }
        record(&agent, &name, outcome);
        drop(permit);
    });
}

/// Tries a delivery up to three times, waiting between attempts.
pub async fn deliver(channel: &Channel, message: &Message) -> Result<(), String> {
    let mut last_error = String::new();
    for attempt in 0..=RETRY_DELAYS.len() {
        if attempt > 0 {
            tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
        }
        match attempt_delivery(channel, message).await {
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

async fn attempt_delivery(channel: &Channel, message: &Message) -> Result<(), Failure> {
    let request = build_request(channel, message);
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
    let error = format!("the endpoint answered {status}");
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

/// The request a channel gets for `message`.
fn build_request(channel: &Channel, message: &Message) -> reqwest::RequestBuilder {
    let client = http();
    match channel.kind {
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
    }
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
    Ok(Channel {
        kind: input.kind,
        url,
        secret,
        states,
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
    };
    let message = Message {
        alert: StatusAlert::of("test", &session, None).expect("needs_input is told"),
        workspace: "test".to_owned(),
        session,
        previous: None,
        host: crate::host_name(),
    };
    let outcome = deliver(channel, &message).await;
    record(agent, name, outcome);
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
