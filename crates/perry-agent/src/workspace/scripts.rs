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

/// Runs one command as a user with a time limit, its output (stdout and stderr, line by line,
/// marked with a label) written to the container's own output: pid 1's stdout. `$1` the
/// seconds, `$2` the directory, `$3` the user, `$4` its home, `$5` the label, the rest the
/// command.
const RUNNER: &str = r#"set -o pipefail
cd "$2" 2>/dev/null || cd "$4" || exit 1
timeout --kill-after=5 "$1" runuser -u "$3" -- env HOME="$4" "${@:6}" 2>&1 \
  | sed -u "s/^/[$5] /" > /proc/1/fd/1"#;

/// One thing run after a workspace came up: a post-start script of config.json, or a lifecycle
/// command of the devcontainer.json it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What its outcome is called on the workspace (`postStart`).
    pub name: String,
    pub timeout_seconds: u32,
    /// Commands run at the same time (a lifecycle command's object form), each with the label
    /// its output lines get; the step fails when one of them does.
    pub commands: Vec<(String, Vec<String>)>,
    pub user: String,
    pub home: String,
    pub workdir: String,
    /// Whether a failure skips the steps after it (devcontainer.json's rule for its commands).
    pub stops_the_rest: bool,
}

impl Step {
    /// A post-start script: bash, login shell, in the home, as `user`.
    pub fn script(script: &PostStartScript, user: &str, home: &str) -> Step {
        Step {
            name: script.name.clone(),
            timeout_seconds: script
                .timeout_seconds
                .unwrap_or(DEFAULT_SCRIPT_TIMEOUT_SECONDS),
            commands: vec![(
                format!("post-start {}", script.name),
                vec!["bash".to_owned(), "-lc".to_owned(), script.script.clone()],
            )],
            user: user.to_owned(),
            home: home.to_owned(),
            workdir: home.to_owned(),
            stops_the_rest: false,
        }
    }
}

/// The scripts of `all` that run in workspace `name`, in order.
pub fn scripts_for(all: &[PostStartScript], name: &str) -> Vec<PostStartScript> {
    all.iter()
        .filter(|script| {
            script.workspaces.is_empty() || script.workspaces.iter().any(|w| w == name)
        })
        .cloned()
        .collect()
}

/// Runs `steps` in `container` one after the other, recording each outcome on workspace
/// `name` as it comes (a run not finished yet is there with `finished: false`).
pub async fn run(
    engine: Arc<dyn Engine>,
    state: Arc<StateStore>,
    name: String,
    container: String,
    steps: Vec<Step>,
) {
    run_in_order(
        &name,
        steps,
        |step| {
            let engine = engine.clone();
            let container = container.clone();
            async move {
                futures_util::future::join_all(step.commands.iter().map(|(label, command)| {
                    run_command(engine.as_ref(), &container, &step, label, command)
                }))
                .await
            }
        },
        |runs| record(&state, &name, runs),
    )
    .await;
}

/// The order of [`run`]: `run_step` runs a step's commands (each one's exit code and error),
/// `record` is given the runs after every change. The step to come is in the same record that
/// ends the one before it, so a client never sees every run finished while one is still to come.
async fn run_in_order<F: Future<Output = Vec<(Option<i32>, Option<String>)>>>(
    name: &str,
    steps: Vec<Step>,
    mut run_step: impl FnMut(Step) -> F,
    mut record: impl FnMut(&[ScriptRun]),
) {
    let pending = |step: &Step| ScriptRun {
        name: step.name.clone(),
        finished: false,
        exit_code: None,
        error: None,
        milliseconds: 0,
    };
    let mut runs: Vec<ScriptRun> = Vec::new();
    let mut steps = steps.into_iter().peekable();
    if let Some(first) = steps.peek() {
        runs.push(pending(first));
        record(&runs);
    }
    while let Some(step) = steps.next() {
        let started = Instant::now();
        let stops_the_rest = step.stops_the_rest;
        let step_name = step.name.clone();
        let outcomes = run_step(step).await;
        let run = runs.last_mut().expect("pushed before the step ran");
        run.finished = true;
        run.milliseconds = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        // The first failure speaks for the step; the exit code is the last command's.
        for (exit_code, error) in outcomes {
            run.exit_code = exit_code.or(run.exit_code);
            if run.error.is_none() {
                run.error = error;
            }
        }
        let stops = run.error.is_some() && stops_the_rest;
        if let Some(error) = &run.error {
            tracing::warn!("{} in {name:?}: {error}", run.name);
        }
        if !stops && let Some(next) = steps.peek() {
            runs.push(pending(next));
        }
        record(&runs);
        if stops {
            tracing::warn!("{name:?}: the commands after {step_name} are skipped");
            break;
        }
    }
}

/// Runs one command of a step: its exit code, and why it failed when it did.
async fn run_command(
    engine: &dyn Engine,
    container: &str,
    step: &Step,
    label: &str,
    command: &[String],
) -> (Option<i32>, Option<String>) {
    let seconds = step.timeout_seconds;
    let limit = seconds.to_string();
    let mut argv: Vec<&str> = vec![
        "bash",
        "-c",
        RUNNER,
        "perry-run",
        &limit,
        &step.workdir,
        &step.user,
        &step.home,
        label,
    ];
    argv.extend(command.iter().map(String::as_str));
    // `timeout` ends the command; this only bounds an engine that never answers.
    let outcome = tokio::time::timeout(
        Duration::from_secs(u64::from(seconds) + 30),
        engine.exec(container, "root", &argv),
    )
    .await;
    match outcome {
        Ok(Ok(output)) => {
            let exit_code = Some(i32::try_from(output.exit_code).unwrap_or(i32::MIN));
            let error = match output.exit_code {
                0 => None,
                124 | 137 => Some(format!("stopped at its time limit of {seconds} s")),
                code => Some(format!(
                    "exited with {code}; its output is in the workspace's log"
                )),
            };
            (exit_code, error)
        }
        Ok(Err(error)) => (None, Some(format!("could not run: {error}"))),
        Err(_) => (
            None,
            Some(format!(
                "the engine did not answer within {} s",
                seconds + 30
            )),
        ),
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

    fn step(name: &str, stops_the_rest: bool) -> Step {
        Step {
            name: name.to_owned(),
            timeout_seconds: 1,
            commands: vec![(name.to_owned(), vec!["true".to_owned()])],
            user: "workspace".to_owned(),
            home: "/home/workspace".to_owned(),
            workdir: "/home/workspace".to_owned(),
            stops_the_rest,
        }
    }

    /// Runs `steps` where the ones named in `failing` fail: every record made.
    async fn records(steps: Vec<Step>, failing: &[&str]) -> Vec<Vec<ScriptRun>> {
        let mut records = Vec::new();
        run_in_order(
            "app",
            steps,
            |step| {
                let fails = failing.contains(&step.name.as_str());
                async move {
                    if fails {
                        vec![(Some(1), Some("exited with 1".to_owned()))]
                    } else {
                        vec![(Some(0), None)]
                    }
                }
            },
            |runs| records.push(runs.to_vec()),
        )
        .await;
        records
    }

    fn all_finished(runs: &[ScriptRun]) -> bool {
        runs.iter().all(|run| run.finished)
    }

    #[tokio::test]
    async fn no_record_has_every_run_finished_before_the_last_step_ended() {
        let steps = vec![step("a", true), step("b", true), step("c", false)];
        let records = records(steps, &[]).await;
        let (last, before) = records.split_last().unwrap();
        assert!(before.iter().all(|runs| !all_finished(runs)), "{records:?}");
        assert!(all_finished(last));
        let names: Vec<&str> = last.iter().map(|run| run.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(last.iter().all(|run| run.error.is_none()));
    }

    #[tokio::test]
    async fn a_failed_step_that_stops_the_rest_is_the_last_run() {
        let stopped = records(vec![step("a", true), step("b", true)], &["a"]).await;
        let last = stopped.last().unwrap();
        assert_eq!(last.len(), 1, "{stopped:?}");
        assert!(all_finished(last));
        assert_eq!(last[0].error.as_deref(), Some("exited with 1"));
        // A post-start script's failure is a warning: the next one runs.
        let warned = records(vec![step("s", false), step("t", false)], &["s"]).await;
        assert_eq!(warned.last().unwrap().len(), 2);
    }
}
