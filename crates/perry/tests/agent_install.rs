//! `perry agent install|uninstall`: the unit they write, checked as text and by systemd's own
//! `systemd-analyze verify` (it needs no running systemd, only Debian's `systemd` package, which
//! scripts/test.sh installs), the dry runs, and a clear refusal where systemd is not running
//! (checked in a mount namespace that hides systemd, whatever runs the machine).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::{PERRY, assert_success, text};

/// `perry agent <args>` with the config dir and HOME given, and nothing inherited that would
/// change the unit.
fn perry_agent(config_dir: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(PERRY)
        .arg("agent")
        .args(args)
        .env("PERRY_CONFIG_DIR", config_dir)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("DOCKER_HOST")
        .env_remove("PERRY_WORKER_BINARY")
        .output()
        .unwrap()
}

fn lines_of(unit: &str) -> Vec<&str> {
    unit.lines().collect()
}

#[test]
fn install_dry_run_prints_a_system_unit_that_restarts_and_follows_docker() {
    let config_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let stdout = assert_success(
        &perry_agent(
            config_dir.path(),
            home.path(),
            &[
                "install",
                "--dry-run",
                "--host",
                "127.0.0.1",
                "--port",
                "7400",
            ],
        ),
        "agent install --dry-run",
    );
    let perry = std::fs::canonicalize(PERRY).unwrap();
    assert!(
        stdout.starts_with("Would write /etc/systemd/system/perry-agent.service:"),
        "{stdout}"
    );
    let lines = lines_of(&stdout);
    for expected in [
        "After=network-online.target docker.service".to_owned(),
        "Wants=network-online.target docker.service".to_owned(),
        format!(
            "ExecStart={} agent run --host 127.0.0.1 --port 7400",
            perry.display()
        ),
        format!(
            "Environment=PERRY_CONFIG_DIR={}",
            config_dir.path().display()
        ),
        format!("Environment=HOME={}", home.path().display()),
        "Restart=on-failure".to_owned(),
        "WantedBy=multi-user.target".to_owned(),
        "  systemctl daemon-reload".to_owned(),
        "  systemctl enable --now perry-agent.service".to_owned(),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "{expected:?} in:\n{stdout}"
        );
    }
    assert!(stdout.contains("journalctl -u perry-agent -f"), "{stdout}");
}

#[test]
fn install_dry_run_for_the_user_goes_to_the_users_config_and_journal() {
    let config_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let stdout = assert_success(
        &perry_agent(
            config_dir.path(),
            home.path(),
            &["install", "--user", "--dry-run", "--json"],
        ),
        "agent install --user --dry-run --json",
    );
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["scope"], "user");
    assert_eq!(
        plan["unitPath"],
        home.path()
            .join(".config/systemd/user/perry-agent.service")
            .display()
            .to_string()
    );
    assert_eq!(
        plan["commands"],
        serde_json::json!([
            "systemctl --user daemon-reload",
            "systemctl --user enable --now perry-agent.service"
        ])
    );
    assert_eq!(plan["logs"], "journalctl --user -u perry-agent -f");
    let unit = plan["unit"].as_str().unwrap();
    assert!(
        !unit.contains("docker.service"),
        "a user manager cannot order on system units"
    );
    assert!(
        lines_of(unit).contains(&"WantedBy=default.target"),
        "{unit}"
    );
    assert!(lines_of(unit).contains(&"Restart=on-failure"), "{unit}");
    assert!(
        !home.path().join(".config").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn the_written_units_pass_systemd_analyze_verify() {
    let probe = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .expect(
            "systemd-analyze is missing: install Debian's systemd package (scripts/test.sh does)",
        );
    assert!(probe.status.success());
    // A config dir with a space and a percent sign exercises the unit's quoting.
    let parent = tempfile::tempdir().unwrap();
    let config_dir = parent.path().join("my config 100%");
    std::fs::create_dir(&config_dir).unwrap();
    let home = tempfile::tempdir().unwrap();
    for scope in [
        &["install", "--dry-run", "--json"][..],
        &["install", "--user", "--dry-run", "--json"],
    ] {
        let plan: Value = serde_json::from_str(&assert_success(
            &perry_agent(&config_dir, home.path(), scope),
            "agent install --dry-run --json",
        ))
        .unwrap();
        let unit = plan["unit"].as_str().unwrap();
        assert!(
            unit.contains(&format!(
                "Environment=\"PERRY_CONFIG_DIR={}\"",
                config_dir.display().to_string().replace('%', "%%")
            )),
            "{unit}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perry-agent.service");
        std::fs::write(&path, unit).unwrap();
        let verify = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            verify.status.success() && text(&verify.stderr).trim().is_empty(),
            "systemd-analyze verify {scope:?}: {}{}\n{unit}",
            text(&verify.stdout),
            text(&verify.stderr)
        );
    }
}

#[test]
fn uninstall_dry_run_lists_what_it_would_do() {
    let config_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let stdout = assert_success(
        &perry_agent(config_dir.path(), home.path(), &["uninstall", "--dry-run"]),
        "agent uninstall --dry-run",
    );
    assert_eq!(
        stdout,
        "Would run:\n  systemctl disable --now perry-agent.service\n  rm /etc/systemd/system/perry-agent.service\n  systemctl daemon-reload\n"
    );
}

/// Hides systemd from a command: in a private mount namespace, empty tmpfs over /run/systemd
/// (where `sd_booted()` looks) and over /etc/systemd/system (so a broken refusal could not
/// install anything), then checks that systemd looks absent and runs the command.
const WITHOUT_SYSTEMD: &str = r#"set -e
for dir in /run/systemd /etc/systemd/system; do
  if [ -d "$dir" ]; then mount -t tmpfs perry-test "$dir"; fi
done
if [ -d /run/systemd/system ]; then echo "systemd is still visible" >&2; exit 97; fi
exec "$@""#;

/// `perry agent <args>` as on a machine without systemd, whatever runs this one: in a mount
/// namespace of its own (as root, or as the user through a user namespace).
fn perry_agent_without_systemd(config_dir: &Path, home: &Path, args: &[&str]) -> Output {
    let namespace = [&["--mount"][..], &["--user", "--map-root-user", "--mount"]]
        .into_iter()
        .find(|flags| {
            Command::new("unshare")
                .args(*flags)
                .arg("true")
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .expect(
            "cannot make a mount namespace to hide systemd in (unshare --mount as root, or \
             --user --map-root-user --mount): run the tests as root or allow user namespaces",
        );
    let perry = std::fs::canonicalize(PERRY).unwrap();
    let output = Command::new("unshare")
        .args(namespace)
        .args([
            "--propagation",
            "private",
            "sh",
            "-c",
            WITHOUT_SYSTEMD,
            "sh",
        ])
        .arg(perry)
        .arg("agent")
        .args(args)
        .env("PERRY_CONFIG_DIR", config_dir)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("DOCKER_HOST")
        .env_remove("PERRY_WORKER_BINARY")
        .output()
        .unwrap();
    assert_ne!(
        output.status.code(),
        Some(97),
        "systemd could not be hidden: {}",
        text(&output.stderr)
    );
    output
}

#[test]
fn without_systemd_install_and_uninstall_refuse_and_say_what_to_do_instead() {
    let config_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for args in [&["install"][..], &["install", "--user"], &["uninstall"]] {
        let output = perry_agent_without_systemd(config_dir.path(), home.path(), args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("systemd is not running on this machine")
                && stderr.contains("--dry-run")
                && stderr.contains("perry agent run"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!home.path().join(".config").exists(), "nothing was written");
}
