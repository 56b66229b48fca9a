//! Arbitrary request bytes through what the agent's `/rpc` runs before a procedure does any
//! work: the token lookup, the oRPC envelope (POST body with a content type, or GET `?data=`),
//! the input type of one procedure, and that procedure's checks of the input. Nothing of it may
//! panic, whatever the bytes; errors must turn into oRPC error replies.
//!
//! The input's layout (the seeds in `fuzz/seeds/rpc_input` follow it):
//! `[procedure] [n] [content-type: n bytes] [m] [authorization: m bytes] [body …]`, where
//! `procedure` below 128 indexes `perry_api::procedures::PROCEDURES` (modulo its length). The
//! body is decoded as a POST body and, when it is UTF-8, as a GET query string too.
//!
//! From 128 up, `procedure - 128` picks the procedure and the rest of the bytes build its input
//! in the shape of its wire type (see `schema.rs`): raw bytes rarely spell a whole valid
//! object, and without a sanitizer libFuzzer learns no strings from `memcmp`, only integers
//! from comparisons, which this mode takes in binary.

#![no_main]

mod schema;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use perry_agent::error::ApiError;
use perry_agent::fuzzing as agent;
use perry_api::ports::{PortsForwardInput, PortsListInput, PortsRemoveInput};
use perry_api::procedures::PROCEDURES;
use perry_api::sessions::{SessionMessagesInput, SessionsSearchInput};
use perry_api::{
    CreateWorkspaceInput, ExecInput, LogsInput, PortForward, PortRange, SessionsListInput,
    SetWorkerInput, TerminalKillInput, TerminalsListInput, Workspace, WorkspaceNameInput,
    WorkspacePorts, WorkspaceStatus,
};
use serde::Serialize;
use serde_json::Value;

fuzz_target!(|data: &[u8]| run(data));

fn run(data: &[u8]) {
    let mut bytes = data;
    let Some(procedure) = take(&mut bytes, 1).and_then(|byte| byte.first().copied()) else {
        return;
    };
    if procedure >= 128 {
        structured(procedure - 128, bytes);
        return;
    }
    let content_type = take_sized(&mut bytes);
    let authorization = take_sized(&mut bytes);
    let body = bytes;
    let path = PROCEDURES[usize::from(procedure) % PROCEDURES.len()].path;

    let mut headers = HeaderMap::new();
    // Only valid header values reach the agent: hyper refuses the rest.
    if let Some(value) = content_type.and_then(|bytes| HeaderValue::from_bytes(bytes).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let authorization = authorization.and_then(|bytes| HeaderValue::from_bytes(bytes).ok());
    let query = std::str::from_utf8(body).ok();
    token(authorization, query);

    settle(agent::decode_envelope(&headers, body).and_then(|input| check(path, input)));
    if let Some(query) = query {
        settle(agent::decode_query(Some(query)).and_then(|input| check(path, input)));
    }
}

/// A procedure's input shaped like its wire type ([`schema`]), in an envelope that sometimes
/// marks keys `undefined`, through the POST path.
fn structured(procedure: u8, bytes: &[u8]) {
    let procedure = &PROCEDURES[usize::from(procedure) % PROCEDURES.len()];
    let mut unstructured = Unstructured::new(bytes);
    let Ok(input) = schema::input(&mut unstructured, procedure.input) else {
        return;
    };
    let mut envelope = serde_json::Map::new();
    if let (Ok(true), Value::Object(fields)) = (unstructured.ratio(1u8, 4), &input) {
        let keys: Vec<&String> = fields.keys().collect();
        let mut meta = Vec::new();
        for _ in 0..unstructured.int_in_range(1..=2u8).unwrap_or(1) {
            let tag = unstructured.int_in_range(0..=8u8).unwrap_or(3);
            let key = unstructured
                .choose(&keys)
                .map_or_else(|_| "name".to_owned(), |key| (*key).clone());
            meta.push(serde_json::json!([tag, key]));
        }
        envelope.insert("meta".to_owned(), Value::Array(meta));
    }
    envelope.insert("json".to_owned(), input);
    let Ok(body) = serde_json::to_vec(&Value::Object(envelope)) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    settle(agent::decode_envelope(&headers, &body).and_then(|input| check(procedure.path, input)));
}

/// `count` bytes off the front of `bytes`, if there are that many.
fn take<'a>(bytes: &mut &'a [u8], count: usize) -> Option<&'a [u8]> {
    if bytes.len() < count {
        return None;
    }
    let (front, rest) = bytes.split_at(count);
    *bytes = rest;
    Some(front)
}

/// A length byte, then that many bytes.
fn take_sized<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = take(bytes, 1)?[0];
    take(bytes, usize::from(length))
}

/// The auth middleware's token lookup, header first, then `?token=` where it allows it.
fn token(authorization: Option<HeaderValue>, query: Option<&str>) {
    let mut request = Request::new(Body::empty());
    if let Some(uri) = query.and_then(|query| format!("/rpc/x?{query}").parse().ok()) {
        *request.uri_mut() = uri;
    }
    if let Some(value) = authorization {
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    for allow_query in [false, true] {
        let _ = agent::presented_token(&request, allow_query);
    }
}

/// Every error becomes the oRPC reply a client would get.
fn settle(outcome: Result<(), ApiError>) {
    if let Err(error) = outcome {
        let _ = error.to_rpc();
        let _ = error.into_response();
    }
}

/// Decodes `input` as procedure `path` does and runs its checks that need no Docker.
fn check(path: &str, input: Value) -> Result<(), ApiError> {
    match path {
        "workspaces/list" | "agent/info" | "agent/kill" | "config/get" => Ok(()),
        "workspaces/get" | "workspaces/delete" | "workspaces/start" | "workspaces/stop"
        | "workspaces/sync" => {
            let input: WorkspaceNameInput = decoded(input)?;
            agent::validate_name(&input.name)
        }
        "workspaces/create" => {
            let input: CreateWorkspaceInput = decoded(input)?;
            agent::validate_name(&input.name)?;
            if let Some(url) = input
                .clone
                .as_deref()
                .map(str::trim)
                .filter(|url| !url.is_empty())
            {
                agent::clone_directory(url)?;
            }
            let requested = input.limits.unwrap_or_default();
            agent::check_limits(&requested).map_err(ApiError::BadRequest)?;
            let (effective, inherited) = agent::merge_limits(requested, agent::DEFAULT_LIMITS);
            let host = agent::HostResources {
                cpus: 2,
                memory_mb: 4096,
            };
            agent::check_against_host(&requested.without_zeros(), &host)
                .map_err(ApiError::BadRequest)?;
            agent::check_against_host(&inherited, &host).map_err(ApiError::BadRequest)?;
            let _ = agent::encode_output(&effective)?;
            Ok(())
        }
        "workspaces/exec" => {
            let input: ExecInput = decoded(input)?;
            agent::validate_name(&input.name)?;
            if let Some(user) = &input.user {
                let _ = agent::valid_exec_user(user);
            }
            Ok(())
        }
        "workspaces/logs" => {
            let input: LogsInput = decoded(input)?;
            agent::validate_name(&input.name)?;
            if let Some(since) = &input.since {
                let _ = humantime::parse_rfc3339(since);
            }
            Ok(())
        }
        "ports/list" => {
            let input: PortsListInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "ports/forward" => {
            let input: PortsForwardInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)?;
            let requested: Vec<PortForward> = input
                .forwards
                .into_iter()
                .map(|request| request.forward())
                .collect();
            let rules = agent::ForwardRules {
                agent_port: 7391,
                ssh_port_range: PortRange {
                    start: 2200,
                    end: 2400,
                },
            };
            let others = other_workspaces();
            agent::check_forwards(&requested, &input.workspace_name, &rules, &others)?;
            let _ = agent::merge_forwards(&others["other"].ports.forwards, &requested);
            Ok(())
        }
        "ports/remove" => {
            let input: PortsRemoveInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "terminals/list" => {
            let input: TerminalsListInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "terminals/kill" => {
            let input: TerminalKillInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "sessions/list" => {
            let input: SessionsListInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "sessions/messages" => {
            let input: SessionMessagesInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "sessions/search" => {
            let input: SessionsSearchInput = decoded(input)?;
            agent::validate_name(&input.workspace_name)
        }
        "config/setWorker" => {
            let _: SetWorkerInput = decoded(input)?;
            Ok(())
        }
        other => panic!(
            "fuzz/fuzz_targets/rpc_input.rs does not know the input of procedure {other}: add it"
        ),
    }
}

/// The input decoded as the server decodes it, and encoded back as a reply would be.
fn decoded<T: serde::de::DeserializeOwned + Serialize>(input: Value) -> Result<T, ApiError> {
    let input: T = agent::decode_input(input)?;
    let _ = agent::encode_output(&input)?;
    Ok(input)
}

/// Another workspace with an SSH port and a forward, for the forward checks to run into.
fn other_workspaces() -> BTreeMap<String, Workspace> {
    let other = Workspace {
        name: "other".to_owned(),
        status: WorkspaceStatus::Running,
        container_id: None,
        created: "2026-01-01T00:00:00Z".to_owned(),
        image: "workspace-base".to_owned(),
        ports: WorkspacePorts {
            ssh: 2201,
            forwards: vec![PortForward {
                host_port: 8080,
                workspace_port: 80,
            }],
        },
        error: None,
        clone: None,
        limits: None,
    };
    BTreeMap::from([("other".to_owned(), other)])
}
