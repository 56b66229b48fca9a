//! Peers and the relay to them, between real agents on real Docker: `peers.add` saves only an
//! agent that answers with its token; calls, event streams and WebSockets reach the peer through
//! `/peers/<name>/…` with the browser holding this agent's token alone; a peer that is down or
//! has another token is told as such, never as this agent's own 401.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use perry_api::procedures::{PeersAdd, PeersList};
use perry_api::{PeerInfo, TerminalControl, Workspace};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::TestAgent;

/// Something on HTTP that is not an agent.
async fn not_an_agent() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async { "<html>a router's admin page</html>" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn config_json(agent: &TestAgent) -> Value {
    serde_json::from_str(&std::fs::read_to_string(agent.dir.path().join("config.json")).unwrap())
        .unwrap()
}

fn issue_field(body: &Value) -> &str {
    body["data"]["issues"][0]["path"][0]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_is_saved_only_when_it_answers_as_an_agent_with_its_token() {
    let here = TestAgent::start("peers-here").await;
    let there = TestAgent::start("peers-there").await;
    let before = config_json(&here);

    let refused = [
        (
            json!({"name": "Closet", "address": there.url}),
            "name",
            "Invalid agent name",
        ),
        (
            json!({"name": "closet", "address": "ftp://closet"}),
            "address",
            "not http or https",
        ),
        (
            json!({"name": "closet", "address": there.url, "token": "wrong"}),
            "token",
            "refused the token",
        ),
        (
            json!({"name": "closet", "address": there.url}),
            "token",
            "(none was given)",
        ),
        (
            json!({"name": "closet", "address": format!("{}/?token=a", there.url), "token": "b"}),
            "token",
            "differ",
        ),
        (
            json!({"name": "closet", "address": format!("http://127.0.0.1:{}", common::free_port())}),
            "address",
            "cannot be reached",
        ),
        (
            json!({"name": "closet", "address": not_an_agent().await}),
            "address",
            "not as a Perry agent",
        ),
    ];
    for (input, field, says) in refused {
        let (status, body) = here.call("peers/add", input.clone()).await;
        assert_eq!(status, 400, "{input}: {body}");
        assert_eq!(issue_field(&body), field, "{input}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{input}: {message}");
        assert_eq!(config_json(&here), before, "{input} saved something");
    }

    // The sign-in URL its web UI shows carries the token.
    let sign_in = format!("{}/?token={}", there.url, there.token);
    let added: PeerInfo = here
        .ok::<PeersAdd>(json!({"name": "closet", "address": sign_in}))
        .await;
    assert_eq!(added.name, "closet");
    assert_eq!(added.url, there.url);

    let (status, body) = here
        .call(
            "peers/add",
            json!({"name": "closet", "address": "http://elsewhere"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("CONFLICT")),
        "{body}"
    );
    let (status, body) = here
        .call("peers/add", json!({"name": "other", "address": sign_in}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already added as \"closet\"")
    );

    // The token is kept (in the 0600 file) and never shown.
    let (_, listed) = here.call("peers/list", json!(null)).await;
    assert_eq!(listed, json!([{"name": "closet", "url": there.url}]));
    assert!(!listed.to_string().contains(&there.token));
    assert_eq!(config_json(&here)["peers"]["closet"]["token"], there.token);

    let (status, body) = here.call("peers/remove", json!({"name": "attic"})).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("closet"),
        "{body}"
    );
    let (_, left) = here.call("peers/remove", json!({"name": "closet"})).await;
    assert_eq!(left, json!([]));
    assert!(here.ok::<PeersList>(json!(null)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_and_terminals_reach_a_peer_through_the_relay_with_this_agents_token() {
    let here = TestAgent::start("relay-here").await;
    let mut there = TestAgent::start("relay-there").await;
    here.ok::<PeersAdd>(json!({"name": "closet", "address": there.url, "token": there.token}))
        .await;
    let http = reqwest::Client::new();
    let relayed = format!("{}/peers/closet", here.url);

    // A call: made with here's token, answered by there.
    let (status, created) = perry_test_support::rpc_call(
        &http,
        &relayed,
        Some(&here.token),
        "workspaces/create",
        &json!({"name": "far"}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{created}");
    let created: Workspace = serde_json::from_value(created).unwrap();
    assert_eq!(created.name, "far");
    let (_, listed_there) = there.call("workspaces/list", json!(null)).await;
    assert_eq!(listed_there[0]["name"], "far");
    let (_, listed_here) = here.call("workspaces/list", json!(null)).await;
    assert_eq!(
        listed_here,
        json!([]),
        "the workspace is there's, not here's"
    );

    // A typed error of the peer comes through as it is.
    let (status, body) = perry_test_support::rpc_call(
        &http,
        &relayed,
        Some(&here.token),
        "workspaces/get",
        &json!({"name": "nowhere"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );

    // A terminal: the socket is spliced to there's, which runs the shell.
    let url = format!(
        "{}/terminal/far?token={}&cols=100&rows=30",
        relayed.replace("http://", "ws://"),
        here.token
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the relayed terminal opens");
    let Some(Ok(Message::Text(first))) = socket.next().await else {
        panic!("the first frame is the attach message");
    };
    let TerminalControl::Attached { cols, rows, .. } = serde_json::from_str(&first).unwrap() else {
        panic!("{first}");
    };
    assert_eq!((cols, rows), (100, 30));
    socket
        .send(Message::Binary(
            b"echo relayed-$((6*7)) $(hostname)\r".to_vec().into(),
        ))
        .await
        .unwrap();
    let mut output = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !output.contains("relayed-42 far") {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                output.push_str(&String::from_utf8_lossy(&bytes))
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no echo through the relay ({other:?}): {output:?}"),
        }
    }
    drop(socket);

    // The sessions socket too.
    let url = format!(
        "{}/sessions/far?token={}",
        relayed.replace("http://", "ws://"),
        here.token
    );
    let (mut sessions, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the relayed sessions socket opens");
    let first = tokio::time::timeout(Duration::from_secs(20), sessions.next())
        .await
        .expect("the sessions socket speaks")
        .unwrap()
        .unwrap();
    assert!(matches!(first, Message::Text(_)), "{first:?}");
    drop(sessions);

    // This agent's token guards the relay; there's token is not one it takes.
    for token in [None, Some(there.token.as_str())] {
        let (status, _) =
            perry_test_support::rpc_call(&http, &relayed, token, "workspaces/list", &json!(null))
                .await
                .unwrap();
        assert_eq!(status, 401);
    }
    let (status, body) = perry_test_support::rpc_call(
        &http,
        &format!("{}/peers/attic", here.url),
        Some(&here.token),
        "workspaces/list",
        &json!(null),
    )
    .await
    .unwrap();
    assert_eq!(status, 404, "{body}");

    // A peer whose token changed is a gateway problem, not the page's token being wrong.
    let (status, body) = here.call("agent/info", json!(null)).await;
    assert_eq!(status, 200, "{body}");
    std::fs::write(here.dir.path().join("config.json"), {
        let mut config = config_json(&here);
        config["peers"]["closet"]["token"] = json!("stale");
        config.to_string()
    })
    .unwrap();
    // The agent reads config.json at start and on its own writes (which keep a person's edits):
    // make it write, adding the same agent by another of its names.
    let other_name = there.url.replace("127.0.0.1", "localhost");
    here.ok::<PeersAdd>(json!({"name": "spare", "address": other_name, "token": there.token}))
        .await;
    let (status, body) = perry_test_support::rpc_call(
        &http,
        &relayed,
        Some(&here.token),
        "workspaces/list",
        &json!(null),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("BAD_GATEWAY")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("refused the token"),
        "{body}"
    );

    // A peer that is down is told at once.
    let spare = format!("{}/peers/spare", here.url);
    there.stop_agent().await;
    let (status, body) = perry_test_support::rpc_call(
        &http,
        &spare,
        Some(&here.token),
        "workspaces/list",
        &json!(null),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("BAD_GATEWAY")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{body}"
    );
}
