//! `perry shell` driven through tmux, as a person types into it: echo, resize, exit status, the
//! local terminal restored afterwards, and one-off commands.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{AgentProcess, PERRY, assert_success};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(agent: &AgentProcess, shell_command: &str) -> Tmux {
        let session = format!("perry-test-{}-{}", std::process::id(), agent.port);
        let script = format!(
            "PERRY_CONFIG_DIR={} PERRY_WORKER=127.0.0.1:{} {PERRY} {shell_command}; echo EXITED=$?; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 60",
            agent.dir.path().display(),
            agent.port
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "120",
                "-y",
                "30",
                &script,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success());
        Tmux { session }
    }

    fn keys(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, keys, "Enter"])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn resize(&self, cols: u16, rows: u16) {
        let status = Command::new("tmux")
            .args([
                "resize-window",
                "-t",
                &self.session,
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

#[test]
fn perry_shell_feels_like_a_local_terminal() {
    let agent = AgentProcess::start("shell");
    assert_success(&agent.perry(&["start", "tty"]), "perry start tty");

    let tmux = Tmux::start(&agent, "shell tty");
    tmux.wait_for("workspace@tty");
    tmux.keys("echo typed-$((20+22)); stty size");
    let screen = tmux.wait_for("typed-42");
    assert!(
        screen.contains("30 120"),
        "the remote size is the local one:\n{screen}"
    );

    tmux.resize(100, 25);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("clear; stty size");
    tmux.wait_for("25 100");

    tmux.keys("exit 5");
    let screen = tmux.wait_for("EXITED=5");
    assert!(
        screen.contains("\nicanon"),
        "the local terminal is back in cooked mode:\n{screen}"
    );
}

#[test]
fn perry_shell_runs_one_command_and_returns_its_status() {
    let agent = AgentProcess::start("oneshot");
    assert_success(&agent.perry(&["start", "cmd"]), "perry start cmd");
    let output = agent.perry(&[
        "shell",
        "cmd",
        "--",
        "bash",
        "-c",
        "echo \"in $(hostname) as $(whoami)\"; exit 3",
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stdout).contains("in cmd as workspace"));

    let missing = agent.perry(&["shell", "ghost"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
