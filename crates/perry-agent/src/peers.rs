//! Peers: the person's other agents, which this agent relays to so that the web UI it serves
//! shows the whole fleet while the browser holds one token (DESIGN.md, "Many agents, one
//! client").
//!
//! - `peers.list|add|remove` keep them in config.json's `peers`. A token is write-only: no
//!   procedure returns it. An add asks the peer's `agent.info` with the token first, so a wrong
//!   address, something that is not an agent or a wrong token is told and nothing is saved.
//! - `/peers/<name>/rpc/…`, `/peers/<name>/terminal/…` and `/peers/<name>/sessions/…` go to that
//!   peer with its token. Replies stream through as they come (event iterators included). A
//!   WebSocket is spliced byte for byte once the peer has accepted it, so the relay adds no
//!   framing, no buffering and no say in what the two ends negotiate.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use perry_api::{AgentInfo, PeerInfo, PeersAddInput};
use serde_json::json;

use crate::Agent;
use crate::error::ApiError;
use crate::state::config::{DEFAULT_PORT, Peer};

/// How long connecting to a peer may take before it counts as unreachable.
const CONNECT_PATIENCE: Duration = Duration::from_secs(3);
/// How long `peers.add` waits for the peer's `agent.info`.
const ADD_PATIENCE: Duration = Duration::from_secs(5);

/// An agent's address as a person gives it (host, host:port, a URL, or the sign-in URL its web
/// UI shows): its base URL, `http(s)://host:port`, and the token the address carries, if any.
pub fn parse_address(address: &str) -> Result<(String, Option<String>), String> {
    let address = address.trim();
    let with_scheme = if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    };
    let not_an_address = |why: String| {
        format!(
            "{address:?} is not an agent's address ({why}); give host, host:port, http(s)://host:port, or the sign-in URL its web UI shows"
        )
    };
    let url =
        reqwest::Url::parse(&with_scheme).map_err(|error| not_an_address(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_an_address(format!(
            "{} is not http or https",
            url.scheme()
        )));
    }
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| not_an_address("no host".to_owned()))?;
    let port = url.port().unwrap_or(DEFAULT_PORT);
    let token = url
        .query_pairs()
        .find(|(key, _)| key == "token")
        .map(|(_, token)| token.into_owned())
        .filter(|token| !token.is_empty());
    Ok((format!("{}://{host}:{port}", url.scheme()), token))
}

/// The one HTTP client the agent calls its peers with (pooled connections, http and https with
/// the system's roots).
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::tls::http_client(
            reqwest::Client::builder()
                .connect_timeout(CONNECT_PATIENCE)
                .tcp_nodelay(true),
            "https peers",
        )
    })
}

/// A peer to add, as its input says.
pub struct NewPeer {
    pub name: String,
    pub url: String,
    pub token: Option<String>,
}

/// What `peers.add` can check without asking anyone: the name, the address, and that the token
/// given and the one the address carries do not differ. Pure (the RPC decoder runs it).
pub fn check_new_peer(input: &PeersAddInput) -> Result<NewPeer, ApiError> {
    let name = input.name.clone();
    check_peer_name(&name)?;
    let (url, carried) =
        parse_address(&input.address).map_err(|message| ApiError::InvalidField {
            field: "address",
            message,
        })?;
    let given = input
        .token
        .as_deref()
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    let token = match (given, carried) {
        (Some(given), Some(carried)) if given != carried => {
            return Err(ApiError::InvalidField {
                field: "token",
                message: "The token given and the token in the address differ; give one of them"
                    .to_owned(),
            });
        }
        (given, carried) => given.or(carried),
    };
    Ok(NewPeer { name, url, token })
}

/// An agent's name follows the workspace names' rule (it appears in `agent/workspace`).
pub fn check_peer_name(name: &str) -> Result<(), ApiError> {
    crate::workspace::validate_name(name).map_err(|_| ApiError::InvalidField {
        field: "name",
        message: format!(
            "Invalid agent name {name:?}: use {}",
            crate::workspace::NAME_RULE
        ),
    })
}

/// The peers as `peers.list` shows them: names and addresses, never tokens.
pub fn list(agent: &Agent) -> Vec<PeerInfo> {
    agent
        .config()
        .peers
        .iter()
        .map(|(name, peer)| PeerInfo {
            name: name.clone(),
            url: peer.url.clone(),
        })
        .collect()
}

/// `peers.add`: checks the name and the address, asks the peer who it is with the token, and
/// only then saves it.
pub async fn add(agent: &Agent, input: PeersAddInput) -> Result<PeerInfo, ApiError> {
    let NewPeer { name, url, token } = check_new_peer(&input)?;
    check_not_taken(&agent.config().peers, &name, &url)?;
    let info = who_is(&url, token.as_deref()).await?;
    tracing::info!(
        "adding peer {name}: {url} (Perry {} on {})",
        info.version,
        info.hostname
    );
    let mut taken = None;
    let entry = Peer {
        url: url.clone(),
        token,
    };
    agent
        .update_config(|object| {
            let peers = object
                .entry("peers")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(peers) = peers else { return };
            // Checked again under the file's lock: another add may have come in meanwhile.
            let existing = peers
                .iter()
                .filter_map(|(name, peer)| {
                    Some((name.clone(), serde_json::from_value(peer.clone()).ok()?))
                })
                .collect();
            if let Err(error) = check_not_taken(&existing, &name, &url) {
                taken = Some(error);
                return;
            }
            peers.insert(
                name.clone(),
                serde_json::to_value(&entry).expect("a peer is JSON"),
            );
        })
        .map_err(ApiError::Internal)?;
    match taken {
        Some(error) => Err(error),
        None => Ok(PeerInfo { name, url }),
    }
}

/// `peers.remove`: the peers left.
pub fn remove(agent: &Agent, name: &str) -> Result<Vec<PeerInfo>, ApiError> {
    let mut found = false;
    agent
        .update_config(|object| {
            if let Some(peers) = object
                .get_mut("peers")
                .and_then(|peers| peers.as_object_mut())
            {
                found = peers.remove(name).is_some();
            }
        })
        .map_err(ApiError::Internal)?;
    if !found {
        return Err(unknown_peer(agent, name));
    }
    Ok(list(agent))
}

fn check_not_taken(
    peers: &std::collections::BTreeMap<String, Peer>,
    name: &str,
    url: &str,
) -> Result<(), ApiError> {
    if let Some(peer) = peers.get(name) {
        return Err(ApiError::Conflict(format!(
            "An agent named {name:?} is already added ({}); remove it first",
            peer.url
        )));
    }
    if let Some((other, _)) = peers.iter().find(|(_, peer)| peer.url == url) {
        return Err(ApiError::Conflict(format!(
            "{url} is already added as {other:?}"
        )));
    }
    Ok(())
}

fn unknown_peer(agent: &Agent, name: &str) -> ApiError {
    let names: Vec<String> = agent.config().peers.keys().cloned().collect();
    ApiError::NotFound(if names.is_empty() {
        format!("No agent named {name:?}: this agent has no peers yet (add one on the Agent page)")
    } else {
        format!(
            "No agent named {name:?}; this agent's peers are: {}",
            names.join(", ")
        )
    })
}

/// The peer's `agent.info`, or why it cannot be added.
async fn who_is(url: &str, token: Option<&str>) -> Result<AgentInfo, ApiError> {
    let mut request = http()
        .post(format!("{url}/rpc/agent/info"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(r#"{"json":null}"#)
        .timeout(ADD_PATIENCE);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let nothing_saved = "Nothing was saved.";
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::InvalidField {
            field: "address",
            message: if error.is_timeout() {
                format!(
                    "{url} did not answer within {} s. {nothing_saved}",
                    ADD_PATIENCE.as_secs()
                )
            } else {
                format!(
                    "{url} cannot be reached from this agent: {}. {nothing_saved}",
                    crate::error::innermost_cause(&error)
                )
            },
        })?;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        return Err(ApiError::InvalidField {
            field: "token",
            message: format!(
                "The agent at {url} refused the token{}; give the token from its config.json, or the sign-in URL its web UI shows. {nothing_saved}",
                if token.is_none() {
                    " (none was given)"
                } else {
                    ""
                }
            ),
        });
    }
    let not_an_agent = || ApiError::InvalidField {
        field: "address",
        message: format!(
            "{url} answers, but not as a Perry agent (HTTP {status}). {nothing_saved}"
        ),
    };
    if !status.is_success() {
        return Err(not_an_agent());
    }
    let body: serde_json::Value = response.json().await.map_err(|_| not_an_agent())?;
    serde_json::from_value(body["json"].clone()).map_err(|_| not_an_agent())
}

/// Headers that belong to one hop of a connection, never passed on, and the ones the relay sets
/// itself (the peer's own host, the peer's token; the page's origin was checked here).
fn passed_on(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "host"
            | "authorization"
            | "origin"
            | "cookie"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

/// The query without `token=` (the browser's token for this agent is not the peer's).
fn query_without_token(query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("token="))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// Serves `/peers/<name>/<rest>`: the same request, made to that peer with its token.
pub async fn relay(State(agent): State<Arc<Agent>>, mut request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((name, rest)) = path
        .strip_prefix("/peers/")
        .and_then(|tail| tail.split_once('/'))
    else {
        return ApiError::NotFound(format!("There is nothing at {path}")).into_response();
    };
    let Some(peer) = agent.config().peers.get(name).cloned() else {
        return unknown_peer(&agent, name).into_response();
    };
    let target = format!(
        "{}/{rest}{}",
        peer.url,
        query_without_token(request.uri().query())
    );
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .filter(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"))
        .cloned();
    let client_upgrade = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>();
    let mut outgoing = http().request(request.method().clone(), &target);
    for (header_name, value) in request.headers() {
        if passed_on(header_name) {
            outgoing = outgoing.header(header_name, value);
        }
    }
    if let Some(token) = &peer.token {
        outgoing = outgoing.bearer_auth(token);
    }
    if let Some(upgrade) = &upgrade {
        outgoing = outgoing
            .header(header::CONNECTION, "Upgrade")
            .header(header::UPGRADE, upgrade);
    } else {
        outgoing = outgoing.body(reqwest::Body::wrap_stream(
            std::mem::take(request.body_mut()).into_data_stream(),
        ));
    }
    let response = match outgoing.send().await {
        Ok(response) => response,
        Err(error) => return unreachable(name, &peer.url, &error).into_response(),
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        // Passed on as is, the page would take it for its own token being wrong.
        return ApiError::BadGateway(format!(
            "The agent {name:?} ({}) refused the token this agent holds for it; remove it and add it again with its current token",
            peer.url
        ))
        .into_response();
    }
    let headers = kept_headers(response.headers());
    if status == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_upgrade) = client_upgrade else {
            return ApiError::BadRequest("This connection cannot be upgraded".to_owned())
                .into_response();
        };
        let peer_name = name.to_owned();
        tokio::spawn(async move {
            let (client, peer) = match tokio::try_join!(
                async { client_upgrade.await.map_err(|error| error.to_string()) },
                async { response.upgrade().await.map_err(|error| error.to_string()) },
            ) {
                Ok(both) => both,
                Err(error) => {
                    tracing::debug!("relay to {peer_name}: the upgrade failed: {error}");
                    return;
                }
            };
            let mut client = hyper_util::rt::TokioIo::new(client);
            let mut peer = peer;
            if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut peer).await {
                tracing::debug!("relay to {peer_name} ended: {error}");
            }
        });
        let mut reply = Response::new(Body::empty());
        *reply.status_mut() = status;
        *reply.headers_mut() = headers;
        reply.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("upgrade"),
        );
        if let Some(upgrade) = upgrade {
            reply.headers_mut().insert(header::UPGRADE, upgrade);
        }
        return reply;
    }
    let mut reply = Response::new(Body::from_stream(response.bytes_stream()));
    *reply.status_mut() = status;
    *reply.headers_mut() = headers;
    reply
}

/// The peer's reply headers that are the reply's own, not its connection's.
fn kept_headers(headers: &HeaderMap) -> HeaderMap {
    headers
        .iter()
        .filter(|(name, _)| passed_on(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

fn unreachable(name: &str, url: &str, error: &reqwest::Error) -> ApiError {
    if error.is_timeout() {
        ApiError::GatewayTimeout(format!("The agent {name:?} ({url}) did not answer in time"))
    } else {
        ApiError::BadGateway(format!(
            "The agent {name:?} ({url}) cannot be reached from this agent: {}",
            crate::error::innermost_cause(error)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_as_people_give_them() {
        let parsed = |address: &str| parse_address(address).unwrap();
        assert_eq!(parsed("closet"), ("http://closet:7391".to_owned(), None));
        assert_eq!(
            parsed("closet:8000"),
            ("http://closet:8000".to_owned(), None)
        );
        assert_eq!(
            parsed("https://box.tail1234.ts.net"),
            ("https://box.tail1234.ts.net:7391".to_owned(), None)
        );
        assert_eq!(
            parsed("http://10.0.0.5:7391/?token=ab%2Bc"),
            ("http://10.0.0.5:7391".to_owned(), Some("ab+c".to_owned()))
        );
        assert_eq!(parsed("[::1]:7000"), ("http://[::1]:7000".to_owned(), None));
        for bad in ["ftp://box", "http://", "http://:7391", "box:notaport"] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_browsers_token_and_hop_headers_stay_here() {
        assert_eq!(
            query_without_token(Some("token=secret&cols=80&rows=24")),
            "?cols=80&rows=24"
        );
        assert_eq!(query_without_token(Some("token=secret")), "");
        assert_eq!(query_without_token(None), "");
        for name in ["authorization", "origin", "host", "connection", "upgrade"] {
            assert!(!passed_on(&HeaderName::from_static(name)), "{name}");
        }
        for name in [
            "content-type",
            "sec-websocket-key",
            "sec-websocket-extensions",
        ] {
            assert!(passed_on(&HeaderName::from_static(name)), "{name}");
        }
    }
}
