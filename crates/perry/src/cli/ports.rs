//! `perry ports <name> [[HOST:]PORT…] [--remove HOST_PORT…]`: list, add or remove the host ports
//! the agent forwards into a workspace.

use perry_api::procedures::{PortsForward, PortsList, PortsRemove};
use perry_api::{PortForwardRequest, PortsForwardInput, PortsListInput, PortsRemoveInput};

use super::{Context, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace's name.
    name: String,
    /// Forward these ports: `PORT` (the same port on both sides) or `HOST:PORT`, e.g.
    /// `3000 8080:5173`. Without any, the forwards are listed.
    #[arg(value_name = "PORT|HOST:PORT", value_parser = parse_forward)]
    forwards: Vec<PortForwardRequest>,
    /// Stop forwarding these host ports.
    #[arg(
        long,
        value_name = "HOST_PORT",
        num_args = 1..,
        conflicts_with = "forwards",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    remove: Vec<u16>,
    /// Print the workspace's forwards as JSON ({hostPort, workspacePort, active, error?}).
    #[arg(long)]
    json: bool,
}

/// Parses `[hostPort:]workspacePort`.
fn parse_forward(spec: &str) -> Result<PortForwardRequest, String> {
    let expected = "expected [HOST:]PORT, e.g. 3000 or 8080:5173";
    let port = |text: &str| -> Result<u16, String> {
        match text.trim().parse::<u16>() {
            Ok(0) => Err(format!("port 0 cannot be forwarded; {expected}")),
            Ok(port) => Ok(port),
            Err(_) if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) => Err(
                format!("{text} is not a port (ports go from 1 to 65535); {expected}"),
            ),
            Err(_) => Err(format!("{text:?} is not a port number; {expected}")),
        }
    };
    match spec.split_once(':') {
        None => Ok(PortForwardRequest {
            host_port: None,
            workspace_port: port(spec)?,
        }),
        Some((host, workspace)) => Ok(PortForwardRequest {
            host_port: Some(port(host)?),
            workspace_port: port(workspace)?,
        }),
    }
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let (client, workspace_name) = context.locate(&args.name).await?;
    // As the person wrote it (`home/alpha`), for the hints below.
    let name = args.name.as_str();
    let forwards = if !args.remove.is_empty() {
        client
            .call::<PortsRemove>(&PortsRemoveInput {
                workspace_name,
                host_ports: args.remove.clone(),
            })
            .await?
    } else if !args.forwards.is_empty() {
        client
            .call::<PortsForward>(&PortsForwardInput {
                workspace_name,
                forwards: args.forwards.clone(),
            })
            .await?
    } else {
        client
            .call::<PortsList>(&PortsListInput { workspace_name })
            .await?
    };
    if args.json {
        return output::print_json(&forwards);
    }
    if !args.remove.is_empty() {
        let ports: Vec<String> = args.remove.iter().map(u16::to_string).collect();
        println!(
            "{name} no longer forwards host port(s) {}.",
            ports.join(", ")
        );
        return Ok(());
    }
    if !args.forwards.is_empty() {
        let host = output::host_of(client.base_url());
        for request in &args.forwards {
            let forward = request.forward();
            let Some(status) = forwards
                .iter()
                .find(|status| status.host_port == forward.host_port)
            else {
                continue;
            };
            let reach = format!(
                "{host}:{} → {name}:{}",
                status.host_port, status.workspace_port
            );
            match (&status.error, status.active) {
                (Some(error), _) => println!("{reach} (not listening: {error})"),
                (None, true) => println!("{reach}"),
                (None, false) => println!("{reach} (once {name} runs)"),
            }
        }
        eprintln!(
            "Servers in the workspace must listen on 0.0.0.0 (e.g. `vite --host`), not only on localhost."
        );
        return Ok(());
    }
    if forwards.is_empty() {
        println!(
            "{name} forwards no ports. Add one with `perry ports {name} 3000` or `perry ports {name} 8080:5173`."
        );
        return Ok(());
    }
    println!("{}", output::forward_table(&forwards));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host_port: Option<u16>, workspace_port: u16) -> PortForwardRequest {
        PortForwardRequest {
            host_port,
            workspace_port,
        }
    }

    #[test]
    fn a_bare_port_forwards_the_same_port() {
        assert_eq!(parse_forward("3000"), Ok(request(None, 3000)));
    }

    #[test]
    fn host_colon_port_forwards_another_host_port() {
        assert_eq!(parse_forward("8080:5173"), Ok(request(Some(8080), 5173)));
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        for (spec, says) in [
            ("", "is not a port number"),
            ("abc", "\"abc\" is not a port number"),
            ("8080:", "\"\" is not a port number"),
            (":5173", "\"\" is not a port number"),
            ("1:2:3", "\"2:3\" is not a port number"),
            ("70000", "70000 is not a port (ports go from 1 to 65535)"),
            ("8080:0", "port 0 cannot be forwarded"),
            ("-1", "\"-1\" is not a port number"),
        ] {
            let error = parse_forward(spec).expect_err(spec);
            assert!(error.contains(says), "{spec:?}: {error}");
            assert!(error.contains("[HOST:]PORT"), "{spec:?}: {error}");
        }
    }
}
