//! The machine's Docker daemon really stops while the agent runs, and starts again.
//!
//! This stops the only dockerd of the machine, so it must never run next to other tests:
//! `.config/nextest.toml` leaves this binary out of the normal run, and scripts/test.sh runs it
//! on its own afterwards (`cargo nextest run -p perry --test docker_faults
//! --ignore-default-filter`). dockerd is started again (scripts/ensure-docker.sh) however the
//! test ends.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use perry_api::Workspace;
use serde_json::{Value, json};

use common::AgentProcess;

/// Starts dockerd again when dropped, so a failing test never leaves the machine without it.
/// Declared after the agent, so it is dropped first: the agent's cleanup (its container and
/// volumes) needs dockerd back.
struct DockerdComesBack;

impl DockerdComesBack {
    /// Starts dockerd and waits until it answers; returns how long that took.
    fn now(&self) -> Duration {
        bring_dockerd_back().unwrap_or_else(|problem| panic!("{problem}"))
    }
}

impl Drop for DockerdComesBack {
    /// Never panics: a panic here, while a failing test unwinds, aborts the test binary before
    /// the agent's cleanup runs, and leaves its container and volumes behind.
    fn drop(&mut self) {
        // A dockerd that is still stopping makes scripts/ensure-docker.sh wait for it and give
        // up; the next attempt finds it gone and starts a new one.
        let mut problems = Vec::new();
        for _ in 0..3 {
            match bring_dockerd_back() {
                Ok(_) => return,
                Err(problem) => problems.push(problem),
            }
        }
        eprintln!(
            "dockerd did not come back after the test: {}",
            problems.join("; ")
        );
    }
}

/// Runs scripts/ensure-docker.sh (starts dockerd unless it answers, then waits until it does);
/// returns how long that took, or what went wrong. Never panics.
fn bring_dockerd_back() -> Result<Duration, String> {
    let began = Instant::now();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ensure-docker.sh");
    let status = Command::new(&script)
        .status()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    if !status.success() {
        return Err(format!("{} failed: {status}", script.display()));
    }
    Ok(began.elapsed())
}

/// Stops the local dockerd the way a service manager does (SIGTERM) and waits until it is gone;
/// returns how long that took.
fn stop_dockerd() -> Duration {
    let began = Instant::now();
    let pid = std::fs::read_to_string("/var/run/docker.pid")
        .ok()
        .map(|pid| pid.trim().to_owned())
        .filter(|pid| !pid.is_empty())
        .or_else(|| {
            let output = Command::new("pgrep")
                .args(["-x", "dockerd"])
                .output()
                .ok()?;
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .expect("a local dockerd runs (this test stops it)");
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success(), "cannot signal dockerd {pid}");
    // dockerd stops its containers first (up to their stop timeout) before it exits.
    let deadline = Instant::now() + Duration::from_secs(180);
    while PathBuf::from(format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "dockerd {pid} did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    began.elapsed()
}

#[test]
fn dockerd_stopped_gives_503_keeps_the_agent_up_and_loses_nothing_when_it_is_back() {
    let mut agent = AgentProcess::start("dockerd");
    let (status, body) = agent.call("workspaces/create", json!({"name": "keep"}));
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("running")),
        "{body}"
    );
    let before: Workspace = serde_json::from_value(body).unwrap();
    let (status, body) = agent.call(
        "workspaces/exec",
        json!({"name": "keep", "command": ["bash", "-lc", "echo kept > ~/proof.txt"]}),
    );
    assert_eq!((status, &body["exitCode"]), (200, &json!(0)), "{body}");
    let state_before = std::fs::read(agent.dir.path().join("state.json")).unwrap();

    let dockerd = DockerdComesBack;
    let stopping = stop_dockerd();

    // Every call that needs Docker says so, with what to do; none changes anything.
    let calls = [
        ("workspaces/list", json!({})),
        ("workspaces/get", json!({"name": "keep"})),
        ("workspaces/create", json!({"name": "fresh"})),
        ("workspaces/start", json!({"name": "keep"})),
        ("workspaces/stop", json!({"name": "keep"})),
        ("workspaces/delete", json!({"name": "keep"})),
        (
            "workspaces/exec",
            json!({"name": "keep", "command": ["true"]}),
        ),
        ("workspaces/logs", json!({"name": "keep"})),
        ("workspaces/sync", json!({"name": "keep"})),
    ];
    let asking = Instant::now();
    for (path, input) in &calls {
        let (status, error) = agent.call(path, input.clone());
        assert_eq!(
            (status, error["code"].as_str()),
            (503, Some("SERVICE_UNAVAILABLE")),
            "{path} with dockerd stopped: {error}"
        );
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("Docker is not answering")
                && message.contains("start the Docker daemon"),
            "{path}: the message says what is wrong and what to do: {message}"
        );
    }
    let asking = asking.elapsed();
    let (status, info) = agent.call("agent/info", json!({}));
    assert_eq!(status, 200, "the agent itself still answers: {info}");
    assert!(info["dockerVersion"].is_null(), "{info}");
    assert!(agent.is_running(), "the agent process stays up");
    assert_eq!(
        std::fs::read(agent.dir.path().join("state.json")).unwrap(),
        state_before,
        "failed calls change nothing"
    );

    let starting = dockerd.now();

    // The agent reconnects by itself; the workspace is still there, starts, and has its file.
    let deadline = Instant::now() + Duration::from_secs(60);
    let listed: Vec<Workspace> = loop {
        let (status, body) = agent.call("workspaces/list", json!({}));
        if status == 200 {
            break serde_json::from_value(body).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "list after dockerd came back: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        listed.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
        ["keep"]
    );
    let (status, body) = agent.call("workspaces/start", json!({"name": "keep"}));
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("running")),
        "{body}"
    );
    assert_eq!(body["ports"]["ssh"], json!(before.ports.ssh));
    let (status, body) = agent.call(
        "workspaces/exec",
        json!({"name": "keep", "command": ["cat", "/home/workspace/proof.txt"]}),
    );
    assert_eq!(
        (status, body["stdout"].as_str()),
        (200, Some("kept\n")),
        "{body}"
    );
    let (status, info) = agent.call("agent/info", json!({}));
    assert!(status == 200 && info["dockerVersion"].is_string(), "{info}");

    // New work goes through as before.
    let (status, body) = agent.call("workspaces/create", json!({"name": "fresh"}));
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("running")),
        "{body}"
    );
    for name in ["keep", "fresh"] {
        let (status, body) = agent.call("workspaces/delete", json!({"name": name}));
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = agent.call("workspaces/list", json!({}));
    assert_eq!((status, body), (200, Value::Array(vec![])));
    assert!(agent.is_running());
    println!(
        "dockerd stopped: {} calls answered 503 SERVICE_UNAVAILABLE in {} ms with dockerd down \
         (stopping it took {:.1} s, starting it {:.1} s); the agent stayed up, the workspace was \
         listed, started and kept /home/workspace/proof.txt, and a new create worked",
        calls.len(),
        asking.as_millis(),
        stopping.as_secs_f64(),
        starting.as_secs_f64()
    );
}
