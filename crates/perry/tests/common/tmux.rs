//! A terminal for tests: `perry` runs in a detached tmux session, keys go in with send-keys and
//! the screen comes back with capture-pane, as a person would see it.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{AgentProcess, PERRY};

pub struct Tmux {
    session: String,
}

impl Tmux {
    /// Runs `perry <command>` in a new 120×30 tmux session against the agent at `agent_port`,
    /// then prints its exit status and whether the local terminal is back in cooked mode
    /// (`EXITED=<status> icanon`).
    pub fn start(agent: &AgentProcess, agent_port: u16, command: &str) -> Tmux {
        let session = format!("perry-test-{}-{agent_port}", std::process::id());
        let script = format!(
            "PERRY_CONFIG_DIR={} PERRY_WORKER=127.0.0.1:{agent_port} {PERRY} {command}; echo \"EXITED=$? $(stty -a | grep -o -- '-\\?icanon' | head -1)\"; sleep 60",
            agent.dir.path().display(),
        );
        Self::run(&session, &script)
    }

    /// Runs `perry <command>` as a person with client.json in `client_dir` does (the agents
    /// added there, no worker from the environment).
    pub fn start_with_client(client_dir: &std::path::Path, command: &str) -> Tmux {
        let session = format!("perry-test-{}-client", std::process::id());
        let script = format!(
            "env -u PERRY_WORKER PERRY_CONFIG_DIR={} {PERRY} {command}; sleep 60",
            client_dir.display(),
        );
        Self::run(&session, &script)
    }

    fn run(session: &str, script: &str) -> Tmux {
        let session = session.to_owned();
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
                script,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success());
        Tmux { session }
    }

    /// Types `keys` and presses Enter.
    pub fn keys(&self, keys: &str) {
        self.press(&[keys, "Enter"]);
    }

    /// Sends keys as tmux names them (`x`, `Enter`, `Escape`, `BSpace`), without Enter.
    pub fn press(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, Duration::from_secs(20), |screen| {
            screen.contains(needle)
        })
    }

    /// Waits for one line of the screen that holds every one of `needles` (a table row).
    pub fn wait_for_line(&self, needles: &[&str], timeout: Duration) -> String {
        self.wait_until(&format!("a line with {needles:?}"), timeout, |screen| {
            screen
                .lines()
                .any(|line| needles.iter().all(|needle| line.contains(needle)))
        })
    }

    fn wait_until(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn resize(&self, cols: u16, rows: u16) {
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
