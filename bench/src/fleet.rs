//! `perry-bench fleet`: `perry list` across three agents with 100 workspaces each, next to one
//! agent's list through the same CLI (both pay the CLI's start), and with a fourth agent that is
//! black-holed: its address is in a network namespace that drops every packet to it.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::json;

use crate::{Agent, median, repo_root, state_with};

/// Runs `perry args` against the client config in `dir`: how long it took.
fn timed(dir: &std::path::Path, args: &[&str]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = Command::new(repo_root().join("target/release/perry"))
        .args(args)
        .env("PERRY_CONFIG_DIR", dir)
        .env_remove("PERRY_WORKER")
        .env_remove("PERRY_TOKEN")
        .output()?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "perry {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

/// Runs `perry list` against `dir` and reads its output as it comes: when a line with
/// `workspace` showed, and when the line of agent `dead` did.
fn watch_list(
    dir: &std::path::Path,
    workspace: &str,
    dead: &str,
) -> anyhow::Result<(Duration, Duration)> {
    use std::io::BufRead as _;
    let started = Instant::now();
    let mut child = Command::new(repo_root().join("target/release/perry"))
        .arg("list")
        .env("PERRY_CONFIG_DIR", dir)
        .env_remove("PERRY_WORKER")
        .env_remove("PERRY_TOKEN")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (mut shown, mut marked) = (None, None);
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        if shown.is_none() && line.contains(workspace) {
            shown = Some(started.elapsed());
        }
        if marked.is_none() && line.trim_start().starts_with(dead) {
            marked = Some(started.elapsed());
        }
    }
    child.wait()?;
    match (shown, marked) {
        (Some(shown), Some(marked)) => Ok((shown, marked)),
        _ => bail!("perry list showed no {workspace} or no line for {dead}"),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub async fn bench_fleet(runs: usize) -> anyhow::Result<()> {
    let names = ["a", "b", "c"];
    let agents = names
        .iter()
        .map(|name| Agent::start(&format!("fleet-{name}"), Some(state_with(100))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client = tempfile::tempdir()?;
    let mut known = serde_json::Map::new();
    for (name, agent) in names.iter().zip(&agents) {
        known.insert(
            (*name).to_owned(),
            json!({"url": agent.url, "token": agent.token}),
        );
    }
    let client_file = client.path().join("client.json");
    std::fs::write(&client_file, json!({ "agents": known }).to_string())?;
    let dir = client.path();
    // Warm: every agent has answered once, the binary is in the page cache.
    timed(dir, &["list", "--json"])?;

    let runs = runs.max(20);
    let mut singles: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut merged = Vec::new();
    for _ in 0..runs {
        for (index, name) in names.iter().enumerate() {
            singles[index].push(millis(timed(dir, &["--worker", name, "list", "--json"])?));
        }
        merged.push(millis(timed(dir, &["list", "--json"])?));
    }
    let slowest_single = singles
        .iter_mut()
        .map(|values| median(values))
        .fold(0.0_f64, f64::max);
    let merged_p50 = median(&mut merged);
    println!(
        "fleet list, 3 agents × 100 workspaces, {runs} runs of the CLI: merged p50 {merged_p50:.1} ms; slowest single agent p50 {slowest_single:.1} ms; {:+.1} ms over it (goal ≤ +2 ms)",
        merged_p50 - slowest_single
    );

    // A fourth agent that is black-holed: an address in a network namespace whose packets are
    // dropped (not refused). Without the rights for a namespace, a port that accepts and never
    // answers stands in for it.
    let (hole_url, what, _namespace) = match perry_test_support::netns::Namespace::create("hole") {
        Ok(namespace) => {
            namespace
                .black_hole(perry_agent::state::config::DEFAULT_PORT)
                .map_err(anyhow::Error::msg)?;
            (
                format!(
                    "http://{}:{}",
                    namespace.agent_ip,
                    perry_agent::state::config::DEFAULT_PORT
                ),
                "black-holed (packets dropped in its network namespace)",
                Some(namespace),
            )
        }
        Err(why) => {
            eprintln!("no network namespace ({why}); a port that never answers stands in");
            let hole = TcpListener::bind("127.0.0.1:0")?;
            let url = format!("http://{}", hole.local_addr()?);
            std::thread::spawn(move || {
                let mut streams = Vec::new();
                for stream in hole.incoming().flatten() {
                    streams.push(stream);
                }
            });
            (url, "that accepts and never answers", None)
        }
    };
    known.insert("hole".to_owned(), json!({ "url": hole_url }));
    std::fs::write(&client_file, json!({ "agents": known }).to_string())?;
    let (mut live, mut marked) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (shown, dead) = watch_list(dir, "ws000", "hole")?;
        live.push(millis(shown));
        marked.push(millis(dead));
    }
    println!(
        "fleet list with one agent {what}, p50 of 3 (from the CLI's start): live agents' workspaces shown after {:.0} ms (goal ≤ 100 ms), the dead one marked after {:.0} ms (goal ≤ 5 s)",
        median(&mut live),
        median(&mut marked)
    );
    drop(agents);
    Ok(())
}
