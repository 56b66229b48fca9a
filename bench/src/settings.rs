//! Settings figure (issue 20): a setting saved → applied in every running workspace. With 10
//! running workspaces, each sample sets an environment variable (`settings.setEnv`) and applies
//! it (`workspaces.syncAll`, what the web UI's "Apply to running workspaces" calls), then checks
//! the new value in a login shell of every workspace; the time is from the save's request to
//! syncAll's reply (the value is then in all of them: checked, not assumed).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::Docker;
use perry_api::procedures::{SettingsSetEnv, Void, WorkspacesSyncAll};
use perry_api::settings::EnvSetInput;

use crate::{Agent, percentile};
use perry_test_support::remove_docker_objects;

const WORKSPACES: usize = 10;
const SAMPLES: usize = 10;

pub async fn bench_settings() -> anyhow::Result<()> {
    let agent = Agent::start("settings", None)?;
    let result = run(&agent).await;
    remove_docker_objects(&agent.prefix);
    result
}

async fn run(agent: &Agent) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let docker = Docker::new();
    let names: Vec<String> = (1..=WORKSPACES).map(|i| format!("ws{i}")).collect();
    // Two at a time: this machine has two cores and each workspace starts its own dockerd.
    for pair in names.chunks(2) {
        let created = futures_util::future::join_all(
            pair.iter()
                .map(|name| agent.create_workspace(&http, name.clone())),
        )
        .await;
        for workspace in created {
            workspace?;
        }
    }
    let mut save_to_applied = Vec::new();
    let mut save_only = Vec::new();
    for sample in 0..SAMPLES {
        let value = format!("value-{sample}");
        let started = Instant::now();
        agent
            .call::<SettingsSetEnv>(
                &http,
                &EnvSetInput {
                    name: "PERRY_BENCH_SETTING".to_owned(),
                    value: value.clone(),
                },
            )
            .await?;
        save_only.push(started.elapsed().as_secs_f64() * 1000.0);
        let results = agent.call::<WorkspacesSyncAll>(&http, &Void).await?;
        save_to_applied.push(started.elapsed().as_secs_f64() * 1000.0);
        if results.len() != WORKSPACES {
            bail!("syncAll answered for {} workspaces", results.len());
        }
        for result in &results {
            if let Some(error) = result
                .error
                .as_ref()
                .or_else(|| result.items.iter().find_map(|item| item.error.as_ref()))
            {
                bail!("sync of {} failed: {error}", result.name);
            }
        }
        for name in &names {
            let container = format!("{}{name}", agent.prefix);
            let output = docker
                .exec(
                    &container,
                    "workspace",
                    &["bash", "-lc", "printf %s \"$PERRY_BENCH_SETTING\""],
                )
                .await
                .context("reading the value back")?;
            if output.output != value {
                bail!("{name} has {:?}, not {value:?}", output.output);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    save_to_applied.sort_by(f64::total_cmp);
    save_only.sort_by(f64::total_cmp);
    println!(
        "settings: save an environment variable → applied in {WORKSPACES} running workspaces (setEnv + syncAll): p50 {:.0} ms, max {:.0} ms over {SAMPLES} saves (the value then read back in every workspace)",
        percentile(&save_to_applied, 0.5),
        percentile(&save_to_applied, 1.0),
    );
    println!(
        "  of which the save itself (config.json written under its lock): p50 {:.1} ms",
        percentile(&save_only, 0.5),
    );
    Ok(())
}
