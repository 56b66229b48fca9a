//! The procedures of Perry's oRPC router, declared once: each one's path, input type and output
//! type. From this one table come the agent's decoding of a call ([`Call::decode`]), the typed
//! calls of the Rust client ([`Procedure`]) and the `@orpc/contract` contract of the TypeScript
//! clients (`typescript_contract`, feature `ts`, from the Rust types themselves).
//!
//! **Architecture invariant:** a procedure exists when, and only when, it is listed in
//! `procedures!` below. The agent's router matches [`Call`] exhaustively, so a procedure added
//! here without a handler does not compile.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::agent::{AgentConfig, AgentInfo, PeerInfo, PeerNameInput, PeersAddInput};
use crate::error::Issue;
use crate::notifications::{ChannelAddInput, ChannelNameInput, NotificationChannel, PushKey};
use crate::ports::{PortForwardStatus, PortsForwardInput, PortsListInput, PortsRemoveInput};
use crate::sessions::{
    MessagesPage, RecentSession, RecentSessionsInput, SessionGetInput, SessionInfo,
    SessionMessagesInput, SessionRenameInput, SessionSearchHit, SessionsListInput, SessionsPage,
    SessionsSearchInput,
};
use crate::settings::{
    AccountKeyInput, AccountSetInput, EnvNameInput, EnvSetInput, FileHostInput, FileMapping,
    HostSshKey, McpServerSetInput, ScriptSetInput, SettingNameInput, Settings, SkillSetInput,
    SshKeyInput, TokenOutput, WorkspaceSyncResult,
};
use crate::terminal::{TerminalInfo, TerminalKillInput, TerminalsListInput};
use crate::workspace::{
    CloneWorkspaceInput, CreateWorkspaceInput, ExecInput, ExecOutput, LogsInput, LogsOutput,
    SuccessOutput, SyncOutput, Workspace, WorkspaceNameInput,
};

/// One procedure of the router: its path under `/rpc/` and the types of its input and output.
/// Each procedure is a unit struct implementing this, so a client call is typed end to end:
/// `client.call::<WorkspacesCreate>(&input)` returns a [`Workspace`].
pub trait Procedure {
    /// Path segments joined by `/`, e.g. `workspaces/list` for `client.workspaces.list()`.
    const PATH: &'static str;
    type Input: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

/// The input and the output of a procedure that takes or returns nothing (TypeScript `void`).
/// Any input decodes to it, as the router never looked at such inputs; it encodes as `null`,
/// which oRPC reads as `undefined`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Void;

impl Serialize for Void {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Void {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Void, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Void)
    }
}

#[cfg(feature = "ts")]
impl ts_rs::TS for Void {
    type WithoutGenerics = Void;
    type OptionInnerType = Void;

    fn name(_: &ts_rs::Config) -> String {
        "void".to_owned()
    }

    fn inline(config: &ts_rs::Config) -> String {
        Self::name(config)
    }
}

/// `input` as a `T`, or what does not fit and where.
fn decode_input<T: DeserializeOwned>(input: Value) -> Result<T, Issue> {
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        Issue {
            message: error.into_inner().to_string(),
            path,
        }
    })
}

/// One row of the table, for what is generated from it.
#[cfg(feature = "ts")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureTypes {
    pub path: &'static str,
    /// The TypeScript type of the input, as ts-rs names the Rust type.
    pub input: String,
    pub output: String,
}

macro_rules! procedures {
    ($($(#[$doc:meta])* $name:ident = $path:literal : $input:ty => $output:ty;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Procedure for $name {
                const PATH: &'static str = $path;
                type Input = $input;
                type Output = $output;
            }
        )*

        /// A call of one procedure with its decoded input.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Call {
            $($name($input),)*
        }

        /// The path of every procedure, in the table's order.
        pub const PATHS: &[&str] = &[$($path,)*];

        impl Call {
            /// Decodes `input` as the input of the procedure at `path`: `None` when there is no
            /// such procedure, the issue (with where in the input) when it does not fit its type.
            pub fn decode(path: &str, input: Value) -> Option<Result<Call, Issue>> {
                match path {
                    $($path => Some(decode_input(input).map(Call::$name)),)*
                    _ => None,
                }
            }

            /// The path of the procedure this calls.
            pub fn path(&self) -> &'static str {
                match self {
                    $(Call::$name(_) => $path,)*
                }
            }
        }

        /// Every procedure with the TypeScript names of its input and output types.
        #[cfg(feature = "ts")]
        pub fn procedure_types() -> Vec<ProcedureTypes> {
            #[cfg(feature = "ts")]
use ts_rs::TS;
            let config = ts_rs::Config::new();
            vec![$(ProcedureTypes {
                path: $path,
                input: <$input as TS>::name(&config),
                output: <$output as TS>::name(&config),
            },)*]
        }
    };
}

procedures! {
    WorkspacesList = "workspaces/list": Void => Vec<Workspace>;
    WorkspacesGet = "workspaces/get": WorkspaceNameInput => Workspace;
    WorkspacesCreate = "workspaces/create": CreateWorkspaceInput => Workspace;
    WorkspacesDelete = "workspaces/delete": WorkspaceNameInput => SuccessOutput;
    WorkspacesClone = "workspaces/clone": CloneWorkspaceInput => Workspace;
    WorkspacesStart = "workspaces/start": WorkspaceNameInput => Workspace;
    WorkspacesStop = "workspaces/stop": WorkspaceNameInput => Workspace;
    WorkspacesRebuild = "workspaces/rebuild": WorkspaceNameInput => Workspace;
    WorkspacesSync = "workspaces/sync": WorkspaceNameInput => SyncOutput;
    WorkspacesSyncAll = "workspaces/syncAll": Void => Vec<WorkspaceSyncResult>;
    WorkspacesExec = "workspaces/exec": ExecInput => ExecOutput;
    WorkspacesLogs = "workspaces/logs": LogsInput => LogsOutput;
    PortsList = "ports/list": PortsListInput => Vec<PortForwardStatus>;
    PortsForward = "ports/forward": PortsForwardInput => Vec<PortForwardStatus>;
    PortsRemove = "ports/remove": PortsRemoveInput => Vec<PortForwardStatus>;
    TerminalsList = "terminals/list": TerminalsListInput => Vec<TerminalInfo>;
    TerminalsKill = "terminals/kill": TerminalKillInput => SuccessOutput;
    SessionsList = "sessions/list": SessionsListInput => SessionsPage;
    SessionsGet = "sessions/get": SessionGetInput => SessionInfo;
    SessionsRename = "sessions/rename": SessionRenameInput => SessionInfo;
    SessionsDelete = "sessions/delete": SessionGetInput => SuccessOutput;
    SessionsRecent = "sessions/recent": RecentSessionsInput => Vec<RecentSession>;
    SessionsMessages = "sessions/messages": SessionMessagesInput => MessagesPage;
    SessionsSearch = "sessions/search": SessionsSearchInput => Vec<SessionSearchHit>;
    AgentInfoCall = "agent/info": Void => AgentInfo;
    AgentKill = "agent/kill": Void => Void;
    ConfigGet = "config/get": Void => AgentConfig;
    PeersList = "peers/list": Void => Vec<PeerInfo>;
    PeersAdd = "peers/add": PeersAddInput => PeerInfo;
    PeersRemove = "peers/remove": PeerNameInput => Vec<PeerInfo>;
    NotificationsList = "notifications/list": Void => Vec<NotificationChannel>;
    NotificationsAdd = "notifications/add": ChannelAddInput => NotificationChannel;
    NotificationsRemove = "notifications/remove": ChannelNameInput => Vec<NotificationChannel>;
    NotificationsTest = "notifications/test": ChannelNameInput => NotificationChannel;
    NotificationsPushKey = "notifications/pushKey": Void => PushKey;
    SettingsGet = "settings/get": Void => Settings;
    SettingsSetEnv = "settings/setEnv": EnvSetInput => Settings;
    SettingsUnsetEnv = "settings/unsetEnv": EnvNameInput => Settings;
    SettingsSetFile = "settings/setFile": FileMapping => Settings;
    SettingsUnsetFile = "settings/unsetFile": FileHostInput => Settings;
    SettingsSetAccount = "settings/setAccount": AccountSetInput => Settings;
    SettingsUnsetAccount = "settings/unsetAccount": AccountKeyInput => Settings;
    SettingsSetScript = "settings/setScript": ScriptSetInput => Settings;
    SettingsUnsetScript = "settings/unsetScript": SettingNameInput => Settings;
    SettingsSetMcpServer = "settings/setMcpServer": McpServerSetInput => Settings;
    SettingsUnsetMcpServer = "settings/unsetMcpServer": SettingNameInput => Settings;
    SettingsSetSkill = "settings/setSkill": SkillSetInput => Settings;
    SettingsUnsetSkill = "settings/unsetSkill": SettingNameInput => Settings;
    SettingsSetSshKey = "settings/setSshKey": SshKeyInput => Settings;
    SettingsUnsetSshKey = "settings/unsetSshKey": SshKeyInput => Settings;
    SettingsSshKeys = "settings/sshKeys": Void => Vec<HostSshKey>;
    SettingsToken = "settings/token": Void => TokenOutput;
    SettingsRotateToken = "settings/rotateToken": Void => TokenOutput;
}

/// The `@orpc/contract` contract for TypeScript clients, as source text: `contract` types
/// `createORPCClient(new RPCLink(...))` through `ContractRouterClient<typeof contract>`.
#[cfg(feature = "ts")]
pub fn typescript_contract() -> String {
    let procedures = procedure_types();
    let mut groups: Vec<(&str, Vec<&ProcedureTypes>)> = Vec::new();
    for procedure in &procedures {
        let (group, _) = procedure
            .path
            .split_once('/')
            .expect("paths have two segments");
        match groups.iter_mut().find(|(name, _)| *name == group) {
            Some((_, members)) => members.push(procedure),
            None => groups.push((group, vec![procedure])),
        }
    }
    let mut out = String::from("export const contract = {\n");
    for (group, members) in groups {
        out.push_str(&format!("  {group}: {{\n"));
        for procedure in members {
            let (_, name) = procedure
                .path
                .split_once('/')
                .expect("paths have two segments");
            out.push_str(&format!(
                "    {name}: oc.input(type<{}>()).output(type<{}>()),\n",
                procedure.input, procedure.output
            ));
        }
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_path_decodes_to_the_call_of_that_path() {
        for path in PATHS {
            // Not every input decodes from `{}`; the ones that do must land on their own path.
            if let Some(Ok(call)) = Call::decode(path, json!({})) {
                assert_eq!(call.path(), *path);
            }
        }
        assert!(Call::decode("workspaces/nope", json!({})).is_none());
    }

    #[test]
    fn void_inputs_take_anything_and_encode_as_null() {
        assert_eq!(
            Call::decode("workspaces/list", json!({"ignored": 1})).map(Result::ok),
            Some(Some(Call::WorkspacesList(Void)))
        );
        assert_eq!(serde_json::to_value(Void).unwrap(), Value::Null);
    }
}
