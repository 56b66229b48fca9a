//! Devcontainer figures (issue 23): `perry start --clone` of a repository with a
//! devcontainer.json whose image is built already (a cache hit: the second workspace of the same
//! config), next to `perry start --clone` of a repository without one (the agent's own image)
//! and a `perry start` without a clone, interleaved in one run, each to a ready workspace (the
//! create's answer). Also the first, cold
//! build of that config and the size Perry's layer adds to the project's image.
//!
//! The project is the test fixture `plain-debian` (a bare `debian:bookworm` with lifecycle
//! commands and a forwarded port), served by a git daemon on this host.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::Docker;
use perry_api::procedures::{WorkspacesCreate, WorkspacesDelete};
use perry_api::{CreateWorkspaceInput, Workspace, WorkspaceNameInput, WorkspaceStatus};
use perry_test_support::git::GitServer;
use perry_test_support::remove_docker_objects;

use crate::{Agent, fmt_list, median, repo_root};

pub async fn bench_devcontainer(runs: usize) -> anyhow::Result<()> {
    let agent = Agent::start("devcontainer", None)?;
    let result = run(&agent, runs).await;
    remove_docker_objects(&agent.prefix);
    result
}

/// Creates workspace `name`, cloning `url` into it when there is one: seconds to ready.
async fn create(
    agent: &Agent,
    http: &reqwest::Client,
    name: &str,
    url: Option<&str>,
) -> anyhow::Result<(f64, Workspace)> {
    let started = Instant::now();
    let workspace = agent
        .call::<WorkspacesCreate>(
            http,
            &CreateWorkspaceInput {
                name: name.to_owned(),
                clone: url.map(str::to_owned),
                ..Default::default()
            },
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    if workspace.status != WorkspaceStatus::Running {
        bail!("{name} did not become ready: {workspace:?}");
    }
    Ok((seconds, workspace))
}

async fn delete(agent: &Agent, http: &reqwest::Client, name: &str) -> anyhow::Result<()> {
    agent
        .call::<WorkspacesDelete>(
            http,
            &WorkspaceNameInput {
                name: name.to_owned(),
            },
        )
        .await?;
    Ok(())
}

async fn run(agent: &Agent, runs: usize) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let fixture: PathBuf =
        repo_root().join("crates/perry-agent/tests/fixtures/devcontainer/plain-debian");
    let plain = tempfile::tempdir()?;
    std::fs::write(
        plain.path().join("README"),
        "a repository without a devcontainer.json\n",
    )?;
    let git = GitServer::serve(&[("project", fixture.as_path()), ("plain", plain.path())]);

    // The cold build of the config (Docker's own layer cache may hold parts of it).
    let project = git.url("project");
    let (cold, first) = create(agent, &http, "cold", Some(&project)).await?;
    let docker = Docker::new();
    let built = docker
        .image_info(&first.image)
        .await?
        .map_or(0, |info| info.size);
    let base = docker
        .image_info("debian:bookworm")
        .await?
        .map_or(0, |info| info.size);
    let plain_url = git.url("plain");
    let (mut cached, mut agent_image, mut no_clone) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let (seconds, workspace) =
            create(agent, &http, &format!("dc-{run}"), Some(&project)).await?;
        if workspace.image != first.image {
            bail!("the second workspace of the config was built again: {workspace:?}");
        }
        cached.push(seconds);
        let (seconds, _) = create(agent, &http, &format!("plain-{run}"), Some(&plain_url)).await?;
        agent_image.push(seconds);
        let (seconds, _) = create(agent, &http, &format!("bare-{run}"), None).await?;
        no_clone.push(seconds);
        for kind in ["dc", "plain", "bare"] {
            delete(agent, &http, &format!("{kind}-{run}")).await?;
        }
    }
    delete(agent, &http, "cold").await?;
    let (cached_median, plain_median, bare_median) = (
        median(&mut cached.clone()),
        median(&mut agent_image.clone()),
        median(&mut no_clone.clone()),
    );
    println!(
        "devcontainer.json on debian:bookworm, first build → ready: {cold:.1} s (Docker's layer cache may hold parts)"
    );
    println!(
        "second workspace of the same config (cache hit) → ready: median {cached_median:.2} s [{}]",
        fmt_list(&cached)
    );
    println!(
        "a repository without one (the agent's image) → ready: median {plain_median:.2} s [{}]",
        fmt_list(&agent_image)
    );
    println!(
        "a workspace of the agent's image without a clone → ready: median {bare_median:.2} s [{}]",
        fmt_list(&no_clone)
    );
    println!(
        "ratio: {:.2}× a clone without devcontainer.json (goal ≤ 1.2×), {:.2}× a create without a clone",
        cached_median / plain_median,
        cached_median / bare_median
    );
    println!(
        "image: {:.0} MB, of which Perry's layer adds {:.0} MB to debian:bookworm's {:.0} MB",
        built as f64 / 1e6,
        built.saturating_sub(base) as f64 / 1e6,
        base as f64 / 1e6
    );
    Ok(())
}
