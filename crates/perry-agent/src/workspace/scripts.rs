//! Post-start scripts (config.json `scripts`, `settings.setScript`): after every start, once the
//! workspace is ready (and at create, after the clone), each script for that workspace runs in
//! order as `workspace` (bash, login shell, in the home), in the background: the start does not
//! wait for them. Their output goes to the workspace's own log (`perry logs`), each line marked
//! with the script's name; each has a time limit. How each one ended is recorded on the
//! workspace (`postStart`), script by script as they finish; a failed one is a warning, the
//! workspace runs on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use perry_api::settings::{DEFAULT_SCRIPT_TIMEOUT_SECONDS, PostStartScript, ScriptRun};

use crate::engine::Engine;
use crate::state::StateStore;

/// Runs one script as the workspace user with its time limit, its output (stdout and stderr,
/// line by line, marked with the name) written to the container's own output: pid 1's stdout.
/// `$1` the seconds, `$2` the script, `$3` the name.
const RUNNER: &str = r#"set -o pipefail
cd /home/workspace || exit 1
timeout --kill-after=5 "$1" runuser -u workspace -- env HOME=/home/workspace bash -lc "$2" 2>&1 \
  | sed -u "s/^/[post-start $3] /" > /proc/1/fd/1"#;

/// The scripts of `all` that run in workspace `name`, in order.
pub fn scripts_for(all: &[PostStartScript], name: &str) -> Vec<PostStartScript> {
    all.iter()
        .filter(|script| {
            script.workspaces.is_empty() || script.workspaces.iter().any(|w| w == name)
        })
        .cloned()
        .collect()
}

/// Runs `scripts` in `container` one after the other, recording each outcome on workspace
/// `name` as it comes (a run not finished yet is there with `finished: false`).
pub async fn run(
    engine: Arc<dyn Engine>,
    state: Arc<StateStore>,
    name: String,
    container: String,
    scripts: Vec<PostStartScript>,
) {
    let mut runs: Vec<ScriptRun> = Vec::new();
    for script in scripts {
        runs.push(ScriptRun {
            name: script.name.clone(),
            finished: false,
            exit_code: None,
            error: None,
            milliseconds: 0,
        });
        record(&state, &name, &runs);
        let started = Instant::now();
        let seconds = script
            .timeout_seconds
            .unwrap_or(DEFAULT_SCRIPT_TIMEOUT_SECONDS);
        let limit = seconds.to_string();
        let command = [
            "bash",
            "-c",
            RUNNER,
            "perry-post-start",
            &limit,
            &script.script,
            &script.name,
        ];
        // `timeout` ends the script; this only bounds an engine that never answers.
        let outcome = tokio::time::timeout(
            Duration::from_secs(u64::from(seconds) + 30),
            engine.exec(&container, "root", &command),
        )
        .await;
        let run = runs.last_mut().expect("pushed above");
        run.finished = true;
        run.milliseconds = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        match outcome {
            Ok(Ok(output)) => {
                run.exit_code = Some(i32::try_from(output.exit_code).unwrap_or(i32::MIN));
                run.error = match output.exit_code {
                    0 => None,
                    124 | 137 => Some(format!("stopped at its time limit of {seconds} s")),
                    code => Some(format!(
                        "exited with {code}; its output is in the workspace's log"
                    )),
                };
            }
            Ok(Err(error)) => run.error = Some(format!("could not run: {error}")),
            Err(_) => {
                run.error = Some(format!(
                    "the engine did not answer within {} s",
                    seconds + 30
                ))
            }
        }
        if let Some(error) = &run.error {
            tracing::warn!("post-start script {} of {name:?}: {error}", run.name);
        }
        record(&state, &name, &runs);
    }
}

fn record(state: &StateStore, name: &str, runs: &[ScriptRun]) {
    let saved = state.update(|state| {
        if let Some(workspace) = state.workspaces.get_mut(name) {
            workspace.post_start = Some(runs.to_vec());
        }
    });
    if let Err(error) = saved {
        tracing::error!("cannot record the post-start scripts of {name:?}: {error:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_gets_the_scripts_for_every_workspace_and_its_own_in_order() {
        let script = |name: &str, workspaces: &[&str]| PostStartScript {
            name: name.to_owned(),
            script: "true".to_owned(),
            timeout_seconds: None,
            workspaces: workspaces.iter().map(|w| (*w).to_owned()).collect(),
        };
        let all = [
            script("a", &[]),
            script("b", &["other"]),
            script("c", &["app", "other"]),
        ];
        let names = |name| {
            scripts_for(&all, name)
                .into_iter()
                .map(|script| script.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("app"), ["a", "c"]);
        assert_eq!(names("other"), ["a", "b", "c"]);
        assert_eq!(names("lonely"), ["a"]);
    }
}
