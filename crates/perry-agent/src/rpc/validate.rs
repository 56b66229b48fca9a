//! The checks of a call's input that need neither Docker nor state: names, the clone URL,
//! limits, exec's command and user, logs' time, a search query. The services own each check
//! (they are called from here, not copied); what needs the host or other workspaces (limits
//! against the Docker host, forwards against other workspaces' ports) stays in the services.

use perry_api::procedures::Call;

use crate::error::ApiError;
use crate::limits::check_limits;
use crate::workspace::{check_exec_input, clone_target, logs_since, validate_name};

/// Refuses a call whose input no workspace could satisfy, naming the field that is wrong.
pub fn validate(call: &Call) -> Result<(), ApiError> {
    let name = |name: &str| validate_name(name).map_err(|error| error.in_field("name"));
    let workspace_name =
        |name: &str| validate_name(name).map_err(|error| error.in_field("workspaceName"));
    match call {
        Call::WorkspacesList(_)
        | Call::AgentInfoCall(_)
        | Call::AgentKill(_)
        | Call::ConfigGet(_)
        | Call::PeersList(_)
        | Call::NotificationsList(_)
        | Call::NotificationsPushKey(_)
        | Call::WorkspacesSyncAll(_)
        | Call::SettingsGet(_)
        | Call::SettingsToken(_)
        | Call::SettingsSshKeys(_)
        | Call::SettingsRotateToken(_) => Ok(()),
        Call::SettingsSetEnv(_)
        | Call::SettingsUnsetEnv(_)
        | Call::SettingsSetFile(_)
        | Call::SettingsUnsetFile(_)
        | Call::SettingsSetAccount(_)
        | Call::SettingsUnsetAccount(_)
        | Call::SettingsSetScript(_)
        | Call::SettingsUnsetScript(_)
        | Call::SettingsSetMcpServer(_)
        | Call::SettingsUnsetMcpServer(_)
        | Call::SettingsSetSkill(_)
        | Call::SettingsUnsetSkill(_)
        | Call::SettingsSetSshKey(_)
        | Call::SettingsUnsetSshKey(_) => crate::settings::check(call),
        Call::NotificationsAdd(input) => crate::notifications::check_new_channel(input).map(|_| ()),
        Call::NotificationsRemove(input) | Call::NotificationsTest(input) => {
            crate::notifications::check_channel_name(&input.name)
        }
        Call::PeersAdd(input) => crate::peers::check_new_peer(input).map(|_| ()),
        Call::PeersRemove(input) => crate::peers::check_peer_name(&input.name),
        Call::WorkspacesGet(input)
        | Call::WorkspacesDelete(input)
        | Call::WorkspacesStart(input)
        | Call::WorkspacesStop(input)
        | Call::WorkspacesRebuild(input)
        | Call::WorkspacesSync(input) => name(&input.name),
        Call::WorkspacesClone(input) => {
            validate_name(&input.source).map_err(|error| error.in_field("source"))?;
            name(&input.name)
        }
        Call::WorkspacesCreate(input) => {
            name(&input.name)?;
            if let Some(url) = input.clone.as_deref().map(str::trim)
                && !url.is_empty()
            {
                clone_target(url).map_err(|error| error.in_field("clone"))?;
            }
            if let Some(limits) = &input.limits {
                check_limits(limits).map_err(|why| ApiError::InvalidField {
                    field: "limits",
                    message: format!("Invalid limits: {why}"),
                })?;
            }
            Ok(())
        }
        Call::WorkspacesExec(input) => {
            name(&input.name)?;
            check_exec_input(input)
        }
        Call::WorkspacesLogs(input) => {
            name(&input.name)?;
            logs_since(input).map(|_| ())
        }
        Call::PortsList(input) => workspace_name(&input.workspace_name),
        Call::PortsForward(input) => workspace_name(&input.workspace_name),
        Call::PortsRemove(input) => workspace_name(&input.workspace_name),
        Call::TerminalsList(input) => workspace_name(&input.workspace_name),
        Call::TerminalsKill(input) => workspace_name(&input.workspace_name),
        Call::SessionsList(input) => workspace_name(&input.workspace_name),
        Call::SessionsMessages(input) => workspace_name(&input.workspace_name),
        Call::SessionsGet(input) | Call::SessionsDelete(input) => {
            workspace_name(&input.workspace_name)
        }
        Call::SessionsRename(input) => {
            workspace_name(&input.workspace_name)?;
            match &input.name {
                Some(new_name) => {
                    perry_api::sessions::check_session_name(new_name).map_err(|message| {
                        ApiError::InvalidField {
                            field: "name",
                            message,
                        }
                    })
                }
                None => Ok(()),
            }
        }
        Call::SessionsRecent(input) => match input.limit {
            Some(limit) if !(1..=crate::sessions::MAX_RECENT_SESSIONS).contains(&limit) => {
                Err(ApiError::InvalidField {
                    field: "limit",
                    message: format!(
                        "limit is 1 to {} recent sessions",
                        crate::sessions::MAX_RECENT_SESSIONS
                    ),
                })
            }
            _ => Ok(()),
        },
        Call::SessionsSearch(input) => {
            workspace_name(&input.workspace_name)?;
            if input.query.trim().is_empty() {
                return Err(ApiError::InvalidField {
                    field: "query",
                    message: "Give a search query".to_owned(),
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, Method, header};

    use super::super::decode;
    use crate::error::ApiError;

    fn post(path: &str, body: &str) -> Result<perry_api::procedures::Call, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        decode(&Method::POST, path, &headers, body.as_bytes())
    }

    #[test]
    fn unknown_fields_and_wrong_types_fail_validation_with_issues_that_say_where() {
        for (body, path, said) in [
            (
                r#"{"json": {"name": "a", "extra": 1}}"#,
                vec!["extra"],
                "unknown field `extra`",
            ),
            (
                r#"{"json": {"name": 5}}"#,
                vec!["name"],
                "invalid type: integer `5`",
            ),
            (
                r#"{"json": {"name": "a", "limits": {"cpus": "two"}}}"#,
                vec!["limits", "cpus"],
                "invalid type: string \"two\"",
            ),
        ] {
            let rpc = post("workspaces/create", body).unwrap_err().to_rpc();
            assert_eq!(rpc.message, "Input validation failed");
            assert_eq!(rpc.status, 400);
            let issue = &rpc.issues()[0];
            assert_eq!(issue.path, path, "{body}");
            assert!(issue.message.contains(said), "{body}: {issue}");
        }
    }

    #[test]
    fn checks_that_need_no_docker_answer_before_any_work_and_name_the_field() {
        for (path, body, field, expected) in [
            (
                "workspaces/get",
                r#"{"json": {"name": "Bad Name"}}"#,
                "name",
                "name",
            ),
            (
                "ports/list",
                r#"{"json": {"workspaceName": "Bad Name"}}"#,
                "workspaceName",
                "name",
            ),
            (
                "workspaces/create",
                r#"{"json": {"name": "a", "clone": "--upload-pack=x"}}"#,
                "clone",
                "clone",
            ),
            (
                "workspaces/create",
                r#"{"json": {"name": "a", "limits": {"pids": 3}}}"#,
                "limits",
                "pids",
            ),
            (
                "workspaces/exec",
                r#"{"json": {"name": "a", "command": []}}"#,
                "command",
                "command",
            ),
            (
                "workspaces/exec",
                r#"{"json": {"name": "a", "command": ["id"], "user": "a;b"}}"#,
                "user",
                "user",
            ),
            (
                "workspaces/logs",
                r#"{"json": {"name": "a", "since": "yesterday"}}"#,
                "since",
                "since",
            ),
            (
                "sessions/search",
                r#"{"json": {"workspaceName": "a", "query": "  "}}"#,
                "query",
                "search query",
            ),
        ] {
            let error = post(path, body).unwrap_err();
            assert!(
                matches!(&error, ApiError::InvalidField { field: named, .. } if *named == field),
                "{path} {body}: {error:?}"
            );
            assert!(
                error.to_string().contains(expected),
                "{path} {body}: {error}"
            );
            let rpc = error.to_rpc();
            assert_eq!(rpc.status, 400);
            assert_eq!(rpc.issues()[0].path, [field], "{path} {body}");
            assert_eq!(rpc.issues()[0].message, rpc.message);
        }
    }

    #[test]
    fn only_post_with_json_reaches_a_procedure() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(matches!(
            decode(&Method::GET, "workspaces/list", &headers, b""),
            Err(ApiError::MethodNotSupported(_))
        ));
        assert!(matches!(
            decode(&Method::POST, "workspaces/list", &HeaderMap::new(), b""),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            decode(&Method::POST, "workspaces/nope", &headers, b""),
            Err(ApiError::NotFound(_))
        ));
        assert!(decode(&Method::POST, "workspaces/list", &headers, b"").is_ok());
    }
}
