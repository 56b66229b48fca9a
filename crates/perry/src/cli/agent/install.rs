//! `perry agent install`: the agent as a systemd service that starts at boot (or with the user's
//! session for `--user`) and restarts when it fails.

use anyhow::Context as _;
use serde_json::json;

use super::systemd::{self, Scope, UNIT_NAME, UnitSpec};
use crate::cli::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install for this user's systemd (`systemctl --user`) instead of system-wide.
    #[arg(long)]
    user: bool,
    /// Print the unit and the commands without writing or running anything.
    #[arg(long)]
    dry_run: bool,
    /// Address the agent listens on (passed to `perry agent run`; default 0.0.0.0).
    #[arg(long)]
    host: Option<String>,
    /// Port the agent listens on (passed to `perry agent run`; default: config.json's, 7391).
    #[arg(long)]
    port: Option<u16>,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Print the manifests that run the agent inside a Kubernetes cluster instead (its
    /// workspaces then are pods in one namespace, with a ServiceAccount limited to it); apply
    /// them with `kubectl apply -f -`.
    #[arg(long)]
    kubernetes: bool,
    /// The namespace of the agent and its workspaces, with --kubernetes.
    #[arg(long, default_value = "perry", requires = "kubernetes")]
    namespace: String,
    /// The agent's image, as the cluster's nodes pull it, with --kubernetes: any image with
    /// `perry` and `perry-worker` on its PATH.
    #[arg(long, default_value = concat!("perry-agent:", env!("CARGO_PKG_VERSION")), requires = "kubernetes")]
    image: String,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    if args.kubernetes {
        // A namespace is a DNS label, as a workspace name is.
        perry_agent::workspace::validate_name(&args.namespace).map_err(|_| {
            anyhow::anyhow!(
                "Invalid namespace {:?}: use {}",
                args.namespace,
                perry_agent::workspace::NAME_RULE
            )
        })?;
        print!(
            "{}",
            perry_agent::engine::kubernetes::manifests::agent_manifests(
                &args.namespace,
                &args.image
            )
        );
        return Ok(());
    }
    let scope = Scope::from_user_flag(args.user);
    let spec = UnitSpec::for_this_machine(scope, &context.config_dir, args.host, args.port)?;
    let unit = spec.unit_text()?;
    let unit_path = scope.unit_path()?;
    let commands = [
        scope.systemctl(&["daemon-reload"]),
        scope.systemctl(&["enable", "--now", UNIT_NAME]),
    ];

    let summary = json!({
        "dryRun": args.dry_run,
        "scope": scope.name(),
        "unitPath": unit_path,
        "unit": unit,
        "commands": commands.iter().map(|command| command.join(" ")).collect::<Vec<_>>(),
        "logs": scope.logs_command(),
    });

    if args.dry_run {
        if args.json {
            return output::print_json(&summary);
        }
        println!("Would write {}:\n", unit_path.display());
        print!("{unit}");
        println!("\nWould run:");
        for command in &commands {
            println!("  {}", command.join(" "));
        }
        println!("\nLogs would go to the journal: {}", scope.logs_command());
        return Ok(());
    }

    systemd::require_systemd()?;
    write_unit(scope, &unit_path, &unit)?;
    for command in &commands {
        systemd::run_command(command)?;
    }
    if args.json {
        return output::print_json(&summary);
    }
    println!("Installed {} and started it.", unit_path.display());
    println!("  Status:  {}", scope.status_command());
    println!("  Logs:    {}", scope.logs_command());
    println!("  The sign-in URL with the token is in the log's first lines.");
    if scope == Scope::User {
        println!(
            "  A user service stops when you log out; `loginctl enable-linger $USER` keeps it running."
        );
    }
    Ok(())
}

fn write_unit(scope: Scope, unit_path: &std::path::Path, unit: &str) -> anyhow::Result<()> {
    if let Some(dir) = unit_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match std::fs::write(unit_path, unit) {
        Ok(()) => Ok(()),
        Err(error)
            if error.kind() == std::io::ErrorKind::PermissionDenied && scope == Scope::System =>
        {
            anyhow::bail!(
                "cannot write {}: permission denied. Install system-wide as root (`sudo perry agent install`), \
                 or for your user with `perry agent install --user`.",
                unit_path.display()
            )
        }
        Err(error) => Err(error).with_context(|| format!("cannot write {}", unit_path.display())),
    }
}
