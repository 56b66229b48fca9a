//! `perry delete <name>`

use perry_api::WorkspaceNameInput;
use perry_api::procedures::WorkspacesDelete;

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
    let result = client
        .call::<WorkspacesDelete>(&WorkspaceNameInput { name })
        .await?;
    if args.json {
        return output::print_json(&result);
    }
    println!("Deleted {} with its container and volumes.", args.name);
    Ok(())
}
