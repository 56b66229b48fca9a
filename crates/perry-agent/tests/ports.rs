//! Port forwards against the real Docker Engine: a server inside a real workspace, reached from
//! the host through a port the agent listens on.

mod common;

use std::time::{Duration, Instant};

use perry_api::procedures::{
    PortsForward, PortsList, PortsRemove, WorkspacesCreate, WorkspacesDelete, WorkspacesExec,
    WorkspacesGet, WorkspacesStart, WorkspacesStop,
};
use perry_api::{PortForward, PortForwardStatus, Workspace};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::TestAgent;

/// What the server inside the workspace serves at `/`.
const PAGE: &str = "hello-through-the-forward";
const SERVER_PORT: u16 = 5173;

/// Starts `python3 -m http.server` on 0.0.0.0:5173 inside the workspace, in the background.
async fn start_server(agent: &TestAgent, workspace: &str) {
    let script = format!(
        "mkdir -p /tmp/site && echo {PAGE} > /tmp/site/index.html && cd /tmp/site && \
         setsid nohup python3 -m http.server {SERVER_PORT} --bind 0.0.0.0 \
         > /tmp/http.log 2>&1 < /dev/null &"
    );
    let output = agent
        .ok::<WorkspacesExec>(json!({"name": workspace, "command": ["bash", "-c", script]}))
        .await;
    assert_eq!(output.exit_code, 0, "{output:?}");
}

/// One HTTP/1.0 GET of `/` through 127.0.0.1:`port`: the whole reply, or why there was none.
async fn fetch(port: u16) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|error| format!("connect: {error}"))?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .map_err(|error| format!("write: {error}"))?;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply))
        .await
        .map_err(|_| "no reply within 10 s".to_owned())?
        .map_err(|error| format!("read: {error}"))?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// Fetches through `port` until the page comes (the server inside may still be starting).
async fn fetch_page(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = fetch(port).await;
        match &reply {
            Ok(text) if text.contains(PAGE) => return text.clone(),
            _ if Instant::now() > deadline => panic!("no page through port {port}: {reply:?}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Asserts that nothing listens on 127.0.0.1:`port`.
async fn assert_refused(port: u16) {
    let connected = TcpStream::connect(("127.0.0.1", port)).await;
    assert!(
        connected.is_err(),
        "port {port} still accepts connections after its forward was closed"
    );
}

/// Asserts that `stream` is closed by the other side within a few seconds.
async fn assert_closed(mut stream: TcpStream, what: &str) {
    let mut buffer = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(read)) => panic!(
            "{what}: the connection is open and sent {:?}",
            String::from_utf8_lossy(&buffer[..read])
        ),
        Err(_) => panic!("{what}: the connection was not closed within 10 s"),
    }
}

fn forward(host_port: u16, workspace_port: u16) -> PortForward {
    PortForward {
        host_port,
        workspace_port,
    }
}

fn status(host_port: u16, workspace_port: u16, active: bool) -> PortForwardStatus {
    PortForwardStatus {
        host_port,
        workspace_port,
        active,
        error: None,
        label: None,
    }
}

async fn list(agent: &TestAgent, workspace: &str) -> Vec<PortForwardStatus> {
    agent
        .ok::<PortsList>(json!({"workspaceName": workspace}))
        .await
}

/// The forwards state.json holds for `workspace`.
fn stored_forwards(agent: &TestAgent, workspace: &str) -> Value {
    let state: Value =
        serde_json::from_slice(&std::fs::read(agent.dir.path().join("state.json")).unwrap())
            .unwrap();
    state["workspaces"][workspace]["ports"]["forwards"].clone()
}

/// Calls a procedure that must fail with `code`; returns the error's message.
async fn refused(agent: &TestAgent, path: &str, input: Value, code: &str) -> String {
    let (status, error) = agent.call(path, input.clone()).await;
    assert_eq!(
        error["code"].as_str(),
        Some(code),
        "{path} {input} answered {status}: {error}"
    );
    error["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forward_reaches_a_server_in_the_workspace_through_stop_start_and_delete() {
    let agent = TestAgent::start("ports").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "web"})).await;
    start_server(&agent, "web").await;
    assert!(list(&agent, "web").await.is_empty());

    // A forward of a running workspace listens at once and reaches the server inside.
    let port = agent.free_host_port();
    let forwarded: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": "web", "forwards": [{"hostPort": port, "workspacePort": SERVER_PORT}]}),
        )
        .await;
    assert_eq!(forwarded, [status(port, SERVER_PORT, true)]);
    let reply = fetch_page(port).await;
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    assert_eq!(
        stored_forwards(&agent, "web"),
        json!([{"hostPort": port, "workspacePort": SERVER_PORT}])
    );
    let workspace: Workspace = agent.ok::<WorkspacesGet>(json!({"name": "web"})).await;
    assert_eq!(workspace.ports.forwards, [forward(port, SERVER_PORT)]);

    // Without a host port the same port is used on both sides; forwarding it again is fine.
    let same = agent.free_host_port();
    for _ in 0..2 {
        let forwarded: Vec<PortForwardStatus> = agent
            .ok::<PortsForward>(
                json!({"workspaceName": "web", "forwards": [{"workspacePort": same}]}),
            )
            .await;
        let mut expected = vec![status(port, SERVER_PORT, true), status(same, same, true)];
        expected.sort_by_key(|forward| forward.host_port);
        assert_eq!(forwarded, expected);
    }
    // Nothing listens on that port inside: the connection is accepted, then closed.
    let stream = TcpStream::connect(("127.0.0.1", same)).await.unwrap();
    assert_closed(stream, "a connection to a port nothing listens on inside").await;

    // Forwarding a host port of the workspace again changes where it goes.
    let retargeted: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": "web", "forwards": [{"hostPort": same, "workspacePort": SERVER_PORT}]}),
        )
        .await;
    assert!(
        retargeted.contains(&status(same, SERVER_PORT, true)),
        "{retargeted:?}"
    );
    fetch_page(same).await;

    // Removing a forward closes its listener and the connections it carries.
    let idle = TcpStream::connect(("127.0.0.1", same)).await.unwrap();
    let remaining: Vec<PortForwardStatus> = agent
        .ok::<PortsRemove>(json!({"workspaceName": "web", "hostPorts": [same]}))
        .await;
    assert_eq!(remaining, [status(port, SERVER_PORT, true)]);
    assert_refused(same).await;
    assert_closed(idle, "a connection of a removed forward").await;
    let message = refused(
        &agent,
        "ports/remove",
        json!({"workspaceName": "web", "hostPorts": [same]}),
        "NOT_FOUND",
    )
    .await;
    assert!(
        message.contains(&format!("does not forward host port {same}")),
        "{message}"
    );

    // A stopped workspace keeps its forwards, listed inactive, and nothing listens.
    let _: Workspace = agent.ok::<WorkspacesStop>(json!({"name": "web"})).await;
    assert_eq!(
        list(&agent, "web").await,
        [status(port, SERVER_PORT, false)]
    );
    assert_refused(port).await;
    // A forward added while it is stopped is stored and waits for the start.
    let later = agent.free_host_port();
    let forwarded: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": "web", "forwards": [{"hostPort": later, "workspacePort": SERVER_PORT}]}),
        )
        .await;
    assert!(
        forwarded.contains(&status(later, SERVER_PORT, false)),
        "{forwarded:?}"
    );
    assert_refused(later).await;

    // Another process takes that host port meanwhile: the start still succeeds, the forward is
    // listed inactive with the reason, and forwarding it again once the port is free binds it.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", later)).unwrap();

    // Started again, the first forward works without being added again.
    let started: Workspace = agent.ok::<WorkspacesStart>(json!({"name": "web"})).await;
    assert_eq!(started.status, perry_api::WorkspaceStatus::Running);
    let listed = list(&agent, "web").await;
    let failed = listed
        .iter()
        .find(|forward| forward.host_port == later)
        .unwrap();
    assert!(!failed.active, "{listed:?}");
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|error| error.contains("in use by another process")),
        "{listed:?}"
    );
    assert!(
        listed.contains(&status(port, SERVER_PORT, true)),
        "{listed:?}"
    );
    start_server(&agent, "web").await;
    fetch_page(port).await;
    drop(squatter);
    let forwarded: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": "web", "forwards": [{"hostPort": later, "workspacePort": SERVER_PORT}]}),
        )
        .await;
    let mut expected = vec![
        status(port, SERVER_PORT, true),
        status(later, SERVER_PORT, true),
    ];
    expected.sort_by_key(|forward| forward.host_port);
    assert_eq!(forwarded, expected);
    fetch_page(later).await;

    // Deleting the workspace closes its forwards; a new workspace of that name has none.
    let open = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    agent.ok::<WorkspacesDelete>(json!({"name": "web"})).await;
    assert_refused(port).await;
    assert_refused(later).await;
    assert_closed(open, "a connection of a deleted workspace's forward").await;
    refused(
        &agent,
        "ports/list",
        json!({"workspaceName": "web"}),
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_forwards_change_nothing() {
    let agent = TestAgent::start("portsbad").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "one"})).await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "two"})).await;
    let kept = agent.free_host_port();
    let _: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(
            json!({"workspaceName": "one", "forwards": [{"hostPort": kept, "workspacePort": 80}]}),
        )
        .await;
    let state_before = std::fs::read(agent.dir.path().join("state.json")).unwrap();

    // A host port another process listens on: CONFLICT with a suggestion, and when it is one
    // of several, none is added (the free one is not left listening either).
    let held = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let held_port = held.local_addr().unwrap().port();
    let free = agent.free_host_port();
    let message = refused(
        &agent,
        "ports/forward",
        json!({"workspaceName": "one", "forwards": [
            {"hostPort": free, "workspacePort": SERVER_PORT},
            {"hostPort": held_port, "workspacePort": SERVER_PORT},
        ]}),
        "CONFLICT",
    )
    .await;
    assert!(
        message.starts_with(&format!(
            "Host port {held_port} is in use by another process; pick another with "
        )) && message.ends_with(&format!(":{SERVER_PORT}")),
        "{message}"
    );
    assert_refused(free).await;

    // A host port another workspace forwards: CONFLICT naming it.
    let message = refused(
        &agent,
        "ports/forward",
        json!({"workspaceName": "two", "forwards": [{"hostPort": kept, "workspacePort": 80}]}),
        "CONFLICT",
    )
    .await;
    assert!(
        message.contains(&format!(
            "Host port {kept} is already forwarded to workspace \"one\""
        )),
        "{message}"
    );

    // The agent's own port, the SSH range, port 0, nothing at all, an unknown workspace.
    let agent_port: u16 = agent.url.rsplit(':').next().unwrap().parse().unwrap();
    let message = refused(
        &agent,
        "ports/forward",
        json!({"workspaceName": "two", "forwards": [{"hostPort": agent_port, "workspacePort": 80}]}),
        "CONFLICT",
    )
    .await;
    assert!(message.contains("the Perry agent's own port"), "{message}");
    let ssh_port = agent.agent.workspaces.settings().ssh_port_range.end;
    let message = refused(
        &agent,
        "ports/forward",
        json!({"workspaceName": "two", "forwards": [{"hostPort": ssh_port, "workspacePort": 80}]}),
        "BAD_REQUEST",
    )
    .await;
    assert!(message.contains("SSH port range"), "{message}");
    for forwards in [
        json!([{"workspacePort": 0}]),
        json!([{"hostPort": 0, "workspacePort": 80}]),
        json!([]),
        json!([{"workspacePort": 70000}]),
    ] {
        refused(
            &agent,
            "ports/forward",
            json!({"workspaceName": "two", "forwards": forwards}),
            "BAD_REQUEST",
        )
        .await;
    }
    refused(
        &agent,
        "ports/forward",
        json!({"workspaceName": "ghost", "forwards": [{"workspacePort": 80}]}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &agent,
        "ports/remove",
        json!({"workspaceName": "two", "hostPorts": [kept]}),
        "NOT_FOUND",
    )
    .await;

    assert_eq!(
        std::fs::read(agent.dir.path().join("state.json")).unwrap(),
        state_before,
        "a refused forward changed state.json"
    );
    assert_eq!(list(&agent, "two").await, []);
    drop(held);
}

#[tokio::test(flavor = "multi_thread")]
async fn forwards_come_back_when_the_agent_restarts() {
    let mut agent = TestAgent::start("portsrestart").await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "keep"})).await;
    start_server(&agent, "keep").await;
    let port = agent.free_host_port();
    let _: Vec<PortForwardStatus> = agent
        .ok::<PortsForward>(json!({"workspaceName": "keep", "forwards": [{"hostPort": port, "workspacePort": SERVER_PORT}]}),
        )
        .await;
    fetch_page(port).await;

    // The agent going away closes its listeners; the workspace and the server inside keep running.
    agent.stop_agent().await;
    assert_refused(port).await;
    agent.restart_agent().await;

    // The startup reconciliation binds the forwards of running workspaces again.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let forwards = list(&agent, "keep").await;
        if forwards == [status(port, SERVER_PORT, true)] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the forward did not come back: {forwards:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reply = fetch_page(port).await;
    assert!(reply.contains(PAGE), "{reply}");
}
