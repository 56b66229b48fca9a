//! `perry shell` driven through tmux, as a person types into it: echo, resize, exit status, the
//! local terminal restored afterwards, and one-off commands.

mod common;

use std::time::Duration;

use common::tmux::Tmux;
use common::{AgentProcess, assert_success};

#[test]
fn perry_shell_feels_like_a_local_terminal() {
    let agent = AgentProcess::start("shell");
    assert_success(&agent.perry(&["start", "tty"]), "perry start tty");

    let tmux = Tmux::start(&agent, agent.port, "shell tty");
    tmux.wait_for("workspace@tty");
    tmux.keys("echo typed-$((20+22)); stty size");
    tmux.wait_for("typed-42");
    // The remote size is the local one.
    tmux.wait_for("30 120");

    tmux.resize(100, 25);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("clear; stty size");
    tmux.wait_for("25 100");

    tmux.keys("exit 5");
    // The exit status is the remote shell's, and the local terminal is back in cooked mode.
    tmux.wait_for("EXITED=5 icanon");
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

    // The same through the agent's local socket, as `perry shell` on the agent's machine goes.
    let local = agent.perry_local(&[
        "shell",
        "cmd",
        "--",
        "sh",
        "-c",
        "echo local-$((2*21)); exit 4",
    ]);
    assert_eq!(
        local.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    assert!(String::from_utf8_lossy(&local.stdout).contains("local-42"));

    let missing = agent.perry(&["shell", "ghost"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

/// A TCP proxy in front of the agent whose connections the test can cut, as a flaky network
/// would, and which counts the bytes the agent sent through it.
struct CuttableProxy {
    port: u16,
    connections: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    from_agent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl CuttableProxy {
    fn start(target_port: u16) -> CuttableProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = connections.clone();
        let from_agent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = from_agent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(upstream) = std::net::TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                tracked
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), upstream.try_clone().unwrap()]);
                for (mut from, mut to, count) in [
                    (
                        client.try_clone().unwrap(),
                        upstream.try_clone().unwrap(),
                        None,
                    ),
                    (upstream, client, Some(counted.clone())),
                ] {
                    std::thread::spawn(move || {
                        let copied = std::io::copy(&mut from, &mut to).unwrap_or_default();
                        if let Some(count) = count {
                            count.fetch_add(copied, std::sync::atomic::Ordering::Relaxed);
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        CuttableProxy {
            port,
            connections,
            from_agent,
        }
    }

    fn cut_all(&self) {
        for stream in self.connections.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn perry_shell_output_comes_compressed() {
    let agent = AgentProcess::start("deflate");
    assert_success(&agent.perry(&["start", "text"]), "perry start text");
    let proxy = CuttableProxy::start(agent.port);
    let output = agent
        .perry_command(&["shell", "text", "--", "seq", "1", "200000"])
        .env("PERRY_WORKER", format!("127.0.0.1:{}", proxy.port))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed = output.stdout.len() as u64;
    // The proxy counts a connection when it ends, a moment after perry exits.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut on_wire = 0;
    while on_wire == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        on_wire = proxy.from_agent.load(std::sync::atomic::Ordering::Relaxed);
    }
    println!("perry shell: {printed} bytes of output, {on_wire} bytes from the agent");
    assert!(printed > 1_200_000, "seq's output: {printed} bytes");
    assert!(
        on_wire * 100 < printed * 35,
        "the agent sent {on_wire} bytes for {printed} bytes of output"
    );
}

#[test]
fn perry_shell_reattaches_to_the_same_shell_after_the_connection_drops() {
    let agent = AgentProcess::start("reattach");
    assert_success(&agent.perry(&["start", "flaky"]), "perry start flaky");
    let proxy = CuttableProxy::start(agent.port);

    let tmux = Tmux::start(&agent, proxy.port, "shell flaky");
    tmux.wait_for("workspace@flaky");
    tmux.keys("export BEFORE_DROP=still-here-$((1+1))");
    tmux.keys("echo set");
    tmux.wait_for("set");

    proxy.cut_all();
    tmux.wait_for("reattached");
    tmux.keys("echo $BEFORE_DROP");
    let screen = tmux.wait_for("still-here-2");
    assert_eq!(
        screen.matches("export BEFORE_DROP").count(),
        1,
        "output seen before the drop is not replayed twice:\n{screen}"
    );
    tmux.keys("exit 4");
    tmux.wait_for("EXITED=4");
}
