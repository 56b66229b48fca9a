//! `perry list`

use perry_api::procedures::{Void, WorkspacesList};

use super::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let workspaces = context.client()?.call::<WorkspacesList>(&Void).await?;
    if args.json {
        return output::print_json(&workspaces);
    }
    if workspaces.is_empty() {
        println!("No workspaces yet. Create one with `perry start <name>`.");
        return Ok(());
    }
    println!("{}", output::workspace_table(&workspaces));
    Ok(())
}
