//! Isolation, seen from inside real workspaces: what code running in a workspace can reach and
//! what it cannot. It talks to its own Docker daemon only, never the host's; it reaches no
//! service of another workspace; the agent's API answers it only with the token; SSH takes keys
//! only. Every test prints what it checked, so a run's log is the evidence.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use perry_agent::auth::AuthFailures;
use perry_api::procedures::WorkspacesCreate;
use perry_api::{Workspace, WorkspaceStatus};
use serde_json::{Value, json};

use common::{TestAgent, TestAgentConfig, exec};

/// Ports a workspace could hope to find open on another one or on the host: sshd, the Docker
/// Engine's TCP ports (plain, TLS, swarm), the agent's default port and common dev servers.
const SENSITIVE_PORTS: [u16; 9] = [22, 80, 443, 2375, 2376, 2377, 3000, 7391, 8080];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PortState {
    Open,
    /// Connection refused: nothing listens, or a firewall rejects.
    Refused,
    /// No answer within the probe's timeout: a firewall drops the packets.
    Filtered,
}

/// Tries a TCP connection to each of `ports` on `host` from inside `container` as the
/// unprivileged `workspace` user, all at once, with bash's /dev/tcp and a 3 s timeout each.
async fn probe_ports(container: &str, host: &str, ports: &[u16]) -> Vec<(u16, PortState)> {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let script = format!(
        r#"probe() {{
  if timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then echo "$2 open"
  elif [ $? -eq 124 ]; then echo "$2 filtered"
  else echo "$2 refused"; fi
}}
for port in {}; do probe {host} "$port" & done; wait"#,
        list.join(" ")
    );
    let (code, output) = exec(container, "workspace", &script).await;
    assert_eq!(code, 0, "the probe script failed: {output}");
    let mut states: Vec<(u16, PortState)> = output
        .lines()
        .filter_map(|line| {
            let (port, state) = line.trim().split_once(' ')?;
            let state = match state {
                "open" => PortState::Open,
                "refused" => PortState::Refused,
                "filtered" => PortState::Filtered,
                _ => return None,
            };
            Some((port.parse().ok()?, state))
        })
        .collect();
    states.sort_unstable();
    assert_eq!(
        states.iter().map(|(port, _)| *port).collect::<Vec<_>>(),
        {
            let mut sorted = ports.to_vec();
            sorted.sort_unstable();
            sorted
        },
        "every port gets one answer: {output}"
    );
    states
}

fn count(states: &[(u16, PortState)], wanted: PortState) -> usize {
    states.iter().filter(|(_, state)| *state == wanted).count()
}

fn open_ports(states: &[(u16, PortState)]) -> Vec<u16> {
    states
        .iter()
        .filter(|(_, state)| *state == PortState::Open)
        .map(|(port, _)| *port)
        .collect()
}

/// The workspace's default gateway: the host's address on the workspaces' bridge.
async fn gateway(container: &str) -> String {
    let (code, output) = exec(
        container,
        "workspace",
        "ip -4 route show default | awk '{print $3; exit}'",
    )
    .await;
    let address = output.trim().to_owned();
    assert!(
        code == 0 && address.parse::<IpAddr>().is_ok(),
        "no default gateway in {container}: {output}"
    );
    address
}

/// The workspace's own address on the workspaces' bridge.
async fn bridge_address(container: &str) -> String {
    let (code, output) = exec(
        container,
        "workspace",
        "ip -4 -o addr show dev eth0 | awk '{split($4, a, \"/\"); print a[1]; exit}'",
    )
    .await;
    let address = output.trim().to_owned();
    assert!(
        code == 0 && address.parse::<IpAddr>().is_ok(),
        "no eth0 address in {container}: {output}"
    );
    address
}

/// One listening TCP socket as `ss -ltnp` shows it inside a container.
#[derive(Debug)]
struct Listener {
    address: String,
    port: u16,
    /// The owning process, when it runs in the container (Docker's embedded DNS resolver
    /// listens in the container's network namespace but belongs to the host's dockerd).
    process: Option<String>,
}

impl Listener {
    fn is_loopback_only(&self) -> bool {
        let address = self.address.trim_start_matches('[').trim_end_matches(']');
        let address = address.split('%').next().unwrap_or_default();
        address
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
    }
}

/// Every listening TCP socket in the container's network namespace, seen as root.
async fn tcp_listeners(container: &str) -> Vec<Listener> {
    let (code, output) = exec(container, "root", "ss -Hltnp").await;
    assert_eq!(code, 0, "ss failed in {container}: {output}");
    output
        .lines()
        .filter(|line| line.starts_with("LISTEN"))
        .map(|line| {
            let local = line.split_whitespace().nth(3).unwrap_or_default();
            let (address, port) = local
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("unexpected ss line: {line}"));
            let process = line
                .split_once("users:((\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(name, _)| name.to_owned());
            Listener {
                address: address.to_owned(),
                port: port
                    .parse()
                    .unwrap_or_else(|_| panic!("bad port in: {line}")),
                process,
            }
        })
        .collect()
}

/// Waits until the workspace's perry-worker listens on its unix socket, so that "no TCP port
/// of the worker" is checked against a running worker.
async fn wait_for_worker_socket(container: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, _) = exec(container, "workspace", "test -S ~/.perry/worker.sock").await;
        if code == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the perry-worker in {container} did not open ~/.perry/worker.sock within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn host_docker() -> bollard::Docker {
    bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap()
}

async fn create_workspace(agent: &TestAgent, name: &str) -> Workspace {
    let created: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": name})).await;
    assert_eq!(created.status, WorkspaceStatus::Running, "{created:?}");
    created
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_talks_only_to_its_own_docker_daemon() {
    let agent = TestAgent::start("iso-docker").await;
    create_workspace(&agent, "solo").await;
    let container = agent.container("solo");
    let host = host_docker().await;

    // Nothing of the host is mounted: the container has exactly its two named volumes, so no
    // host Docker socket (nor any other host path) is inside.
    let inspect = host.inspect_container(&container, None).await.unwrap();
    let binds = inspect
        .host_config
        .as_ref()
        .and_then(|config| config.binds.clone())
        .unwrap_or_default();
    assert!(binds.is_empty(), "host paths are bound in: {binds:?}");
    let mut mounts: Vec<(String, String)> = inspect
        .mounts
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|mount| {
            (
                mount.typ.unwrap_or_default(),
                mount.destination.unwrap_or_default(),
            )
        })
        .collect();
    mounts.sort();
    assert_eq!(
        mounts,
        [
            ("volume".to_owned(), "/home/workspace".to_owned()),
            ("volume".to_owned(), "/var/lib/docker".to_owned()),
        ],
        "a workspace mounts its two volumes and nothing else"
    );
    let (code, output) = exec(
        &container,
        "root",
        "grep -c 'docker.sock' /proc/1/mountinfo || true; printenv DOCKER_HOST || echo unset",
    )
    .await;
    assert_eq!(
        (code, output.split_whitespace().collect::<Vec<_>>()),
        (0, vec!["0", "unset"]),
        "no docker.sock is mounted and DOCKER_HOST points nowhere else: {output}"
    );

    // The `docker` inside answers from another daemon: another ID, the workspace's name, and
    // none of the host's containers (not even the workspace's own).
    let host_info = host.info().await.unwrap();
    let host_containers = host
        .list_containers(Some(
            bollard::query_parameters::ListContainersOptionsBuilder::default()
                .all(true)
                .build(),
        ))
        .await
        .unwrap();
    let (code, output) = exec(
        &container,
        "workspace",
        "docker info --format '{{.ID}} {{.Name}}' && docker ps -a --no-trunc --format '{{.ID}} {{.Names}}'",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let mut lines = output.lines();
    let inner_daemon: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let inner_containers: Vec<&str> = lines.collect();
    assert_ne!(
        Some(inner_daemon[0]),
        host_info.id.as_deref(),
        "the docker inside the workspace talks to the host's daemon"
    );
    assert_eq!(inner_daemon.get(1), Some(&"solo"), "{output}");
    let workspace_id = inspect.id.clone().unwrap_or_default();
    assert!(
        !host_containers.is_empty()
            && host_containers.iter().all(|host_container| {
                let id = host_container.id.as_deref().unwrap_or_default();
                !inner_containers.iter().any(|line| line.starts_with(id))
            }),
        "the inner docker lists host containers: {inner_containers:?}"
    );
    assert!(
        !inner_containers
            .iter()
            .any(|line| line.contains(&workspace_id) || line.contains(&container)),
        "{inner_containers:?}"
    );

    // The inner dockerd (and its containerd) listen on no TCP port; the daemon is started with
    // its unix socket only.
    let listeners = tcp_listeners(&container).await;
    let docker_listeners: Vec<&Listener> = listeners
        .iter()
        .filter(|listener| {
            listener.process.as_deref().is_some_and(|process| {
                process.contains("dockerd") || process.contains("containerd")
            })
        })
        .collect();
    assert!(
        docker_listeners.is_empty(),
        "the inner Docker daemon listens on TCP: {docker_listeners:?}"
    );
    let (code, dockerd_command) = exec(
        &container,
        "root",
        "tr '\\0' ' ' < /proc/$(pgrep -xo dockerd)/cmdline",
    )
    .await;
    assert!(
        code == 0 && dockerd_command.contains("unix:///var/run/docker.sock"),
        "{dockerd_command}"
    );
    assert!(
        !dockerd_command.contains("tcp://"),
        "the inner dockerd is told to listen on TCP: {dockerd_command}"
    );

    // From the workspace, the host's bridge address offers no Docker API (2375/2376) and no
    // agent: the test agent listens on 127.0.0.1 only, so workspaces cannot reach it at all.
    // The workspace's own sshd, probed on its own address, shows the probe sees open ports.
    let gateway = gateway(&container).await;
    let agent_port: u16 = agent.url.rsplit(':').next().unwrap().parse().unwrap();
    let host_ports = [2375, 2376, agent_port];
    let on_host = probe_ports(&container, &gateway, &host_ports).await;
    assert!(
        open_ports(&on_host).is_empty(),
        "reachable on the host {gateway} from a workspace: {on_host:?}"
    );
    let own_address = bridge_address(&container).await;
    let own = probe_ports(&container, &own_address, &[22]).await;
    assert_eq!(own, [(22, PortState::Open)], "probe control failed");

    println!(
        "isolation: workspace mounts {} volumes and 0 host paths; inner daemon {} != host daemon {}; inner docker lists {} containers, the host {}",
        mounts.len(),
        inner_daemon[0],
        host_info.id.unwrap_or_default(),
        inner_containers.len(),
        host_containers.len(),
    );
    println!(
        "isolation: {} TCP listeners in the workspace, {} of them dockerd/containerd",
        listeners.len(),
        docker_listeners.len()
    );
    println!(
        "isolation: {} ports probed on the host's bridge address {gateway} (Docker 2375, 2376, agent {agent_port} on 127.0.0.1), {} open ({} refused, {} filtered); control: own sshd open",
        on_host.len(),
        open_ports(&on_host).len(),
        count(&on_host, PortState::Refused),
        count(&on_host, PortState::Filtered),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_reaches_no_service_of_another_workspace() {
    let agent = TestAgent::start("iso-peer").await;
    create_workspace(&agent, "a").await;
    let created_b = create_workspace(&agent, "b").await;
    let container_a = agent.container("a");
    let container_b = agent.container("b");
    wait_for_worker_socket(&container_b).await;

    // What listens in B at all: sshd on port 22, and sockets bound to loopback only (Docker's
    // embedded DNS resolver on 127.0.0.11). Not the inner dockerd, not the perry-worker (it
    // serves ~/.perry/worker.sock only).
    let listeners = tcp_listeners(&container_b).await;
    let exposed: Vec<&Listener> = listeners
        .iter()
        .filter(|listener| !listener.is_loopback_only())
        .collect();
    assert!(
        exposed
            .iter()
            .all(|listener| listener.port == 22 && listener.process.as_deref() == Some("sshd")),
        "workspace B listens beyond sshd: {exposed:?}"
    );
    assert!(
        !listeners.iter().any(
            |listener| listener.process.as_deref().is_some_and(|process| [
                "dockerd",
                "containerd",
                "perry-worker"
            ]
            .iter()
            .any(|name| process.contains(name)))
        ),
        "a Docker daemon or the worker listens on TCP in B: {listeners:?}"
    );
    assert!(
        !exposed.is_empty(),
        "sshd does not listen in B: {listeners:?}"
    );

    // From A, B's address answers on no port at all: the bridge runs without inter-container
    // communication, so even B's sshd is dropped. Probing A's own sshd shows the probe works.
    let address_b = bridge_address(&container_b).await;
    let address_a = bridge_address(&container_a).await;
    let mut ports = SENSITIVE_PORTS.to_vec();
    ports.extend(listeners.iter().map(|listener| listener.port));
    ports.sort_unstable();
    ports.dedup();
    let on_b = probe_ports(&container_a, &address_b, &ports).await;
    assert!(
        open_ports(&on_b).is_empty(),
        "workspace A reaches workspace B ({address_b}) on {:?}",
        open_ports(&on_b)
    );
    let own = probe_ports(&container_a, &address_a, &[22]).await;
    assert_eq!(own, [(22, PortState::Open)], "probe control failed");

    // B's sshd is published on the host, so A reaches it through the host like any machine on
    // the network does; it takes keys only (see ssh_into_a_workspace_takes_keys_only).
    let gateway = gateway(&container_a).await;
    let published = probe_ports(&container_a, &gateway, &[created_b.ports.ssh]).await;

    println!(
        "isolation: {} ports probed on workspace B ({address_b}) from A, {} open ({} filtered, {} refused); control: A's own sshd open",
        on_b.len(),
        open_ports(&on_b).len(),
        count(&on_b, PortState::Filtered),
        count(&on_b, PortState::Refused),
    );
    println!(
        "isolation: workspace B has {} TCP listeners: {} beyond loopback (sshd :22), {} loopback-only ({})",
        listeners.len(),
        exposed.len(),
        listeners.len() - exposed.len(),
        listeners
            .iter()
            .filter(|listener| listener.is_loopback_only())
            .map(|listener| format!("{}:{}", listener.address, listener.port))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "isolation: B's sshd through the host's published port {gateway}:{} from A: {:?} (by design; keys only)",
        created_b.ports.ssh, published[0].1
    );
}

/// Runs `requests` (name, curl arguments) from inside the workspace against `base`, one after
/// the other; returns each one's HTTP status ("000" when there was no answer).
async fn curl_statuses(container: &str, base: &str, requests: &[(&str, String)]) -> Vec<String> {
    let script: String = requests
        .iter()
        .map(|(_, arguments)| {
            format!("curl -s -o /dev/null -w '%{{http_code}}\\n' --max-time 5 {arguments}\n")
                .replace("$BASE", base)
        })
        .collect();
    let (code, output) = exec(container, "workspace", &script).await;
    let statuses: Vec<String> = output.lines().map(str::to_owned).collect();
    assert!(
        code == 0 && statuses.len() == requests.len(),
        "curl from inside the workspace failed: {output}"
    );
    statuses
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_answers_a_workspace_only_with_its_token() {
    let agent = TestAgent::start_with(
        "iso-api",
        TestAgentConfig {
            host: Some("0.0.0.0".to_owned()),
            ..Default::default()
        },
    )
    .await;
    let (status, body) = agent
        .call("workspaces/create", json!({"name": "caller"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let container = format!("{}caller", agent.prefix);
    let base = format!("http://{}:{}", gateway(&container).await, agent.port());

    // The token is not given to workspaces: not in the container's environment, not in any
    // process's environment, not in a file under /etc, /home, /tmp or /run.
    let inspect = host_docker()
        .await
        .inspect_container(&container, None)
        .await
        .unwrap();
    let env = inspect
        .config
        .and_then(|config| config.env)
        .unwrap_or_default();
    assert!(
        !env.iter().any(|variable| variable.contains(&agent.token)),
        "the token is in the workspace's environment"
    );
    let (_, found) = exec(
        &container,
        "root",
        &format!(
            "grep -rlsF -- '{}' /proc/[0-9]*/environ /etc /home /tmp /run | wc -l",
            agent.token
        ),
    )
    .await;
    assert_eq!(found.trim(), "0", "the token is in files of the workspace");

    // Without the token, nothing but the open routes (health, the web UI's files) answers.
    let rpc =
        "-X POST -H 'content-type: application/json' -d '{\"json\":{}}' $BASE/rpc/workspaces/list";
    let upgrade = "-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='";
    let unauthenticated = [
        ("health", "$BASE/health".to_owned()),
        ("rpc without token", rpc.to_owned()),
        (
            "rpc with a wrong token",
            format!("-H 'authorization: Bearer {}' {rpc}", "0".repeat(64)),
        ),
        (
            "rpc with the token in the query (taken for WebSockets only)",
            format!("{rpc}?token={}", agent.token),
        ),
        (
            "terminal socket without token",
            format!("{upgrade} $BASE/terminal/caller"),
        ),
        (
            "sessions socket without token",
            format!("{upgrade} $BASE/sessions/caller"),
        ),
    ];
    let statuses = curl_statuses(&container, &base, &unauthenticated).await;
    let expected = ["200", "401", "401", "401", "401", "401"];
    for ((name, _), (status, expected)) in unauthenticated.iter().zip(statuses.iter().zip(expected))
    {
        assert_eq!(status, expected, "{name} from inside the workspace");
    }
    let failures = statuses.iter().filter(|status| *status == "401").count();

    // With the token the workspace is a client like any other: whoever holds it is the owner.
    let authorized = format!("-H 'authorization: Bearer {}' {rpc}", agent.token);
    let statuses = curl_statuses(
        &container,
        &base,
        &[("rpc with the token", authorized.clone())],
    )
    .await;
    assert_eq!(
        statuses,
        ["200"],
        "rpc with the token from inside the workspace"
    );

    // Guessing is throttled per address: after 20 failures within a minute the workspace gets
    // 429, even with the right token, while the owner's own address is unaffected.
    let guesses: Vec<(&str, String)> = (failures..=AuthFailures::ALLOWED as usize)
        .map(|_| ("guess", format!("-H 'authorization: Bearer guess' {rpc}")))
        .chain([("the token while locked out", authorized)])
        .collect();
    let statuses = curl_statuses(&container, &base, &guesses).await;
    let refused = AuthFailures::ALLOWED as usize - failures;
    assert!(
        statuses[..refused].iter().all(|status| status == "401"),
        "{statuses:?}"
    );
    assert!(
        statuses[refused..].iter().all(|status| status == "429"),
        "the workspace is locked out after {} failures: {statuses:?}",
        AuthFailures::ALLOWED
    );
    let (status, body) = agent.call("workspaces/list", Value::Null).await;
    assert_eq!(
        status, 200,
        "the owner's own address must not be locked out: {body}"
    );
    assert_eq!(
        agent
            .agent
            .auth_failures
            .locked_out("127.0.0.1".parse().unwrap(), Instant::now()),
        None
    );

    println!(
        "isolation: agent on 0.0.0.0:{} reached from the workspace at {base}: {} requests without a valid token -> {} x 401 (health 200), with the token -> 200; token found in 0 places inside",
        agent.port(),
        unauthenticated.len() - 1,
        failures
    );
    println!(
        "isolation: after {} failures the workspace got {} x 429 (the last with the right token); the host's 127.0.0.1 with the token -> 200",
        AuthFailures::ALLOWED,
        statuses.len() - refused
    );
}

/// Tries to log in to the workspace's published SSH port with passwords or keyboard-interactive
/// only; returns ssh's exit code and its verbose log.
async fn ssh_password_attempt(port: u16, user: &str) -> (i32, String) {
    let output = tokio::process::Command::new("ssh")
        .args([
            "-v",
            "-o",
            "BatchMode=yes",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-p",
            &port.to_string(),
            &format!("{user}@127.0.0.1"),
            "true",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("ssh runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_into_a_workspace_takes_keys_only() {
    let agent = TestAgent::start("iso-ssh").await;
    let created = create_workspace(&agent, "door").await;
    let container = agent.container("door");

    // What sshd itself says it enforces.
    let (code, config) = exec(&container, "root", "sshd -T").await;
    assert_eq!(code, 0, "{config}");
    let effective = |key: &str| {
        config
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key} ")))
            .unwrap_or("(unset)")
            .to_owned()
    };
    let settings = [
        (
            "passwordauthentication",
            effective("passwordauthentication"),
        ),
        (
            "kbdinteractiveauthentication",
            effective("kbdinteractiveauthentication"),
        ),
        ("permitemptypasswords", effective("permitemptypasswords")),
        ("permitrootlogin", effective("permitrootlogin")),
    ];
    assert_eq!(
        settings
            .iter()
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>(),
        ["no", "no", "no", "no"],
        "{settings:?}"
    );

    // A real login attempt from this host: the server offers public keys as the only method,
    // to the workspace user and to root alike, so no password is ever asked for.
    let ssh_available = std::process::Command::new("ssh")
        .arg("-V")
        .output()
        .is_ok_and(|output| output.status.success());
    let mut attempts = 0;
    if ssh_available {
        for user in ["workspace", "root"] {
            let (code, log) = ssh_password_attempt(created.ports.ssh, user).await;
            attempts += 1;
            assert_eq!(code, 255, "ssh as {user} did not fail: {log}");
            assert!(
                log.contains("Authentications that can continue: publickey\n")
                    || log.contains("Authentications that can continue: publickey\r\n"),
                "sshd offers {user} more than public keys: {log}"
            );
            assert!(
                log.contains(&format!("{user}@127.0.0.1: Permission denied (publickey).")),
                "{log}"
            );
        }
    }

    println!(
        "isolation: sshd -T in the workspace: {}",
        settings
            .iter()
            .map(|(key, value)| format!("{key} {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if ssh_available {
        println!(
            "isolation: {attempts} password logins tried on port {} (workspace, root): all refused, the server offers publickey only",
            created.ports.ssh
        );
    } else {
        println!("isolation: no ssh client on this host; only sshd -T was checked");
    }
}
