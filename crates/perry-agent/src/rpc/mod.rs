//! The oRPC endpoint: `/rpc/<group>/<procedure>` → decode and check the input → the service →
//! a typed reply. The procedure names come from [`perry_api::procedures::PROCEDURES`].

pub mod codec;

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use perry_api::ports::{PortsForwardInput, PortsListInput, PortsRemoveInput};
use perry_api::procedures::PROCEDURES;
use perry_api::sessions::{
    DEFAULT_MESSAGES_LIMIT, DEFAULT_SESSIONS_LIMIT, SessionMessagesInput, SessionsSearchInput,
};
use perry_api::{
    AgentInfo, CreateWorkspaceInput, ExecInput, LogsInput, SessionsListInput, SetWorkerInput,
    SuccessOutput, TerminalKillInput, TerminalsListInput, WorkspaceNameInput,
};
use serde::Serialize;
use serde_json::Value;

use crate::Agent;
use crate::error::ApiError;
use codec::{UNDEFINED_OUTPUT, decode_envelope, decode_input, encode_output, unwrap_envelope};

/// The largest request body the agent reads: inputs are small JSON objects.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Serves one oRPC call.
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match call(&agent, &method, &path, query.as_deref(), &headers, body).await {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn call(
    agent: &Agent,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Reply, ApiError> {
    if !PROCEDURES.iter().any(|procedure| procedure.path == path) {
        return Err(ApiError::NotFound(format!(
            "There is no procedure at /rpc/{path}"
        )));
    }
    let input = match *method {
        Method::POST => {
            let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
                ApiError::PayloadTooLarge(format!(
                    "The request body is larger than {MAX_BODY_BYTES} bytes"
                ))
            })?;
            decode_envelope(headers, &bytes)?
        }
        Method::GET => decode_query(query)?,
        _ => {
            return Err(ApiError::MethodNotSupported(format!(
                "{method} is not supported for /rpc/{path}; use POST"
            )));
        }
    };
    dispatch(agent, path, input).await
}

/// The input of a GET call, from `?data=<envelope JSON>`.
pub(crate) fn decode_query(query: Option<&str>) -> Result<Value, ApiError> {
    let data = query.and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("data="))
            .map(|data| data.to_owned())
    });
    let Some(data) = data else {
        return Ok(Value::Null);
    };
    let decoded = percent_decode(&data).ok_or_else(|| {
        ApiError::BadRequest(
            "The data query parameter is not valid percent-encoded UTF-8".to_owned(),
        )
    })?;
    let envelope: Value = serde_json::from_str(&decoded).map_err(|error| {
        ApiError::BadRequest(format!(
            "The data query parameter is not valid JSON: {error}"
        ))
    })?;
    unwrap_envelope(envelope)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The encoded reply to a call.
type Reply = Vec<u8>;

fn reply<T: Serialize>(output: T) -> Result<Reply, ApiError> {
    encode_output(&output)
}

fn undefined() -> Result<Reply, ApiError> {
    Ok(UNDEFINED_OUTPUT.to_vec())
}

/// Runs the procedure at `path` with `input`.
async fn dispatch(agent: &Agent, path: &str, input: Value) -> Result<Reply, ApiError> {
    let workspaces = &agent.workspaces;
    match path {
        "workspaces/list" => reply(workspaces.list().await?),
        "workspaces/get" => {
            let input: WorkspaceNameInput = decode_input(input)?;
            reply(workspaces.get(&input.name).await?)
        }
        "workspaces/create" => {
            let input: CreateWorkspaceInput = decode_input(input)?;
            reply(
                workspaces
                    .create(&input.name, input.image, input.clone, input.limits)
                    .await?,
            )
        }
        "workspaces/delete" => {
            let input: WorkspaceNameInput = decode_input(input)?;
            workspaces.delete(&input.name).await?;
            reply(SuccessOutput { success: true })
        }
        "workspaces/start" => {
            let input: WorkspaceNameInput = decode_input(input)?;
            reply(workspaces.start(&input.name).await?)
        }
        "workspaces/stop" => {
            let input: WorkspaceNameInput = decode_input(input)?;
            reply(workspaces.stop(&input.name).await?)
        }
        "workspaces/sync" => {
            let input: WorkspaceNameInput = decode_input(input)?;
            reply(workspaces.sync(&input.name).await?)
        }
        "workspaces/exec" => {
            let input: ExecInput = decode_input(input)?;
            reply(workspaces.exec(input).await?)
        }
        "workspaces/logs" => {
            let input: LogsInput = decode_input(input)?;
            reply(workspaces.logs(input).await?)
        }
        "ports/list" => {
            let input: PortsListInput = decode_input(input)?;
            reply(workspaces.list_forwards(&input.workspace_name)?)
        }
        "ports/forward" => {
            let input: PortsForwardInput = decode_input(input)?;
            reply(
                workspaces
                    .forward_ports(&input.workspace_name, input.forwards)
                    .await?,
            )
        }
        "ports/remove" => {
            let input: PortsRemoveInput = decode_input(input)?;
            reply(
                workspaces
                    .remove_forwards(&input.workspace_name, input.host_ports)
                    .await?,
            )
        }
        "terminals/list" => {
            let input: TerminalsListInput = decode_input(input)?;
            workspaces.require_record(&input.workspace_name)?;
            reply(agent.terminals.list(&input.workspace_name))
        }
        "terminals/kill" => {
            let input: TerminalKillInput = decode_input(input)?;
            workspaces.require_record(&input.workspace_name)?;
            agent
                .terminals
                .kill(&input.workspace_name, &input.id)
                .await?;
            reply(SuccessOutput { success: true })
        }
        "sessions/list" => {
            let input: SessionsListInput = decode_input(input)?;
            let index = agent.sessions_of(&input.workspace_name).await?;
            let limit = input.limit.unwrap_or(DEFAULT_SESSIONS_LIMIT);
            let offset = input.offset.unwrap_or(0);
            reply(index.list(input.agent, limit, offset).await?)
        }
        "sessions/messages" => {
            let input: SessionMessagesInput = decode_input(input)?;
            let index = agent.sessions_of(&input.workspace_name).await?;
            let limit = input.limit.unwrap_or(DEFAULT_MESSAGES_LIMIT);
            let offset = input.offset.unwrap_or(0);
            reply(index.messages(&input.session_id, limit, offset).await?)
        }
        "sessions/search" => {
            let input: SessionsSearchInput = decode_input(input)?;
            if input.query.trim().is_empty() {
                return Err(ApiError::BadRequest("Give a search query".to_owned()));
            }
            let index = agent.sessions_of(&input.workspace_name).await?;
            reply(index.search(&input.query, DEFAULT_SESSIONS_LIMIT).await?)
        }
        "agent/info" => reply(agent_info(agent).await),
        "agent/kill" => {
            tracing::info!("agent.kill called: shutting down");
            agent.shutdown.notify_one();
            undefined()
        }
        "config/get" => reply(agent.public_config()),
        "config/setWorker" => {
            let input: SetWorkerInput = decode_input(input)?;
            reply(agent.set_worker(input.worker)?)
        }
        _ => Err(ApiError::NotFound(format!(
            "There is no procedure at /rpc/{path}"
        ))),
    }
}

async fn agent_info(agent: &Agent) -> AgentInfo {
    AgentInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        hostname: crate::host_name(),
        uptime: agent.started.elapsed().as_secs_f64(),
        workspaces_count: u32::try_from(agent.workspaces.count()).unwrap_or(u32::MAX),
        docker_version: agent.docker.version().await.ok(),
        dind_mode: agent.workspaces.dind_mode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_rejects_garbage() {
        assert_eq!(
            percent_decode("%7B%22json%22%3A1%7D").as_deref(),
            Some("{\"json\":1}")
        );
        assert_eq!(percent_decode("a+b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%"), None);
    }
}
