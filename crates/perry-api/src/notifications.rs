//! Notification channels: where the agent tells the person that a coding agent needs them (or
//! is done) when no Perry page or app is open. Configured once (`notifications.*`, kept in the
//! agent's config.json), each with the states that trigger it; every delivery attempt is
//! recorded, and a channel's last success and failure come back with it.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::sessions::SessionState;

/// How a channel is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A JSON POST to the URL, signed with HMAC-SHA256 when the channel has a secret
    /// (`X-Perry-Signature: t=<unix seconds>,v1=<hex of HMAC(secret, "<t>.<body>")>`).
    Webhook,
    /// An ntfy topic URL (`https://ntfy.example/perry`): a push to every phone subscribed to
    /// it, no account anywhere; the secret, if any, is an access token.
    Ntfy,
    /// A Gotify server's URL; the secret is an application token.
    Gotify,
    /// A browser's Web Push subscription (RFC 8030): the URL is its push service endpoint, the
    /// keys its own; what is sent is encrypted for that browser alone (RFC 8291) and signed
    /// with the agent's VAPID key (RFC 8292).
    Webpush,
}

/// A browser's keys of a Web Push subscription, as `PushSubscription.toJSON().keys` gives them
/// (base64url): its P-256 public key and its authentication secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// The agent's VAPID public key (base64url, uncompressed P-256), for `pushManager.subscribe`'s
/// `applicationServerKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct PushKey {
    pub public_key: String,
}

/// The states that trigger a channel when a channel is added without naming them.
pub const DEFAULT_CHANNEL_STATES: [SessionState; 2] =
    [SessionState::NeedsInput, SessionState::Error];

/// What became of a channel's deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// Deliveries tried, and how many of them failed after every retry.
    pub deliveries: u32,
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_failure: Option<String>,
    /// Why the last failure failed (the endpoint's status, a timeout, a refused connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_error: Option<String>,
}

/// One channel as clients see it: its secret never, only whether it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct NotificationChannel {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    #[cfg_attr(feature = "ts", ts(inline))]
    pub states: Vec<SessionState>,
    pub has_secret: bool,
    pub delivery: DeliveryRecord,
}

/// `notifications.add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelAddInput {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    /// The webhook's signing secret, or ntfy's or Gotify's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub secret: Option<String>,
    /// Which states trigger it; [`DEFAULT_CHANNEL_STATES`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, inline))]
    pub states: Option<Vec<SessionState>>,
    /// The subscription's keys: for `webpush`, and only for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub keys: Option<PushKeys>,
}

/// `notifications.remove` and `notifications.test`: which channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelNameInput {
    pub name: String,
}

/// The TypeScript declarations of this module's wire types, in dependency order.
#[cfg(feature = "ts")]
pub fn typescript_declarations(cfg: &ts_rs::Config) -> Vec<String> {
    vec![
        ChannelKind::decl(cfg),
        PushKeys::decl(cfg),
        PushKey::decl(cfg),
        DeliveryRecord::decl(cfg),
        NotificationChannel::decl(cfg),
        ChannelAddInput::decl(cfg),
        ChannelNameInput::decl(cfg),
    ]
}
