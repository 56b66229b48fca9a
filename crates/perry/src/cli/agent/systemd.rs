//! The systemd side of `perry agent install|uninstall`: where the unit goes, its text, and the
//! `systemctl` calls, shared by both commands.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The unit's file name; `systemctl` and `journalctl` take the same name.
pub const UNIT_NAME: &str = "perry-agent.service";

/// Variables the agent reads that a service would not otherwise inherit from the shell that
/// installed it: a non-default Docker socket (rootless Docker) and a worker binary kept
/// somewhere other than next to `perry`.
const INHERITED_ENVIRONMENT: [&str; 2] = ["DOCKER_HOST", "PERRY_WORKER_BINARY"];

/// Which service manager gets the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The system manager: the agent starts at boot, as root unless the unit says otherwise.
    System,
    /// The user's manager (`systemctl --user`): the agent runs as this user while they are
    /// logged in, or always with lingering enabled.
    User,
}

impl Scope {
    pub fn from_user_flag(user: bool) -> Scope {
        if user { Scope::User } else { Scope::System }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::System => "system",
            Scope::User => "user",
        }
    }

    /// Where this scope's manager looks for units an administrator wrote.
    pub fn unit_dir(self) -> anyhow::Result<PathBuf> {
        match self {
            Scope::System => Ok(PathBuf::from("/etc/systemd/system")),
            Scope::User => {
                // The user manager reads $XDG_CONFIG_HOME/systemd/user, ~/.config by default.
                let config_home = match std::env::var_os("XDG_CONFIG_HOME") {
                    Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                    _ => PathBuf::from(std::env::var_os("HOME").context(
                        "HOME is not set, so there is no ~/.config/systemd/user for --user",
                    )?)
                    .join(".config"),
                };
                Ok(config_home.join("systemd/user"))
            }
        }
    }

    pub fn unit_path(self) -> anyhow::Result<PathBuf> {
        Ok(self.unit_dir()?.join(UNIT_NAME))
    }

    /// `systemctl` with `args`, for this scope's manager.
    pub fn systemctl(self, args: &[&str]) -> Vec<String> {
        let mut command = vec!["systemctl".to_owned()];
        if self == Scope::User {
            command.push("--user".to_owned());
        }
        command.extend(args.iter().map(|arg| (*arg).to_owned()));
        command
    }

    /// The command that follows the agent's log.
    pub fn logs_command(self) -> String {
        match self {
            Scope::System => "journalctl -u perry-agent -f".to_owned(),
            Scope::User => "journalctl --user -u perry-agent -f".to_owned(),
        }
    }

    /// The command that shows whether the agent runs.
    pub fn status_command(self) -> String {
        self.systemctl(&["status", "perry-agent"]).join(" ")
    }
}

/// What goes into the unit.
#[derive(Debug, Clone)]
pub struct UnitSpec {
    pub scope: Scope,
    /// The absolute path of the `perry` binary the service runs.
    pub executable: PathBuf,
    /// `--host` and `--port` for `perry agent run`, when given to `install`.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `Environment=` lines, in order.
    pub environment: Vec<(String, String)>,
}

impl UnitSpec {
    /// The unit for this machine: this binary, the config dir this CLI uses, and for a system
    /// unit this user's HOME (system services get no HOME, and the agent finds the SSH keys it
    /// authorizes in workspaces under HOME).
    pub fn for_this_machine(
        scope: Scope,
        config_dir: &Path,
        host: Option<String>,
        port: Option<u16>,
    ) -> anyhow::Result<UnitSpec> {
        let executable = std::env::current_exe()
            .context("cannot find the path of this perry binary")?
            .canonicalize()
            .context("cannot resolve the path of this perry binary")?;
        let config_dir = std::path::absolute(config_dir)
            .with_context(|| format!("cannot make {} absolute", config_dir.display()))?;
        // The unit says where the config is, so the service uses exactly the config (and the
        // token) this CLI sees whatever HOME the service gets.
        let mut environment = vec![(
            "PERRY_CONFIG_DIR".to_owned(),
            config_dir.display().to_string(),
        )];
        if scope == Scope::System
            && let Some(home) = std::env::var_os("HOME").filter(|home| !home.is_empty())
        {
            environment.push(("HOME".to_owned(), home.to_string_lossy().into_owned()));
        }
        for name in INHERITED_ENVIRONMENT {
            if let Some(value) = std::env::var_os(name).filter(|value| !value.is_empty()) {
                environment.push((name.to_owned(), value.to_string_lossy().into_owned()));
            }
        }
        Ok(UnitSpec {
            scope,
            executable,
            host,
            port,
            environment,
        })
    }

    /// The `ExecStart=` command line.
    pub fn exec_start(&self) -> anyhow::Result<String> {
        let mut arguments = vec![
            self.executable.display().to_string(),
            "agent".to_owned(),
            "run".to_owned(),
        ];
        if let Some(host) = &self.host {
            arguments.extend(["--host".to_owned(), host.clone()]);
        }
        if let Some(port) = self.port {
            arguments.extend(["--port".to_owned(), port.to_string()]);
        }
        let quoted: anyhow::Result<Vec<String>> = arguments
            .iter()
            .map(|argument| exec_word(argument))
            .collect();
        Ok(quoted?.join(" "))
    }

    /// The unit file's text.
    pub fn unit_text(&self) -> anyhow::Result<String> {
        let mut unit = String::new();
        unit.push_str("# Written by `perry agent install`; `perry agent uninstall` removes it.\n");
        unit.push_str("[Unit]\n");
        unit.push_str("Description=Perry agent: Docker-in-Docker workspaces for coding agents\n");
        match self.scope {
            // Workspaces are Docker containers: without the Engine the agent answers 503 to
            // everything, so start after it, and pull it in where it is not enabled.
            Scope::System => {
                unit.push_str("After=network-online.target docker.service\n");
                unit.push_str("Wants=network-online.target docker.service\n");
            }
            // A user manager cannot order against system units; the agent waits for Docker
            // by itself (it answers 503 until the Engine is there).
            Scope::User => {}
        }
        unit.push_str("\n[Service]\n");
        unit.push_str("Type=simple\n");
        unit.push_str(&format!("ExecStart={}\n", self.exec_start()?));
        for (name, value) in &self.environment {
            unit.push_str(&format!(
                "Environment={}\n",
                assignment_word(&format!("{name}={value}"))?
            ));
        }
        unit.push_str("Restart=on-failure\n");
        unit.push_str("RestartSec=2s\n");
        unit.push_str("\n[Install]\n");
        unit.push_str(match self.scope {
            Scope::System => "WantedBy=multi-user.target\n",
            Scope::User => "WantedBy=default.target\n",
        });
        Ok(unit)
    }
}

/// One word of `ExecStart=`, escaped as systemd reads it: `$` doubled (ExecStart expands
/// variables), then as [`assignment_word`].
fn exec_word(word: &str) -> anyhow::Result<String> {
    assignment_word(&word.replace('$', "$$"))
}

/// One quoted-when-needed word of a unit file: `%` doubled (specifiers), quotes and backslashes
/// escaped, and double quotes around it when it has spaces or characters the parser splits on.
fn assignment_word(word: &str) -> anyhow::Result<String> {
    if word.contains(['\n', '\r']) {
        bail!("{word:?} has a line break, which a systemd unit cannot hold");
    }
    let escaped = word.replace('%', "%%");
    let needs_quotes = escaped.is_empty()
        || escaped.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if !needs_quotes {
        return Ok(escaped);
    }
    let escaped = escaped.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!("\"{escaped}\""))
}

/// Fails unless systemd runs this machine (the test `sd_booted()` makes): in a container or a VM
/// with another init there is nothing to install into.
pub fn require_systemd() -> anyhow::Result<()> {
    if Path::new("/run/systemd/system").is_dir() {
        return Ok(());
    }
    bail!(
        "systemd is not running on this machine (there is no /run/systemd/system), so there is no \
         service manager to install the agent into.\n\
         See what would be installed with `perry agent install --dry-run`, or run `perry agent run` \
         under the supervisor you have (a container's restart policy, supervisord, runit, s6…)."
    )
}

/// Runs one `systemctl` command, failing with its own message when it fails.
pub fn run_command(command: &[String]) -> anyhow::Result<()> {
    let Some((program, arguments)) = command.split_first() else {
        return Ok(());
    };
    let output = std::process::Command::new(program)
        .args(arguments)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    bail!(
        "`{}` failed ({}): {}",
        command.join(" "),
        output.status,
        stderr.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(scope: Scope) -> UnitSpec {
        UnitSpec {
            scope,
            executable: PathBuf::from("/usr/local/bin/perry"),
            host: None,
            port: None,
            environment: vec![(
                "PERRY_CONFIG_DIR".to_owned(),
                "/home/ada/.config/perry".to_owned(),
            )],
        }
    }

    #[test]
    fn system_unit_restarts_on_failure_and_starts_after_docker() {
        let unit = spec(Scope::System).unit_text().unwrap();
        for line in [
            "[Unit]",
            "After=network-online.target docker.service",
            "Wants=network-online.target docker.service",
            "[Service]",
            "ExecStart=/usr/local/bin/perry agent run",
            "Environment=PERRY_CONFIG_DIR=/home/ada/.config/perry",
            "Restart=on-failure",
            "[Install]",
            "WantedBy=multi-user.target",
        ] {
            assert!(unit.lines().any(|l| l == line), "{line:?} in:\n{unit}");
        }
    }

    #[test]
    fn user_unit_has_no_system_dependencies_and_starts_with_the_session() {
        let unit = spec(Scope::User).unit_text().unwrap();
        assert!(!unit.contains("docker.service"), "{unit}");
        assert!(unit.contains("\nWantedBy=default.target\n"), "{unit}");
        assert!(unit.contains("\nRestart=on-failure\n"), "{unit}");
    }

    #[test]
    fn host_and_port_pass_through_to_agent_run() {
        let mut spec = spec(Scope::System);
        spec.host = Some("127.0.0.1".to_owned());
        spec.port = Some(7400);
        assert_eq!(
            spec.exec_start().unwrap(),
            "/usr/local/bin/perry agent run --host 127.0.0.1 --port 7400"
        );
    }

    #[test]
    fn words_are_escaped_as_systemd_reads_them() {
        assert_eq!(exec_word("/usr/bin/perry").unwrap(), "/usr/bin/perry");
        assert_eq!(
            exec_word("/opt/my tools/perry").unwrap(),
            "\"/opt/my tools/perry\""
        );
        assert_eq!(exec_word("100%").unwrap(), "100%%");
        assert_eq!(exec_word("$HOME").unwrap(), "$$HOME");
        assert_eq!(assignment_word("A=$HOME").unwrap(), "A=$HOME");
        assert_eq!(exec_word("a\"b").unwrap(), "\"a\\\"b\"");
        assert_eq!(exec_word("").unwrap(), "\"\"");
        assert!(exec_word("two\nlines").is_err());
    }

    #[test]
    fn user_scope_talks_to_the_user_manager_and_its_journal() {
        assert_eq!(
            Scope::User.systemctl(&["daemon-reload"]),
            ["systemctl", "--user", "daemon-reload"]
        );
        assert_eq!(
            Scope::User.logs_command(),
            "journalctl --user -u perry-agent -f"
        );
        assert_eq!(
            Scope::System.systemctl(&["daemon-reload"]),
            ["systemctl", "daemon-reload"]
        );
    }
}
