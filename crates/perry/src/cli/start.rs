//! `perry start <name>`: starts a workspace, creating it first when it does not exist.

use anyhow::bail;
use perry_api::{ErrorCode, Workspace, WorkspaceStatus};
use serde_json::json;

use super::{Context, output};
use crate::client::CallError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Image for a new workspace (default: the agent's imageTag).
    #[arg(long)]
    image: Option<String>,
    /// For a new workspace: clone this git repository into /home/workspace/<repo>, as user
    /// `workspace` with the synced credentials.
    #[arg(long, value_name = "GIT_URL")]
    clone: Option<String>,
    /// Print JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let client = context.client()?;
    let started: Result<Workspace, CallError> = client
        .call("workspaces/start", json!({ "name": args.name }))
        .await;
    let created =
        matches!(&started, Err(CallError::Rpc(error)) if error.code == ErrorCode::NotFound);
    let workspace = match started {
        Err(CallError::Rpc(error)) if error.code == ErrorCode::NotFound => {
            if !args.json {
                eprintln!("Creating workspace {}…", args.name);
            }
            client
                .call(
                    "workspaces/create",
                    json!({ "name": args.name, "image": args.image, "clone": args.clone }),
                )
                .await?
        }
        other => {
            if args.clone.is_some() && !args.json {
                eprintln!(
                    "note: {} exists already; --clone only applies when a workspace is created (use `perry exec {} -- git clone <url>`)",
                    args.name, args.name
                );
            }
            other?
        }
    };
    if args.json {
        output::print_json(&workspace)?;
    } else {
        println!(
            "{}",
            output::workspace_summary(&workspace, client.base_url())
        );
    }
    if workspace.status == WorkspaceStatus::Error {
        bail!("workspace {} did not become ready", workspace.name);
    }
    if let Some(clone) = workspace.clone.as_ref().filter(|_| created) {
        match &clone.error {
            None if !args.json => println!("Cloned {} into {}", clone.url, clone.path),
            None => {}
            Some(error) => bail!(
                "cloning {} failed (the workspace is running; clone again with `perry exec {} -- git clone {}`):\n{error}",
                clone.url,
                workspace.name,
                clone.url
            ),
        }
    }
    Ok(())
}
