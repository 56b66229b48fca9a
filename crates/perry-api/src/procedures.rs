//! The procedures of Perry's oRPC router: one list that the agent routes by and the TypeScript
//! contract is generated from.

/// One procedure: its path under `/rpc/` and its TypeScript input and output types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Procedure {
    /// Path segments joined by `/`, e.g. `workspaces/list` for `client.workspaces.list()`.
    pub path: &'static str,
    pub input: &'static str,
    pub output: &'static str,
}

const fn procedure(path: &'static str, input: &'static str, output: &'static str) -> Procedure {
    Procedure {
        path,
        input,
        output,
    }
}

/// Every procedure the agent serves.
pub const PROCEDURES: &[Procedure] = &[
    procedure("workspaces/list", "void", "Workspace[]"),
    procedure("workspaces/get", "WorkspaceNameInput", "Workspace"),
    procedure("workspaces/create", "CreateWorkspaceInput", "Workspace"),
    procedure("workspaces/delete", "WorkspaceNameInput", "SuccessOutput"),
    procedure("workspaces/start", "WorkspaceNameInput", "Workspace"),
    procedure("workspaces/stop", "WorkspaceNameInput", "Workspace"),
    procedure("workspaces/sync", "WorkspaceNameInput", "SyncOutput"),
    procedure("workspaces/exec", "ExecInput", "ExecOutput"),
    procedure("workspaces/logs", "LogsInput", "LogsOutput"),
    procedure("ports/list", "PortsListInput", "PortForwardStatus[]"),
    procedure("ports/forward", "PortsForwardInput", "PortForwardStatus[]"),
    procedure("ports/remove", "PortsRemoveInput", "PortForwardStatus[]"),
    procedure("terminals/list", "TerminalsListInput", "TerminalInfo[]"),
    procedure("terminals/kill", "TerminalKillInput", "SuccessOutput"),
    procedure("sessions/list", "SessionsListInput", "SessionsPage"),
    procedure("sessions/messages", "SessionMessagesInput", "MessagesPage"),
    procedure(
        "sessions/search",
        "SessionsSearchInput",
        "SessionSearchHit[]",
    ),
    procedure("agent/info", "void", "AgentInfo"),
    procedure("agent/kill", "void", "void"),
    procedure("config/get", "void", "AgentConfig"),
];

/// The `@orpc/contract` contract for TypeScript clients, as source text: `contract` types
/// `createORPCClient(new RPCLink(...))` through `ContractRouterClient<typeof contract>`.
pub fn typescript_contract() -> String {
    let mut groups: Vec<(&str, Vec<&Procedure>)> = Vec::new();
    for procedure in PROCEDURES {
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
