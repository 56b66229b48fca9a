//! `perry agent run`: the daemon in the foreground.

use std::path::PathBuf;

use perry_agent::AgentOptions;
use perry_agent::state::config::TlsFiles;

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
    /// Serve HTTPS with this certificate (PEM, chain with the leaf first), e.g. from
    /// `tailscale cert`. Default: `tls.cert` in config.json, else plain HTTP.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let options = AgentOptions {
        config_dir: context.config_dir.clone(),
        host: args.host,
        port: args.port,
        no_auth: args.no_auth,
        worker_binary: worker_binary(),
        web: perry_agent::web::WebFiles::from_env(),
        tls: match args.tls_cert.zip(args.tls_key) {
            // Absolute, so the log and any error name the files wherever the agent was started.
            Some((cert, key)) => Some(TlsFiles {
                cert: std::path::absolute(cert)?,
                key: std::path::absolute(key)?,
            }),
            None => None,
        },
    };
    let running = perry_agent::server::start(options).await?;
    // Over HTTPS the browser must use a name the certificate holds.
    let (scheme, hostname) = match &running.tls {
        Some(tls) => (
            "https",
            tls.url_host()
                .map_or_else(perry_agent::host_name, str::to_owned),
        ),
        None => ("http", perry_agent::host_name()),
    };
    let port = running.address.port();
    println!("Perry agent {} is running.", env!("CARGO_PKG_VERSION"));
    println!("  API:    {scheme}://{hostname}:{port}/rpc");
    if running.agent.auth.enabled {
        println!(
            "  Open:   {scheme}://{hostname}:{port}/?token={}",
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
