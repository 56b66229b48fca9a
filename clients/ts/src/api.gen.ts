// Generated from crates/perry-api by `make ts-types`. Do not edit by hand.

import { oc, type } from '@orpc/contract';

export type ErrorCode = "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "METHOD_NOT_SUPPORTED" | "TIMEOUT" | "CONFLICT" | "PRECONDITION_FAILED" | "PAYLOAD_TOO_LARGE" | "UNPROCESSABLE_CONTENT" | "TOO_MANY_REQUESTS" | "INTERNAL_SERVER_ERROR" | "NOT_IMPLEMENTED" | "SERVICE_UNAVAILABLE";

export type RpcError = { 
/**
 * True when the procedure declares this error; Perry's typed errors are all defined.
 */
defined: boolean, code: ErrorCode, status: number, 
/**
 * A sentence a person can act on.
 */
message: string, data: unknown, };

export type WorkspaceStatus = "running" | "stopped" | "creating" | "error";

export type WorkspacePorts = { 
/**
 * The host port that forwards to the workspace's sshd.
 */
ssh: number, };

export type Workspace = { name: string, status: WorkspaceStatus, containerId?: string, 
/**
 * Creation time, RFC 3339 in UTC.
 */
created: string, image: string, ports: WorkspacePorts, 
/**
 * Why the workspace is in `error`, when it is.
 */
error?: string, };

export type WorkspaceNameInput = { name: string, };

export type CreateWorkspaceInput = { name: string, 
/**
 * Image to run instead of the agent's configured `imageTag`.
 */
image?: string, };

export type SuccessOutput = { success: boolean, };

export type DindMode = "privileged" | "capabilities";

export type AgentInfo = { version: string, hostname: string, 
/**
 * Seconds since the agent started.
 */
uptime: number, workspacesCount: number, 
/**
 * The Docker Engine's version, absent while Docker does not answer.
 */
dockerVersion?: string, 
/**
 * Absent until the agent has found out (at the first workspace it starts).
 */
dindMode?: DindMode, };

export type PortRange = { start: number, end: number, };

export type AgentConfig = { port: number, workspacePrefix: string, imageTag: string, sshPortRange: PortRange, 
/**
 * The worker host clients were pointed at with `config.setWorker`, if any.
 */
worker?: string, 
/**
 * Whether requests need the bearer token.
 */
authEnabled: boolean, };

export type SetWorkerInput = { worker: string, };

export type SessionInfo = { sessionId: string, title: string, agent: string, messageCount: number, 
/**
 * RFC 3339 time of the last message.
 */
lastActivity: string, };

export type SessionsListInput = { workspaceName: string, };

export type TerminalInfo = { 
/**
 * Pass as `?terminal=<id>` to reattach.
 */
id: string, workspaceName: string, 
/**
 * RFC 3339 time it was opened.
 */
created: string, 
/**
 * How many sockets watch it now.
 */
clients: number, cols: number, rows: number, 
/**
 * Bytes of recent output kept for replay.
 */
bufferedBytes: number, };

export type TerminalsListInput = { workspaceName: string, };

export type TerminalKillInput = { workspaceName: string, id: string, };

export type TerminalControl = { "type": "resize", cols: number, rows: number, } | { "type": "attached", id: string, cols: number, rows: number, replayedBytes: number, 
/**
 * Absolute output offset of the first byte this socket sends; a client that reconnects
 * with `?since=<offset + bytes it got>` receives only what it has not seen.
 */
offset: number, } | { "type": "dropped", bytes: number, };

export const contract = {
  workspaces: {
    list: oc.input(type<void>()).output(type<Workspace[]>()),
    get: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    create: oc.input(type<CreateWorkspaceInput>()).output(type<Workspace>()),
    delete: oc.input(type<WorkspaceNameInput>()).output(type<SuccessOutput>()),
    start: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    stop: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    sync: oc.input(type<WorkspaceNameInput>()).output(type<void>()),
  },
  terminals: {
    list: oc.input(type<TerminalsListInput>()).output(type<TerminalInfo[]>()),
    kill: oc.input(type<TerminalKillInput>()).output(type<SuccessOutput>()),
  },
  sessions: {
    list: oc.input(type<SessionsListInput>()).output(type<SessionInfo[]>()),
    messages: oc.input(type<unknown>()).output(type<unknown[]>()),
  },
  agent: {
    info: oc.input(type<void>()).output(type<AgentInfo>()),
    kill: oc.input(type<void>()).output(type<void>()),
  },
  config: {
    get: oc.input(type<void>()).output(type<AgentConfig>()),
    setWorker: oc.input(type<SetWorkerInput>()).output(type<AgentConfig>()),
  },
};
