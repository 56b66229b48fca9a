//! The oRPC surface: wire format, auth, input checks and typed errors, against a real agent.

mod common;

use std::os::unix::fs::MetadataExt;

use perry_api::procedures::{AgentInfoCall, ConfigGet};
use perry_api::{AgentConfig, AgentInfo, DindMode};
use serde_json::{Value, json};

use common::{TestAgent, TestAgentConfig, docker_objects};

fn error_keys(error: &Value) -> Vec<String> {
    let mut keys: Vec<String> = error.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// A client whose requests come from `127.0.0.<host>`: the agent throttles wrong tokens per
/// address, so a test that makes many refused calls spreads them over loopback addresses.
fn client_from(host: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, host]))
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Credentials {
    Missing,
    Wrong,
    Right,
}

/// What each route answers with each kind of token: every RPC and both WebSockets need it; the
/// web UI's files and /health do not.
#[tokio::test(flavor = "multi_thread")]
async fn auth_matrix_over_every_route() {
    let agent = TestAgent::start("auth").await;
    let mut routes: Vec<(String, reqwest::Method, bool)> = perry_api::procedures::PATHS
        .iter()
        .map(|path| (format!("/rpc/{path}"), reqwest::Method::POST, true))
        .collect();
    routes.extend([
        ("/terminal/alpha".to_owned(), reqwest::Method::GET, true),
        ("/sessions/alpha".to_owned(), reqwest::Method::GET, true),
        ("/health".to_owned(), reqwest::Method::GET, false),
        ("/".to_owned(), reqwest::Method::GET, false),
        ("/workspaces/alpha".to_owned(), reqwest::Method::GET, false),
    ]);
    // settings.rotateToken with the right token replaces it (the next routes take the new one),
    // and agent.kill stops the agent: they go last.
    routes.sort_by_key(|(path, _, _)| match path.as_str() {
        "/rpc/settings/rotateToken" => 1,
        "/rpc/agent/kill" => 2,
        _ => 0,
    });
    let mut token = agent.token.clone();
    let mut checked = 0;
    for (index, (path, method, protected)) in routes.iter().enumerate() {
        let http = client_from(10 + index as u8);
        for credentials in [Credentials::Missing, Credentials::Wrong, Credentials::Right] {
            let mut request = http.request(method.clone(), format!("{}{path}", agent.url));
            if path.starts_with("/terminal") || path.starts_with("/sessions") {
                request = request
                    .header("connection", "upgrade")
                    .header("upgrade", "websocket")
                    .header("sec-websocket-version", "13")
                    .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
            } else if *method == reqwest::Method::POST {
                request = request.json(&json!({"json": {}}));
            }
            request = match credentials {
                Credentials::Missing => request,
                Credentials::Wrong => request.bearer_auth("wrong-token"),
                Credentials::Right => request.bearer_auth(&token),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            if path == "/rpc/settings/rotateToken" && credentials == Credentials::Right {
                assert_eq!(status, 200, "{path}");
                let body: Value = response.json().await.unwrap();
                token = body["json"]["token"].as_str().unwrap().to_owned();
            } else if *protected && credentials != Credentials::Right {
                assert_eq!(status, 401, "{path} with {credentials:?}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["json"]["code"], "UNAUTHORIZED", "{path}");
                assert_eq!(
                    error_keys(&body["json"]),
                    ["code", "data", "defined", "message", "status"]
                );
            } else {
                assert_ne!(status, 401, "{path} with {credentials:?}");
                assert_ne!(status, 403, "{path} with {credentials:?}");
            }
            checked += 1;
        }
    }
    println!(
        "auth matrix: {} routes × 3 credentials = {checked} requests",
        routes.len()
    );
}

/// Headers that fool some proxies and frameworks get nothing here; the query token is for
/// WebSockets only.
#[tokio::test(flavor = "multi_thread")]
async fn no_header_or_query_bypasses_the_token_check() {
    let agent = TestAgent::start("bypass").await;
    let url = format!("{}/rpc/agent/info", agent.url);
    let attempts: Vec<Vec<(&str, String)>> = vec![
        vec![("x-forwarded-for", "127.0.0.1".to_owned())],
        vec![("x-real-ip", "127.0.0.1".to_owned())],
        vec![("x-original-url", "/health".to_owned())],
        vec![("x-rewrite-url", "/health".to_owned())],
        vec![("x-http-method-override", "GET".to_owned())],
        vec![("cookie", format!("token={}", "wrong"))],
        vec![("authorization", format!("Basic {}", agent.token))],
        vec![("authorization", format!("Token {}", agent.token))],
        vec![("authorization", format!("Bearer{}", agent.token))],
        vec![("authorization", "Bearer".to_owned())],
        vec![("x-api-key", agent.token.clone())],
    ];
    for (index, headers) in attempts.iter().enumerate() {
        let mut request = client_from(60 + index as u8).post(&url).json(&json!({}));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let status = request.send().await.unwrap().status();
        assert_eq!(status, 401, "{headers:?}");
    }
    let query = client_from(90)
        .post(format!("{url}?token={}", agent.token))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query.status(),
        401,
        "the query token is for WebSockets only"
    );
    let (status, _) = agent.call("agent/info", Value::Null).await;
    assert_eq!(status, 200);
    println!("bypass attempts refused: {}", attempts.len() + 1);
}

/// An address that keeps presenting wrong tokens is locked out for a while (even with the right
/// one, which would otherwise tell a guesser it won); other addresses are not affected.
#[tokio::test(flavor = "multi_thread")]
async fn repeated_wrong_tokens_from_one_address_are_throttled() {
    let agent = TestAgent::start("throttle").await;
    let guesser = client_from(100);
    let url = format!("{}/rpc/agent/info", agent.url);
    let mut refused = 0;
    let mut throttled = None;
    for attempt in 1..=40 {
        let response = guesser
            .post(&url)
            .bearer_auth(format!("guess-{attempt}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            401 => refused += 1,
            429 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["json"]["code"], "TOO_MANY_REQUESTS");
                assert!(
                    body["json"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("try again in"),
                    "{body}"
                );
                throttled = Some(attempt);
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    println!("wrong tokens answered 401 before throttling: {refused}");
    assert_eq!(throttled, Some(refused + 1), "never throttled");
    assert!(refused <= 20, "{refused} guesses allowed");
    let right_from_guesser = guesser
        .post(&url)
        .bearer_auth(&agent.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(right_from_guesser.status(), 429);
    let right_from_elsewhere = client_from(101)
        .post(&url)
        .bearer_auth(&agent.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(right_from_elsewhere.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_allowed_origins_get_cors_headers_and_still_need_the_token() {
    let app = "http://phone-app.test:8081";
    let agent = TestAgent::start_with(
        "cors",
        TestAgentConfig {
            extra: serde_json::Map::from_iter([("allowedOrigins".to_owned(), json!([app]))]),
            ..Default::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/rpc/agent/info", agent.url);
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight(app).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], app);
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(headers.contains("authorization"), "{headers}");

    let foreign = preflight("http://evil.test").await.unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let call = |token: &str| {
        http.post(&url)
            .header("origin", app)
            .bearer_auth(token)
            .json(&json!({}))
            .send()
    };
    let answered = call(&agent.token).await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(answered.headers()["access-control-allow-origin"], app);
    let refused = call("wrong").await.unwrap();
    assert_eq!(refused.status(), 401, "CORS does not replace the token");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_without_a_token() {
    let agent = TestAgent::start("health").await;
    let response = reqwest::get(format!("{}/health", agent.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_auth_mode_serves_without_a_token() {
    let agent = TestAgent::start_with(
        "noauth",
        TestAgentConfig {
            no_auth: true,
            ..Default::default()
        },
    )
    .await;
    let (status, config) = agent.call_with_token("config/get", Value::Null, None).await;
    assert_eq!(status, 200);
    assert_eq!(config["authEnabled"], false);
    // The defaults a create dialog shows: Perry's own pids limit, no CPU or memory limit.
    assert_eq!(config["defaultLimits"], serde_json::json!({"pids": 8192}));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_names_are_bad_requests_that_state_the_rule() {
    let agent = TestAgent::start("names").await;
    for name in [
        "",
        "Alpha",
        "-a",
        "a-",
        "a_b",
        "a.b",
        "../etc",
        &"x".repeat(64),
    ] {
        let (status, error) = agent.call("workspaces/create", json!({"name": name})).await;
        assert_eq!(status, 400, "{name:?}: {error}");
        assert_eq!(error["code"], "BAD_REQUEST");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("lowercase letters, digits and '-'"),
            "{error}"
        );
    }
    assert_eq!(docker_objects(&agent.prefix).await, (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_workspaces_are_not_found() {
    let agent = TestAgent::start("unknown").await;
    for procedure in [
        "workspaces/get",
        "workspaces/start",
        "workspaces/stop",
        "workspaces/delete",
        "workspaces/sync",
    ] {
        let (status, error) = agent.call(procedure, json!({"name": "ghost"})).await;
        assert_eq!(status, 404, "{procedure}: {error}");
        assert_eq!(error["code"], "NOT_FOUND");
        assert!(error["message"].as_str().unwrap().contains("ghost"));
        // Which workspace is missing, for a client to act on without reading the message.
        assert_eq!(error["data"], json!({"workspace": "ghost"}), "{procedure}");
    }
    // An unknown procedure is not found too, but it names no workspace.
    let (status, error) = agent.call("nope/nope", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(error["data"], Value::Null, "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_calls_get_typed_errors_and_the_agent_keeps_answering() {
    let agent = TestAgent::start("malformed").await;
    let http = reqwest::Client::new();
    let post = |path: &str| {
        http.post(format!("{}/rpc/{path}", agent.url))
            .bearer_auth(&agent.token)
    };

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "unknown procedure",
            post("nope/nope").json(&json!({})),
            404,
            "NOT_FOUND",
        ),
        (
            "invalid JSON",
            post("workspaces/get")
                .header("content-type", "application/json")
                .body("{nope"),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong content type",
            post("workspaces/get")
                .header("content-type", "text/plain")
                .body("{}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "empty body without a content type",
            post("workspaces/list"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "a form's content type",
            post("workspaces/delete")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("json=1"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "GET with the input in the query",
            http.get(format!("{}/rpc/config/get?data=%7B%7D", agent.url))
                .bearer_auth(&agent.token),
            405,
            "METHOD_NOT_SUPPORTED",
        ),
        (
            "wrong type",
            post("workspaces/get").json(&json!({"json": {"name": 5}})),
            400,
            "BAD_REQUEST",
        ),
        (
            "unknown field",
            post("workspaces/get").json(&json!({"json": {"name": "a", "x": 1}})),
            400,
            "BAD_REQUEST",
        ),
        (
            "missing input",
            post("workspaces/get").json(&json!({})),
            400,
            "BAD_REQUEST",
        ),
        (
            "deep nesting",
            post("workspaces/get")
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"json\": {{\"name\": {}1{}}}}}",
                    "[".repeat(100_000),
                    "]".repeat(100_000)
                )),
            400,
            "BAD_REQUEST",
        ),
        (
            "not an envelope",
            post("workspaces/get").json(&json!([1, 2])),
            400,
            "BAD_REQUEST",
        ),
        (
            "too large",
            post("workspaces/get")
                .header("content-type", "application/json")
                .body(vec![b' '; 2 * 1024 * 1024]),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "wrong method",
            http.put(format!("{}/rpc/workspaces/list", agent.url))
                .bearer_auth(&agent.token),
            405,
            "METHOD_NOT_SUPPORTED",
        ),
        (
            "sessions of an unknown workspace",
            post("sessions/list").json(&json!({"json": {"workspaceName": "a"}})),
            404,
            "NOT_FOUND",
        ),
    ];
    for (case, request, expected_status, expected_code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected_status, "{case}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["json"]["code"], expected_code, "{case}: {body}");
        assert_eq!(body["json"]["status"], expected_status, "{case}");
        assert!(
            !body["json"]["message"].as_str().unwrap().is_empty(),
            "{case}"
        );
        let (status, _) = agent.call("agent/info", Value::Null).await;
        assert_eq!(status, 200, "the agent answers after {case}");
    }
    // Validation failures carry their issues, as oRPC does.
    let (_, error) = agent.call("workspaces/get", json!({"name": 5})).await;
    assert_eq!(error["message"], "Input validation failed");
    assert!(error["data"]["issues"][0]["message"].is_string(), "{error}");
    assert_eq!(
        error["data"]["issues"][0]["path"],
        json!(["name"]),
        "{error}"
    );
    // A value no workspace can have names its field as well.
    let (_, error) = agent
        .call(
            "workspaces/create",
            json!({"name": "a", "limits": {"pids": 3}}),
        )
        .await;
    assert_eq!(error["code"], "BAD_REQUEST", "{error}");
    assert_eq!(
        error["data"]["issues"][0]["path"],
        json!(["limits"]),
        "{error}"
    );
}

/// Extra request headers, by name.
type Headers = Vec<(&'static str, String)>;

/// Another site's page, a rebound DNS name or a request a browser marks cross-site gets 403
/// before the token is looked at; the agent's own origin, allowed origins and allowed host
/// names pass. (web/e2e/cross-site.e2e.ts makes the same requests from a real page in Chromium.)
#[tokio::test(flavor = "multi_thread")]
async fn other_sites_and_unknown_host_names_are_refused() {
    let agent = TestAgent::start_with(
        "guard",
        TestAgentConfig {
            extra: serde_json::Map::from_iter([
                ("allowedOrigins".to_owned(), json!(["http://app.test:8081"])),
                ("allowedHosts".to_owned(), json!(["box.tailnet.test"])),
            ]),
            ..Default::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let host = agent.url.trim_start_matches("http://").to_owned();
    let port = host.rsplit_once(':').unwrap().1.to_owned();
    let list = |headers: Headers| {
        let mut request = http
            .post(format!("{}/rpc/workspaces/list", agent.url))
            .bearer_auth(&agent.token)
            .json(&json!({}));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let refused: Vec<(&str, Headers, &str)> = vec![
        (
            "another origin",
            vec![("origin", "http://127.0.0.1:1".to_owned())],
            "allowedOrigins",
        ),
        (
            "a cross-site request without Origin",
            vec![("sec-fetch-site", "cross-site".to_owned())],
            "allowedOrigins",
        ),
        (
            "a rebound host name",
            vec![("host", format!("attacker.test:{port}"))],
            "allowedHosts",
        ),
        (
            "a rebound host name with a matching origin",
            vec![
                ("host", format!("attacker.test:{port}")),
                ("origin", format!("http://attacker.test:{port}")),
            ],
            "allowedHosts",
        ),
    ];
    for (case, headers, config_key) in refused {
        let response = list(headers).await.unwrap();
        assert_eq!(response.status(), 403, "{case}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["json"]["code"], "FORBIDDEN", "{case}");
        let message = body["json"]["message"].as_str().unwrap();
        assert!(message.contains(config_key), "{case}: {message}");
    }
    let allowed: Vec<(&str, Headers)> = vec![
        ("no Origin (a CLI)", vec![]),
        (
            "the agent's own origin",
            vec![("origin", format!("http://{host}"))],
        ),
        (
            "an allowed origin",
            vec![("origin", "http://app.test:8081".to_owned())],
        ),
        (
            "an allowed host name",
            vec![("host", format!("box.tailnet.test:{port}"))],
        ),
        ("localhost", vec![("host", format!("localhost:{port}"))]),
    ];
    for (case, headers) in allowed {
        let response = list(headers).await.unwrap();
        assert_eq!(response.status(), 200, "{case}");
    }
    // The web UI's files are not served under a rebound name either.
    let page = http
        .get(format!("{}/", agent.url))
        .header("host", format!("attacker.test:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_never_shows_the_token() {
    let agent = TestAgent::start("config").await;
    let (status, raw) = agent.call("config/get", Value::Null).await;
    assert_eq!(status, 200);
    assert!(!raw.to_string().contains(&agent.token));
    let config: AgentConfig = serde_json::from_value(raw).unwrap();
    assert_eq!(config.workspace_prefix, agent.prefix);
    assert!(config.auth_enabled);
    // The port that answers (the test agent listens on port 0, a free one), not config.json's.
    let listening: u16 = agent.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(listening, 7391);
    assert_eq!(config.port, listening);
}

/// config.json is the person's file: what they add or change by hand while the agent runs is
/// never undone. No procedure writes it (`config.setWorker`, the one that did, from the copy
/// loaded at start, had no caller and is gone); the agent's one write, a token for a file
/// without one at start, changes nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn a_persons_edits_to_config_json_survive_the_agent() {
    let mut agent = TestAgent::start("cfgedit").await;
    let path = agent.dir.path().join("config.json");
    let mut by_hand: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    by_hand["personalNote"] = json!({"why": "a key Perry does not know"});
    by_hand["terminalGraceSeconds"] = json!(42);
    by_hand["credentials"] = json!({"env": {"API_KEY": "added-by-hand"}});
    by_hand["auth"]
        .as_object_mut()
        .unwrap()
        .remove("token")
        .expect("the agent wrote a token at start");
    let written_by_hand = serde_json::to_vec_pretty(&by_hand).unwrap();
    std::fs::write(&path, &written_by_hand).unwrap();

    let (status, error) = agent
        .call("config/setWorker", json!({"worker": "box:7391"}))
        .await;
    assert_eq!((status, error["code"].as_str()), (404, Some("NOT_FOUND")));
    // Every procedure but agent.kill, with an empty input: none of them touches the file. (But
    // settings.rotateToken, whose whole work is a new token there: its own test checks that
    // nothing else changes.)
    for path in perry_api::procedures::PATHS {
        if !["agent/kill", "settings/rotateToken"].contains(path) {
            agent.call(path, json!({})).await;
        }
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        written_by_hand,
        "a procedure rewrote config.json"
    );

    agent.restart_agent().await;
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut expected = by_hand.clone();
    expected["auth"]["token"] = json!(agent.token);
    assert_eq!(
        on_disk, expected,
        "the restart added the token and changed nothing else"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    let config: AgentConfig = agent.ok::<ConfigGet>(Value::Null).await;
    assert_eq!(config.workspace_prefix, agent.prefix);
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_info_reports_docker_and_the_dind_mode() {
    let agent = TestAgent::start("info").await;
    let mut info: AgentInfo = agent.ok::<AgentInfoCall>(Value::Null).await;
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert!(!info.hostname.is_empty());
    assert!(
        info.docker_version
            .as_deref()
            .is_some_and(|version| !version.is_empty())
    );
    // The mode is detected in the background at startup; give it a moment.
    for _ in 0..100 {
        if info.dind_mode.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        info = agent.ok::<AgentInfoCall>(Value::Null).await;
    }
    assert!(
        matches!(
            info.dind_mode,
            Some(DindMode::Privileged | DindMode::Capabilities)
        ),
        "{info:?}"
    );
    // What it can take on, for placement: the Docker host's size, this machine's free memory
    // and load (Docker runs here), no workspace running, the image present.
    let capacity = info.capacity.expect("the capacity of a local Docker agent");
    let memory_total_mb = std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|kb| kb.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .unwrap()
        / 1024;
    assert_eq!(
        (capacity.cpus, capacity.memory_total_mb),
        (
            Some(u32::try_from(std::thread::available_parallelism().unwrap().get()).unwrap()),
            Some(memory_total_mb)
        ),
        "{capacity:?}"
    );
    assert!(
        capacity
            .memory_available_mb
            .is_some_and(|free| free > 0 && free <= memory_total_mb),
        "{capacity:?}"
    );
    assert!(
        capacity.load1.is_some_and(|load| load >= 0.0),
        "{capacity:?}"
    );
    assert_eq!(
        (capacity.running_workspaces, capacity.image_present),
        (0, true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_shuts_the_agent_down() {
    let mut agent = TestAgent::start("kill").await;
    let (status, _) = agent.call("agent/kill", Value::Null).await;
    assert_eq!(status, 200);
    tokio::time::timeout(std::time::Duration::from_secs(10), agent.stop_agent())
        .await
        .expect("the agent stops");
    assert!(
        reqwest::get(format!("{}/health", agent.url)).await.is_err(),
        "nothing listens any more"
    );
}
