//! Network namespaces for the end-to-end tests in TypeScript (web/e2e), made by the same code as
//! the Rust tests' (`perry_test_support::netns`):
//!
//! - `perry-netns create <tag>` makes one and prints `{"name", "agentIp", "hostIp"}`;
//! - `perry-netns cut|up|delete <name>` cuts its link, brings it back, removes it;
//! - `perry-netns netem <name> <round-trip-ms> <loss-percent>` opens a slow link to it
//!   (`perry_test_support::slow_link`: half the delay each way, the loss split so a round trip
//!   sees that share), prints `{"agentIp", "hostIp", "interface", "emulation"}` and keeps it
//!   until its standard input closes (or it is killed): the link is removed then.

use std::io::Read as _;
use std::time::Duration;

use perry_test_support::netns::Namespace;
use perry_test_support::slow_link::{LinkConditions, SlowLink};

const USAGE: &str = "usage: perry-netns create <tag> | cut|up|delete <name> | netem <name> <round-trip-ms> <loss-percent>";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [command, tag] if command == "create" => Namespace::create(tag).map(|namespace| {
            println!(
                "{}",
                serde_json::json!({
                    "name": namespace.name,
                    "agentIp": namespace.agent_ip,
                    "hostIp": namespace.host_ip,
                })
            );
            namespace.keep();
        }),
        [command, name] if matches!(command.as_str(), "cut" | "up" | "delete") => {
            Namespace::named(name).and_then(|namespace| {
                let done = match command.as_str() {
                    "cut" => namespace.cut(),
                    "up" => namespace.link_up(),
                    _ => return Ok(()), // dropped: removed
                };
                namespace.keep();
                done
            })
        }
        [command, name, round_trip, loss] if command == "netem" => {
            slow_link(name, round_trip, loss)
        }
        _ => Err(USAGE.to_owned()),
    };
    if let Err(error) = outcome {
        eprintln!("perry-netns: {error}");
        std::process::exit(1);
    }
}

/// Opens the slow link, says where it is, and holds it until stdin closes.
fn slow_link(name: &str, round_trip_ms: &str, loss_percent: &str) -> Result<(), String> {
    let round_trip_ms: u64 = round_trip_ms
        .parse()
        .map_err(|_| format!("round trip {round_trip_ms:?} is not milliseconds\n{USAGE}"))?;
    let loss_percent: f64 = loss_percent
        .parse()
        .ok()
        .filter(|loss: &f64| (0.0..=100.0).contains(loss))
        .ok_or_else(|| format!("loss {loss_percent:?} is not a percentage\n{USAGE}"))?;
    let namespace = Namespace::named(name)?;
    let conditions = LinkConditions {
        round_trip: Duration::from_millis(round_trip_ms),
        loss: loss_percent / 100.0,
    };
    let link = SlowLink::open(&namespace, conditions);
    // The namespace belongs to whoever created it: `delete` removes it, not this.
    namespace.keep();
    let link = link?;
    println!(
        "{}",
        serde_json::json!({
            "agentIp": link.agent_ip,
            "hostIp": link.host_ip,
            "interface": link.host_if,
            "emulation": link.emulation.as_str(),
        })
    );
    // Whatever arrives on stdin is ignored; its end (the caller closing it, or exiting) ends the link.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(link);
    Ok(())
}
