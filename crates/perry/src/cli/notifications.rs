//! `perry config notifications [list|add|remove|test]`: the agent's notification channels
//! (webhooks, ntfy topics, Gotify servers) that tell the person when a coding agent needs them.

use clap::Subcommand;
use perry_api::notifications::{
    ChannelAddInput, ChannelKind, ChannelNameInput, DeliveryRecord, NotificationChannel,
};
use perry_api::procedures::{
    NotificationsAdd, NotificationsList, NotificationsRemove, NotificationsTest, Void,
};
use perry_api::sessions::SessionState;

use super::{Context, output};

/// `perry config notifications [COMMAND]`: the list when no command is given.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

/// Its `{:?}` hides the secret.
#[derive(Subcommand)]
pub enum Command {
    /// The channels, each with its last delivery (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a channel: a webhook URL (JSON POST, signed when --secret is given), an ntfy topic
    /// URL (https://ntfy.example/my-topic), or a Gotify server URL (--secret: its app token).
    Add {
        name: String,
        url: String,
        #[arg(long, value_parser = parse_kind, default_value = "webhook")]
        kind: ChannelKind,
        /// The webhook's signing secret, or ntfy's or Gotify's token.
        #[arg(long)]
        secret: Option<String>,
        /// Which states trigger it (comma-separated: needs_input, error, idle). Default:
        /// needs_input,error.
        #[arg(long, value_delimiter = ',', value_parser = parse_state)]
        states: Vec<SessionState>,
    },
    /// Remove a channel.
    Remove { name: String },
    /// Send a sample notification through a channel now and show what became of it.
    Test { name: String },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::List { json } => formatter.debug_struct("List").field("json", json).finish(),
            Command::Add {
                name,
                url,
                kind,
                secret,
                states,
            } => formatter
                .debug_struct("Add")
                .field("name", name)
                .field("url", url)
                .field("kind", kind)
                .field("secret", &perry_agent::state::redact::secret(secret))
                .field("states", states)
                .finish(),
            Command::Remove { name } => formatter
                .debug_struct("Remove")
                .field("name", name)
                .finish(),
            Command::Test { name } => formatter.debug_struct("Test").field("name", name).finish(),
        }
    }
}

fn parse_kind(text: &str) -> Result<ChannelKind, String> {
    match text {
        "webhook" | "ntfy" | "gotify" => Ok(serde_json::from_value(serde_json::json!(text))
            .expect("a kind the API knows")),
        "webpush" => Err(
            "a browser subscribes itself to Web Push: use \"Notify this browser\" on the web UI's Agent page"
                .to_owned(),
        ),
        _ => Err("one of webhook, ntfy, gotify".to_owned()),
    }
}

fn parse_state(text: &str) -> Result<SessionState, String> {
    serde_json::from_value(serde_json::json!(text))
        .map_err(|_| "one of needs_input, error, idle".to_owned())
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let client = context.client()?;
    match args.command.unwrap_or(Command::List { json: false }) {
        Command::List { json } => {
            let channels = client.call::<NotificationsList>(&Void).await?;
            if json {
                return output::print_json(&channels);
            }
            if channels.is_empty() {
                println!(
                    "No notification channels yet: `perry config notifications add phone https://ntfy.sh/<your-topic> --kind ntfy`"
                );
            } else {
                println!("{}", table(&channels));
            }
        }
        Command::Add {
            name,
            url,
            kind,
            secret,
            states,
        } => {
            let channel = client
                .call::<NotificationsAdd>(&ChannelAddInput {
                    name,
                    kind,
                    url,
                    secret,
                    states: (!states.is_empty()).then_some(states),
                    // A browser subscribes itself (the web UI's "Notify this browser").
                    keys: None,
                })
                .await?;
            println!(
                "Added {}: {} changes to {} go to {}. Try it: perry config notifications test {}",
                channel.name,
                states_text(&channel.states),
                kind_text(channel.kind),
                channel.url,
                channel.name
            );
        }
        Command::Remove { name } => {
            client
                .call::<NotificationsRemove>(&ChannelNameInput { name: name.clone() })
                .await?;
            println!("Removed {name}.");
        }
        Command::Test { name } => {
            let channel = client
                .call::<NotificationsTest>(&ChannelNameInput { name })
                .await?;
            match (
                &channel.delivery.last_failure,
                &channel.delivery.last_success,
            ) {
                (Some(failure), success)
                    if success.as_ref().is_none_or(|success| success < failure) =>
                {
                    anyhow::bail!(
                        "{} did not take the test: {}",
                        channel.name,
                        channel
                            .delivery
                            .last_error
                            .as_deref()
                            .unwrap_or("it failed")
                    )
                }
                _ => println!("{} took the test notification.", channel.name),
            }
        }
    }
    Ok(())
}

fn kind_text(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Webhook => "webhook",
        ChannelKind::Ntfy => "ntfy",
        ChannelKind::Gotify => "gotify",
        ChannelKind::Webpush => "webpush",
    }
}

fn states_text(states: &[SessionState]) -> String {
    states
        .iter()
        .map(|state| state.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn last_delivery(record: &DeliveryRecord) -> String {
    match (&record.last_success, &record.last_failure) {
        (None, None) => "never".to_owned(),
        (Some(success), failure) if failure.as_ref().is_none_or(|failure| failure < success) => {
            format!("ok {success}")
        }
        (_, Some(failure)) => format!(
            "FAILED {failure}: {}",
            record.last_error.as_deref().unwrap_or_default()
        ),
        _ => unreachable!("one of the two is set"),
    }
}

fn table(channels: &[NotificationChannel]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["NAME", "KIND", "STATES", "URL", "SECRET", "SENT", "LAST"]);
    for channel in channels {
        table.add_row([
            channel.name.clone(),
            kind_text(channel.kind).to_owned(),
            states_text(&channel.states),
            channel.url.clone(),
            if channel.has_secret { "yes" } else { "-" }.to_owned(),
            format!(
                "{} ({} failed)",
                channel.delivery.deliveries, channel.delivery.failures
            ),
            last_delivery(&channel.delivery),
        ]);
    }
    table.to_string()
}
