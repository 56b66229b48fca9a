//! `perry agent install|uninstall`: the unit they write, checked as text and by systemd's own
//! `systemd-analyze verify`, the dry runs, and a clear refusal where systemd is not running.

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
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        println!("note: systemd-analyze is not installed; only the unit text was checked");
        return;
    };
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

#[test]
fn without_systemd_install_and_uninstall_refuse_and_say_what_to_do_instead() {
    if Path::new("/run/systemd/system").exists() {
        // Installing for real would change this machine; the refusal is only testable here.
        println!("note: systemd runs this machine; the no-systemd refusal was not exercised");
        return;
    }
    let config_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for args in [&["install"][..], &["install", "--user"], &["uninstall"]] {
        let output = perry_agent(config_dir.path(), home.path(), args);
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
