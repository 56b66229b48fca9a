//! `perry agent uninstall`: stops and disables the agent's service and removes its unit.

use serde_json::json;

use super::systemd::{self, Scope, UNIT_NAME};
use crate::cli::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Remove the unit from this user's systemd (`systemctl --user`) instead of system-wide.
    #[arg(long)]
    user: bool,
    /// Print the commands without running anything.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let scope = Scope::from_user_flag(args.user);
    let unit_path = scope.unit_path()?;
    let disable = scope.systemctl(&["disable", "--now", UNIT_NAME]);
    let reload = scope.systemctl(&["daemon-reload"]);
    let steps = [
        disable.join(" "),
        format!("rm {}", unit_path.display()),
        reload.join(" "),
    ];

    let summary = json!({
        "dryRun": args.dry_run,
        "scope": scope.name(),
        "unitPath": unit_path,
        "commands": steps,
    });

    if args.dry_run {
        if args.json {
            return output::print_json(&summary);
        }
        println!("Would run:");
        for step in &steps {
            println!("  {step}");
        }
        return Ok(());
    }

    systemd::require_systemd()?;
    if !unit_path.exists() {
        let other = match scope {
            Scope::System => "installed with --user? then `perry agent uninstall --user`",
            Scope::User => "installed system-wide? then `sudo perry agent uninstall`",
        };
        anyhow::bail!("there is no {} to remove ({other})", unit_path.display());
    }
    systemd::run_command(&disable)?;
    std::fs::remove_file(&unit_path)
        .map_err(|error| anyhow::anyhow!("cannot remove {}: {error}", unit_path.display()))?;
    systemd::run_command(&reload)?;
    if args.json {
        return output::print_json(&summary);
    }
    println!(
        "Stopped the agent's service and removed {}.",
        unit_path.display()
    );
    Ok(())
}
