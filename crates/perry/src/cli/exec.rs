//! `perry exec <name> [--timeout S] -- cmd args`: one command in a workspace, its stdout and
//! stderr kept apart, its exit code as ours.

use std::io::Write;
use std::process::ExitCode;

use perry_api::procedures::WorkspacesExec;
use perry_api::{ErrorCode, ExecInput};

use super::{Context, output};
use crate::client::CallError;

/// The exit code for a command killed at its timeout, as coreutils' `timeout` uses.
const TIMED_OUT: u8 = 124;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Seconds before the command is killed (default 60).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u32>,
    /// Run as this user (default workspace).
    #[arg(long, short)]
    user: Option<String>,
    /// Working directory (default the user's home).
    #[arg(long, short)]
    workdir: Option<String>,
    /// Print {exitCode, stdout, stderr, truncated} as JSON instead.
    #[arg(long)]
    json: bool,
    /// The command and its arguments (no shell: `-- bash -lc '…'` for one).
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (client, name) = context.locate(&args.name).await?;
    let input = ExecInput {
        name,
        command: args.command,
        timeout_seconds: args.timeout,
        user: args.user,
        workdir: args.workdir,
    };
    let result = match client.call::<WorkspacesExec>(&input).await {
        Ok(result) => result,
        Err(CallError::Rpc(error)) if error.code == ErrorCode::Timeout => {
            eprintln!("perry: {}", error.message);
            return Ok(ExitCode::from(TIMED_OUT));
        }
        Err(error) => return Err(error.into()),
    };
    if args.json {
        output::print_json(&result)?;
    } else {
        std::io::stdout().write_all(result.stdout.as_bytes())?;
        std::io::stderr().write_all(result.stderr.as_bytes())?;
        if result.truncated {
            eprintln!(
                "perry: the output was longer than the agent keeps (1 MiB per stream) and was cut"
            );
        }
    }
    Ok(ExitCode::from(u8::try_from(result.exit_code).unwrap_or(1)))
}
