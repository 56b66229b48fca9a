//! Clone figure (issue 21): `workspaces.clone` of a running workspace with 1 GiB of home data
//! (800 MiB in 8 large files, 200 MiB in 20,000 small ones, as a checkout with its
//! dependencies has), next to `cp -a` of the same home volume into a new volume, in the same
//! run, with the same throwaway-container machinery. The clone's time is to a ready workspace
//! (the copy of both volumes, then the start); the time to its `starting` step is its copy.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use perry_agent::engine::docker::Docker;
use perry_agent::engine::{Engine as _, PREFIX_LABEL, TaskSpec};
use perry_api::procedures::{Void, WorkspacesClone, WorkspacesDelete, WorkspacesList};
use perry_api::{CloneWorkspaceInput, WorkspaceNameInput, WorkspaceStatus};
use perry_test_support::remove_docker_objects;

use crate::{Agent, fmt_list, median};

/// Writes the home data as user `workspace`.
const FILL: &str = r#"python3 - <<'PY'
import os
home = os.path.expanduser("~/data")
os.makedirs(home + "/big", exist_ok=True)
for i in range(8):
    with open(f"{home}/big/blob{i}", "wb") as f:
        for _ in range(100):
            f.write(os.urandom(1 << 20))
for d in range(200):
    os.makedirs(f"{home}/small/d{d}", exist_ok=True)
    for i in range(100):
        with open(f"{home}/small/d{d}/f{i}.js", "wb") as f:
            f.write(os.urandom(10 * 1024))
PY
du -sb ~/data | cut -f1"#;

pub async fn bench_clone(runs: usize) -> anyhow::Result<()> {
    let agent = Agent::start("clone", None)?;
    let result = run(&agent, runs).await;
    remove_docker_objects(&agent.prefix);
    result
}

async fn run(agent: &Agent, runs: usize) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let docker = Docker::new();
    let source = agent.create_workspace(&http, "source".to_owned()).await?;
    let container = format!("{}source", agent.prefix);
    let filled = docker
        .exec(&container, "workspace", &["bash", "-lc", FILL])
        .await?;
    if filled.exit_code != 0 {
        bail!("filling the home failed: {}", filled.output);
    }
    let bytes: u64 = filled
        .output
        .trim()
        .parse()
        .context("the size of the data")?;
    let (mut clone_ready, mut clone_copy, mut cp_home) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let name = format!("copy{run}");
        let started = Instant::now();
        let input = CloneWorkspaceInput {
            source: source.name.clone(),
            name: name.clone(),
        };
        let clone = agent.call::<WorkspacesClone>(&http, &input);
        tokio::pin!(clone);
        let mut copied_at = None;
        let workspace = loop {
            tokio::select! {
                workspace = &mut clone => break workspace?,
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    let listed = agent.call::<WorkspacesList>(&http, &Void).await?;
                    let step = listed.iter().find(|w| w.name == name).and_then(|w| w.progress.clone());
                    if copied_at.is_none() && step.is_some_and(|step| step.step == "starting") {
                        copied_at = Some(started.elapsed());
                    }
                }
            }
        };
        clone_ready.push(started.elapsed().as_secs_f64());
        clone_copy.push(
            copied_at
                .context("the clone never showed `starting`")?
                .as_secs_f64(),
        );
        if workspace.status != WorkspaceStatus::Running {
            bail!("the clone is not running: {workspace:?}");
        }
        let (code, size) = {
            let output = docker
                .exec(
                    &format!("{}{name}", agent.prefix),
                    "workspace",
                    &["bash", "-lc", "du -sb ~/data | cut -f1"],
                )
                .await?;
            (output.exit_code, output.output)
        };
        if code != 0 || size.trim().parse::<u64>().ok() != Some(bytes) {
            bail!("the clone has {size:?} bytes of data, not {bytes}");
        }
        agent
            .call::<WorkspacesDelete>(&http, &WorkspaceNameInput { name })
            .await?;
        cp_home.push(copy_with_cp(&docker, agent, run).await?);
    }
    println!(
        "clone of a running workspace with {:.2} GiB of home data (8 × 100 MiB + 20,000 × 10 KiB), {runs} runs:",
        bytes as f64 / f64::from(1 << 30)
    );
    println!(
        "  workspaces.clone → ready      median {:.2} s  (all: {})",
        median(&mut clone_ready),
        fmt_list(&clone_ready)
    );
    println!(
        "    of which the copy (both volumes, source paused)  median {:.2} s  (all: {})",
        median(&mut clone_copy),
        fmt_list(&clone_copy)
    );
    println!(
        "  cp -a of the home volume alone  median {:.2} s  (all: {})",
        median(&mut cp_home),
        fmt_list(&cp_home)
    );
    Ok(())
}

/// `cp -a` of the source's home volume into a new volume, in a throwaway container: seconds.
async fn copy_with_cp(docker: &Docker, agent: &Agent, run: usize) -> anyhow::Result<f64> {
    let target = format!("{}cp-target-{run}", agent.prefix);
    let labels = HashMap::from([(PREFIX_LABEL.to_owned(), agent.prefix.clone())]);
    docker.create_volume(&target, labels.clone()).await?;
    let task = TaskSpec {
        name: format!("{}cp-{run}", agent.prefix),
        image: crate::image(),
        labels,
        volumes: vec![
            (
                format!("{}source-home", agent.prefix),
                "/from".to_owned(),
                true,
            ),
            (target.clone(), "/to".to_owned(), false),
        ],
        command: vec![
            "cp".to_owned(),
            "-a".to_owned(),
            "/from/.".to_owned(),
            "/to/".to_owned(),
        ],
        ..Default::default()
    };
    let (lines, _ignored) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let outcome = docker.run_task(&task, lines).await?;
    let seconds = started.elapsed().as_secs_f64();
    if outcome.exit_code != 0 {
        bail!("cp -a failed: {}", outcome.stderr_tail);
    }
    docker.remove_volume(&target).await?;
    Ok(seconds)
}
