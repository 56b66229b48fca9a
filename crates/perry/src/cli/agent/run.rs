//! `perry agent run`: the daemon in the foreground.

use std::path::PathBuf;

use perry_agent::AgentOptions;

use crate::cli::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    host: String,
    /// Port to listen on (default: port from config.json, 7391).
    #[arg(long)]
    port: Option<u16>,
    /// Serve without a token. Anyone who reaches the port controls your workspaces.
    #[arg(long)]
    no_auth: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let options = AgentOptions {
        config_dir: context.config_dir.clone(),
        host: args.host,
        port: args.port,
        no_auth: args.no_auth,
        worker_binary: worker_binary(),
        web: perry_agent::web::WebFiles::from_env(),
    };
    let running = perry_agent::server::start(options).await?;
    let hostname = perry_agent::host_name();
    let port = running.address.port();
    println!("Perry agent {} is running.", env!("CARGO_PKG_VERSION"));
    println!("  API:    http://{hostname}:{port}/rpc");
    if running.agent.auth.enabled {
        println!(
            "  Open:   http://{hostname}:{port}/?token={}",
            running.token
        );
        println!("  Token:  {}", running.token);
    }
    println!("  Config: {}", context.config_dir.display());
    running.wait().await
}

/// `PERRY_WORKER_BINARY`, else `perry-worker` next to this binary.
fn worker_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PERRY_WORKER_BINARY") {
        return Some(PathBuf::from(path));
    }
    let sibling = std::env::current_exe().ok()?.with_file_name("perry-worker");
    sibling.exists().then_some(sibling)
}
