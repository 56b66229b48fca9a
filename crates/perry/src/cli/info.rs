//! `perry info`

use perry_api::procedures::{AgentInfoCall, Void};

use super::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let client = context.client()?;
    let info = client.call::<AgentInfoCall>(&Void).await?;
    if args.json {
        return output::print_json(&info);
    }
    println!("Agent:       {}", client.base_url());
    if let Some(socket) = client.local_socket() {
        println!("Through:     {} (this machine's agent)", socket.display());
    }
    println!("Version:     {}", info.version);
    println!("Hostname:    {}", info.hostname);
    println!("Uptime:      {}", humanize_seconds(info.uptime));
    println!("Workspaces:  {}", info.workspaces_count);
    match &info.engine {
        Some(engine) => println!(
            "Engine:      {} {} ({})",
            engine.kind,
            engine.version.as_deref().unwrap_or("not answering"),
            engine.location
        ),
        // An agent from before `engine`: it only knew Docker.
        None => println!(
            "Engine:      docker {}",
            info.docker_version.as_deref().unwrap_or("not answering")
        ),
    }
    println!(
        "DinD mode:   {}",
        info.dind_mode
            .map_or("not detected yet", perry_agent::workspace::dind_mode_name)
    );
    Ok(())
}

fn humanize_seconds(seconds: f64) -> String {
    let seconds = seconds as u64;
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {}s", seconds % 60),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}
