//! `perry stop <name>`

use perry_api::WorkspaceNameInput;
use perry_api::procedures::WorkspacesStop;

use super::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, name) = context.locate(&args.name).await?;
    let workspace = client
        .call::<WorkspacesStop>(&WorkspaceNameInput { name })
        .await?;
    if args.json {
        return output::print_json(&workspace);
    }
    println!(
        "{}",
        output::workspace_summary(&workspace, client.base_url())
    );
    Ok(())
}
