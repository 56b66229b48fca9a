//! Wire types shared by the Perry agent, the `perry` CLI and the worker.
//!
//! **Architecture invariant:** if a type is serialized onto the wire it lives here, and only
//! here. The TypeScript clients get the same types from `clients/ts/src/api.gen.ts`, generated
//! from these definitions by `typescript_bindings` (feature `ts`, `make ts-types`); a test fails
//! when the checked-in file drifts.
//!
//! # Layout
//! - [`error`]: oRPC error codes and the error body every failed call returns.
//! - [`workspace`]: workspaces and the inputs of the `workspaces.*` procedures.
//! - [`agent`]: `agent.info` and `config.*` types.
//! - [`sessions`]: coding-agent sessions, the `sessions.*` procedures and `/sessions` events.
//! - [`terminal`]: terminals and the control messages of `/terminal/:workspace`.
//! - [`settings`]: what a person manages from any client (`settings.*`): environment, files,
//!   the coding agents' accounts, the token.
//! - [`ports`]: port forwards from the agent's machine into workspaces, the `ports.*` procedures.
//! - [`worker`]: the line protocol between the agent and the perry-worker of a workspace.
//! - [`procedures`]: the router's procedure names, one list for server and clients.

pub mod agent;
pub mod error;
pub mod notifications;
pub mod ports;
pub mod procedures;
pub mod sessions;
pub mod settings;
pub mod terminal;
pub mod worker;
pub mod workspace;

pub use agent::{
    AgentCapacity, AgentConfig, AgentInfo, DindMode, EngineInfo, PeerInfo, PeerNameInput,
    PeersAddInput, PortRange,
};
pub use error::{ErrorCode, ErrorData, Issue, RpcError};
pub use ports::{
    PortForward, PortForwardRequest, PortForwardStatus, PortsForwardInput, PortsListInput,
    PortsRemoveInput,
};
pub use sessions::{SessionInfo, SessionsListInput};
pub use terminal::{TerminalControl, TerminalInfo, TerminalKillInput, TerminalsListInput};
pub use workspace::{
    CloneOutcome, CloneWorkspaceInput, CreateWorkspaceInput, ExecInput, ExecOutput, LogLine,
    LogsInput, LogsOutput, SuccessOutput, SyncItem, SyncOutput, Workspace, WorkspaceLimits,
    WorkspaceNameInput, WorkspacePorts, WorkspaceProgress, WorkspaceStatus,
};

/// The TypeScript declarations of every wire type, in one file's text.
#[cfg(feature = "ts")]
pub fn typescript_bindings() -> String {
    #[cfg(feature = "ts")]
    use ts_rs::TS;
    let cfg = ts_rs::Config::new();
    let mut declarations = vec![
        ErrorCode::decl(&cfg),
        RpcError::decl(&cfg),
        ErrorData::decl(&cfg),
        Issue::decl(&cfg),
        WorkspaceStatus::decl(&cfg),
        PortForward::decl(&cfg),
        WorkspacePorts::decl(&cfg),
        WorkspaceLimits::decl(&cfg),
        Workspace::decl(&cfg),
        CloneOutcome::decl(&cfg),
        WorkspaceProgress::decl(&cfg),
        CloneWorkspaceInput::decl(&cfg),
        SyncItem::decl(&cfg),
        SyncOutput::decl(&cfg),
        WorkspaceNameInput::decl(&cfg),
        CreateWorkspaceInput::decl(&cfg),
        SuccessOutput::decl(&cfg),
        ExecInput::decl(&cfg),
        ExecOutput::decl(&cfg),
        LogsInput::decl(&cfg),
        LogLine::decl(&cfg),
        LogsOutput::decl(&cfg),
        DindMode::decl(&cfg),
        EngineInfo::decl(&cfg),
        AgentCapacity::decl(&cfg),
        AgentInfo::decl(&cfg),
        PortRange::decl(&cfg),
        AgentConfig::decl(&cfg),
        PeerInfo::decl(&cfg),
        PeersAddInput::decl(&cfg),
        PeerNameInput::decl(&cfg),
        TerminalInfo::decl(&cfg),
        TerminalsListInput::decl(&cfg),
        TerminalKillInput::decl(&cfg),
        TerminalControl::decl(&cfg),
        PortForwardStatus::decl(&cfg),
        PortForwardRequest::decl(&cfg),
        PortsListInput::decl(&cfg),
        PortsForwardInput::decl(&cfg),
        PortsRemoveInput::decl(&cfg),
    ];
    declarations.extend(sessions::typescript_declarations(&cfg));
    declarations.extend(notifications::typescript_declarations(&cfg));
    declarations.extend(settings::typescript_declarations(&cfg));
    let mut out = String::from(
        "// Generated from crates/perry-api by `make ts-types`. Do not edit by hand.\n\n\
         import { oc, type } from '@orpc/contract';\n\n",
    );
    for declaration in declarations {
        out.push_str("export ");
        out.push_str(&declaration);
        out.push_str("\n\n");
    }
    out.push_str(&procedures::typescript_contract());
    out
}
