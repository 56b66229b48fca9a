//! Network namespaces for the end-to-end tests in TypeScript (web/e2e), made by the same code as
//! the Rust tests' (`perry_test_support::netns`):
//!
//! - `perry-netns create <tag>` makes one and prints `{"name", "agentIp", "hostIp"}`;
//! - `perry-netns cut|up|delete <name>` cuts its link, brings it back, removes it.

use perry_test_support::netns::Namespace;

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
        _ => Err("usage: perry-netns create <tag> | cut|up|delete <name>".to_owned()),
    };
    if let Err(error) = outcome {
        eprintln!("perry-netns: {error}");
        std::process::exit(1);
    }
}
