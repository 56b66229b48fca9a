//! The oRPC endpoint: `POST /rpc/<group>/<procedure>` → [`decode`] (the envelope, the input's
//! type and every check that needs neither Docker nor state; pure, and what the fuzz target
//! runs) → [`execute`] (the services) → a typed reply. The procedures are the ones
//! [`perry_api::procedures`] declares.

pub mod codec;
mod validate;

use std::sync::{Arc, Mutex, Weak};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use perry_api::procedures::{Call, PATHS};
use perry_api::sessions::{DEFAULT_MESSAGES_LIMIT, DEFAULT_RECENT_LIMIT, DEFAULT_SESSIONS_LIMIT};
use perry_api::{AgentInfo, SuccessOutput, Workspace};
use serde::Serialize;

use crate::Agent;
use crate::error::ApiError;
use codec::{UNDEFINED_OUTPUT, decode_envelope, decode_input, encode_output};

/// The largest request body the agent reads: inputs are small JSON objects.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Serves one oRPC call.
pub async fn handle(
    State(agent): State<Arc<Agent>>,
    method: Method,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let outcome = async {
        let body = read_body(&method, &path, body).await?;
        execute(&agent, decode(&method, &path, &headers, &body)?).await
    };
    match outcome.await {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The body of a POST, at most [`MAX_BODY_BYTES`]; other methods are refused before it is read.
async fn read_body(method: &Method, path: &str, body: Body) -> Result<Vec<u8>, ApiError> {
    if method != Method::POST {
        return Err(not_post(method, path));
    }
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "The request body is larger than {MAX_BODY_BYTES} bytes"
        ))
    })?;
    Ok(bytes.to_vec())
}

fn not_post(method: &Method, path: &str) -> ApiError {
    ApiError::MethodNotSupported(format!(
        "{method} is not supported for /rpc/{path}; call procedures with POST"
    ))
}

/// Everything the agent does with a request before any work: the procedure, the method, the
/// content type, the oRPC envelope, the input's type and the input's checks. Pure: it needs no
/// Docker, no state and no runtime, so the fuzz target runs exactly this.
pub fn decode(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Call, ApiError> {
    if !PATHS.contains(&path) {
        return Err(ApiError::NotFound(format!(
            "There is no procedure at /rpc/{path}"
        )));
    }
    if method != Method::POST {
        return Err(not_post(method, path));
    }
    let input = decode_input(decode_envelope(headers, body)?);
    let call = Call::decode(path, input)
        .expect("the path was checked above")
        .map_err(|issue| ApiError::InvalidInput {
            issues: vec![issue],
        })?;
    validate::validate(&call)?;
    Ok(call)
}

/// The encoded reply to a call.
type Reply = Bytes;

fn reply<T: Serialize>(output: T) -> Result<Reply, ApiError> {
    encode_output(&output).map(Bytes::from)
}

/// The encoded reply of the last `workspaces.list`, kept while the service answers the same
/// list (it shares one list while nothing changes): a client polling an unchanged list costs no
/// serialization.
#[derive(Debug, Default)]
pub struct ListReply(Mutex<Option<(Weak<Vec<Workspace>>, Bytes)>>);

impl ListReply {
    fn of(&self, list: &Arc<Vec<Workspace>>) -> Result<Reply, ApiError> {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The Weak keeps the list's allocation, so its address is not another list's.
        if let Some((encoded, reply)) = last.as_ref()
            && std::ptr::eq(encoded.as_ptr(), Arc::as_ptr(list))
        {
            return Ok(reply.clone());
        }
        let reply = reply(&**list)?;
        *last = Some((Arc::downgrade(list), reply.clone()));
        Ok(reply)
    }
}

/// Runs a decoded call. The match is exhaustive: a procedure without a handler does not compile.
pub async fn execute(agent: &Agent, call: Call) -> Result<Reply, ApiError> {
    let workspaces = &agent.workspaces;
    match call {
        Call::WorkspacesList(_) => agent.list_reply.of(&workspaces.list().await?),
        Call::WorkspacesGet(input) => reply(workspaces.get(&input.name).await?),
        Call::WorkspacesCreate(input) => reply(workspaces.create(input).await?),
        Call::WorkspacesClone(input) => reply(
            workspaces
                .clone_workspace(&input.source, &input.name)
                .await?,
        ),
        Call::WorkspacesDelete(input) => {
            workspaces.delete(&input.name).await?;
            reply(SuccessOutput { success: true })
        }
        Call::WorkspacesStart(input) => reply(workspaces.start(&input.name).await?),
        Call::WorkspacesStop(input) => reply(workspaces.stop(&input.name).await?),
        Call::WorkspacesRebuild(input) => reply(workspaces.rebuild(&input.name).await?),
        Call::WorkspacesSync(input) => reply(workspaces.sync(&input.name).await?),
        Call::WorkspacesSyncAll(_) => reply(workspaces.sync_all().await?),
        Call::WorkspacesExec(input) => reply(workspaces.exec(input).await?),
        Call::WorkspacesLogs(input) => reply(workspaces.logs(input).await?),
        Call::PortsList(input) => reply(workspaces.list_forwards(&input.workspace_name)?),
        Call::PortsForward(input) => reply(
            workspaces
                .forward_ports(&input.workspace_name, input.forwards)
                .await?,
        ),
        Call::PortsRemove(input) => reply(
            workspaces
                .remove_forwards(&input.workspace_name, input.host_ports)
                .await?,
        ),
        Call::TerminalsList(input) => {
            workspaces.require_record(&input.workspace_name)?;
            reply(agent.terminals.list(&input.workspace_name))
        }
        Call::TerminalsKill(input) => {
            workspaces.require_record(&input.workspace_name)?;
            agent
                .terminals
                .kill(&input.workspace_name, &input.id)
                .await?;
            reply(SuccessOutput { success: true })
        }
        Call::SessionsList(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            let limit = input.limit.unwrap_or(DEFAULT_SESSIONS_LIMIT);
            let offset = input.offset.unwrap_or(0);
            reply(index.list(input.agent, limit, offset).await?)
        }
        Call::SessionsGet(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            reply(index.get(&input.session_id).await?)
        }
        Call::SessionsMessages(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            let limit = input.limit.unwrap_or(DEFAULT_MESSAGES_LIMIT);
            let offset = input.offset.unwrap_or(0);
            let page = index.messages(&input.session_id, limit, offset).await?;
            // The first page is what every client reads when a person opens a session. Noting it
            // is a convenience: the page is the answer even when the note cannot be written.
            if offset == 0
                && let Ok(session) = index.get(&input.session_id).await
                && let Err(error) = agent.sessions.opened(&input.workspace_name, &session)
            {
                tracing::warn!("cannot note that a session was opened: {error}");
            }
            reply(page)
        }
        Call::SessionsRename(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            reply(
                agent
                    .sessions
                    .rename(&index, &input.session_id, input.name)
                    .await?,
            )
        }
        Call::SessionsDelete(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            agent.sessions.delete(&index, &input.session_id).await?;
            reply(SuccessOutput { success: true })
        }
        Call::SessionsRecent(input) => reply(
            agent
                .sessions
                .recent(input.limit.unwrap_or(DEFAULT_RECENT_LIMIT)),
        ),
        Call::SessionsSearch(input) => {
            let index = agent.sessions_of(&input.workspace_name).await?;
            reply(index.search(&input.query, DEFAULT_SESSIONS_LIMIT).await?)
        }
        Call::NotificationsList(_) => reply(crate::notifications::list(agent)),
        Call::NotificationsAdd(input) => reply(crate::notifications::add(agent, input)?),
        Call::NotificationsRemove(input) => {
            reply(crate::notifications::remove(agent, &input.name)?)
        }
        Call::NotificationsPushKey(_) => reply(crate::notifications::push_key(agent)?),
        Call::NotificationsTest(input) => {
            reply(crate::notifications::test(agent, &input.name).await?)
        }
        Call::AgentInfoCall(_) => reply(agent_info(agent).await),
        Call::AgentKill(_) => {
            tracing::info!("agent.kill called: shutting down");
            agent.shutdown.notify_one();
            Ok(Bytes::from_static(UNDEFINED_OUTPUT))
        }
        Call::ConfigGet(_) => reply(agent.public_config()),
        Call::SettingsGet(_) => reply(crate::settings::get(agent)?),
        Call::SettingsSetEnv(input) => reply(crate::settings::set_env(agent, input)?),
        Call::SettingsUnsetEnv(input) => reply(crate::settings::unset_env(agent, input)?),
        Call::SettingsSetFile(input) => reply(crate::settings::set_file(agent, input)?),
        Call::SettingsUnsetFile(input) => reply(crate::settings::unset_file(agent, &input.host)?),
        Call::SettingsSetAccount(input) => reply(crate::settings::set_account(agent, input)?),
        Call::SettingsUnsetAccount(input) => reply(crate::settings::unset_account(agent, input)?),
        Call::SettingsSetScript(input) => reply(crate::settings::set_script(agent, input)?),
        Call::SettingsUnsetScript(input) => reply(crate::settings::unset_named(
            agent,
            "scripts",
            &input.name,
            "post-start script",
        )?),
        Call::SettingsSetMcpServer(input) => reply(crate::settings::set_mcp_server(agent, input)?),
        Call::SettingsUnsetMcpServer(input) => reply(crate::settings::unset_named(
            agent,
            "mcpServers",
            &input.name,
            "MCP server",
        )?),
        Call::SettingsSetSkill(input) => reply(crate::settings::set_skill(agent, input)?),
        Call::SettingsUnsetSkill(input) => reply(crate::settings::unset_named(
            agent,
            "skills",
            &input.name,
            "skill",
        )?),
        Call::SettingsSetSshKey(input) => reply(crate::settings::set_ssh_key(agent, input)?),
        Call::SettingsUnsetSshKey(input) => reply(crate::settings::unset_ssh_key(agent, input)?),
        Call::SettingsSshKeys(_) => reply(crate::settings::host_ssh_keys(agent)),
        Call::SettingsToken(_) => reply(crate::settings::token(agent)),
        Call::SettingsRotateToken(_) => reply(crate::settings::rotate_token(agent)?),
        Call::PeersList(_) => reply(crate::peers::list(agent)),
        Call::PeersAdd(input) => reply(crate::peers::add(agent, input).await?),
        Call::PeersRemove(input) => reply(crate::peers::remove(agent, &input.name)?),
    }
}

/// How long `agent.info` waits for the engine: a client checking health must hear back even
/// when the engine hangs (it then says so by what is absent).
const INFO_ENGINE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

async fn agent_info(agent: &Agent) -> AgentInfo {
    let (engine_version, capacity) = tokio::join!(
        tokio::time::timeout(INFO_ENGINE_PATIENCE, agent.engine.version()),
        tokio::time::timeout(INFO_ENGINE_PATIENCE, agent.workspaces.capacity()),
    );
    let engine_version = engine_version.ok().and_then(Result::ok);
    let kind = agent.engine.kind();
    AgentInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        hostname: crate::host_name(),
        uptime: agent.started.elapsed().as_secs_f64(),
        workspaces_count: u32::try_from(agent.workspaces.count()).unwrap_or(u32::MAX),
        // Kept for clients from before `engine`.
        docker_version: engine_version.clone().filter(|_| kind == "docker"),
        dind_mode: agent.workspaces.dind_mode(),
        engine: Some(perry_api::EngineInfo {
            kind: kind.to_owned(),
            version: engine_version,
            location: agent.engine.location(),
        }),
        capacity: capacity.ok().and_then(Result::ok),
    }
}
