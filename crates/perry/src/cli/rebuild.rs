//! `perry rebuild <name>`: builds a workspace again from its repository's devcontainer.json.

use perry_api::WorkspaceNameInput;
use perry_api::procedures::WorkspacesRebuild;

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
    if !args.json {
        eprintln!("Rebuilding workspace {name} on {}…", client.base_url());
    }
    let input = WorkspaceNameInput { name: name.clone() };
    let rebuild = client.call::<WorkspacesRebuild>(&input);
    let workspace = if args.json {
        rebuild.await?
    } else {
        super::logs::with_build_output(&client, &name, rebuild).await?
    };
    if args.json {
        return output::print_json(&workspace);
    }
    println!(
        "{}",
        output::workspace_summary(&workspace, client.base_url())
    );
    if let Some(note) = output::devcontainer_note(&workspace) {
        println!("{note}");
    }
    Ok(())
}
