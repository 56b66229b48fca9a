//! The TUI in a real terminal (tmux) against a real agent: live status, keys that stop, create,
//! open a shell, show sessions, start and delete, and the terminal as it was after quitting.

mod common;

use std::time::Duration;

use common::tmux::Tmux;
use common::{AgentProcess, assert_success, listed};

#[test]
fn the_tui_shows_live_status_acts_on_keys_and_restores_the_terminal() {
    let agent = AgentProcess::start("tui");
    assert_success(&agent.perry(&["start", "alpha"]), "perry start alpha");

    // `perry` alone in a terminal is the TUI.
    let tmux = Tmux::start(&agent, agent.port, "");
    tmux.wait_for_line(&["alpha", "running"], Duration::from_secs(20));
    tmux.wait_for_line(
        &["perry", "agent http://127.0.0.1", "v0.1.0"],
        Duration::from_secs(5),
    );

    tmux.press(&["x"]);
    tmux.wait_for_line(&["alpha", "stopped"], Duration::from_secs(30));
    assert_eq!(listed(&agent), [("alpha".to_owned(), "stopped".to_owned())]);

    // A create takes seconds; the screen keeps answering meanwhile and shows the result.
    tmux.press(&["c"]);
    tmux.press(&["B", "e", "t", "a"]);
    tmux.wait_for("lowercase letters");
    tmux.press(&[
        "BSpace", "BSpace", "BSpace", "BSpace", "b", "e", "t", "a", "Enter",
    ]);
    tmux.wait_for("creating beta...");
    tmux.wait_for_line(&["beta", "running"], Duration::from_secs(60));

    // A shell on the selected workspace takes over the terminal and gives it back.
    tmux.press(&["j", "Enter"]);
    tmux.wait_for("workspace@beta");
    tmux.keys("exit 3");
    tmux.wait_for("Shell in beta ended with exit code 3.");
    tmux.wait_for_line(&["alpha", "stopped"], Duration::from_secs(5));

    // The window shrinks: the list is drawn again at the new size.
    tmux.resize(60, 15);
    tmux.wait_for_line(&["beta", "running"], Duration::from_secs(5));

    // The sessions of the selected workspace, from the agent's sessions.list.
    tmux.press(&["v"]);
    tmux.wait_for("Sessions in beta");
    tmux.wait_for("No coding-agent sessions in this workspace yet.");
    tmux.press(&["Escape"]);
    // Wait for the list before the next key: an Escape and a letter read together are Alt+letter.
    tmux.wait_for("Workspaces (");
    // The latest sessions of every workspace, from the agent's sessions.recent.
    tmux.press(&["R"]);
    tmux.wait_for("Recent sessions");
    tmux.wait_for("No recent sessions");
    tmux.press(&["Escape"]);
    tmux.wait_for("Workspaces (");

    // Start the stopped one, then delete the other after saying yes.
    tmux.press(&["k", "s"]);
    tmux.wait_for_line(&["alpha", "running"], Duration::from_secs(30));
    tmux.press(&["j", "d"]);
    tmux.wait_for("Delete beta");
    tmux.press(&["y"]);
    tmux.wait_for("Deleted beta.");
    assert_eq!(listed(&agent), [("alpha".to_owned(), "running".to_owned())]);

    tmux.press(&["q"]);
    let screen = tmux.wait_for("EXITED=0 icanon");
    assert!(
        !screen.contains("Workspaces ("),
        "the TUI's screen is gone with the alternate screen:\n{screen}"
    );
}

#[test]
fn the_tui_shows_an_unreachable_agent_in_its_status_line_and_still_quits_cleanly() {
    let agent = AgentProcess::start("tuidown");
    let dead_port = common::free_port();
    let tmux = Tmux::start(&agent, dead_port, "tui");
    let screen = tmux.wait_for(&format!(
        "cannot reach the Perry agent at http://127.0.0.1:{dead_port}"
    ));
    assert!(screen.contains("not reachable"), "{screen}");
    tmux.press(&["q"]);
    tmux.wait_for("EXITED=0 icanon");
}
