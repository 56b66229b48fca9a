// Generated from crates/perry-api by `make ts-types`. Do not edit by hand.

import { oc, type } from '@orpc/contract';

export type ErrorCode = "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "METHOD_NOT_SUPPORTED" | "TIMEOUT" | "CONFLICT" | "PRECONDITION_FAILED" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "UNPROCESSABLE_CONTENT" | "TOO_MANY_REQUESTS" | "INTERNAL_SERVER_ERROR" | "NOT_IMPLEMENTED" | "BAD_GATEWAY" | "SERVICE_UNAVAILABLE" | "GATEWAY_TIMEOUT";

export type RpcError = { 
/**
 * True when the procedure declares this error; Perry's typed errors are all defined.
 */
defined: boolean, code: ErrorCode, status: number, 
/**
 * A sentence a person can act on.
 */
message: string, 
/**
 * What a program can act on, when the error is about a workspace or a field of the input.
 */
data: ErrorData | null, };

export type ErrorData = { 
/**
 * The workspace the error is about (e.g. the one that does not exist).
 */
workspace?: string, 
/**
 * What is wrong with the input, field by field, in the shape oRPC's own validation uses.
 */
issues?: Array<Issue>, };

export type Issue = { message: string, 
/**
 * Where in the input, e.g. `["limits", "cpus"]`; empty for the input as a whole.
 */
path: Array<string>, };

export type WorkspaceStatus = "running" | "stopped" | "creating" | "error" | "unreachable";

export type PortForward = { hostPort: number, workspacePort: number, };

export type WorkspacePorts = { 
/**
 * The host port that forwards to the workspace's sshd.
 */
ssh: number, 
/**
 * Host ports the agent forwards into the workspace (`ports.*`), by host port.
 */
forwards?: Array<PortForward>, 
/**
 * What the workspace's ports are, by workspace port: the labels of its devcontainer.json's
 * `portsAttributes`.
 */
labels?: { [key in number]: string }, };

export type WorkspaceLimits = { 
/**
 * CPU time as a number of CPUs, e.g. 1.5 (Docker's `--cpus`).
 */
cpus?: number, 
/**
 * Memory in MiB; swap cannot add to it (Docker's `--memory` with `--memory-swap` equal).
 */
memoryMb?: number, 
/**
 * Processes and threads alive at once (Docker's `--pids-limit`): a fork bomb stops here.
 */
pids?: number, };

export type Workspace = { name: string, status: WorkspaceStatus, containerId?: string, 
/**
 * Creation time, RFC 3339 in UTC.
 */
created: string, image: string, ports: WorkspacePorts, 
/**
 * Why the workspace is in `error`, when it is.
 */
error?: string, 
/**
 * The repository cloned when the workspace was created, if one was asked for.
 */
clone?: CloneOutcome, 
/**
 * The limits its container runs with (absent fields: none); absent for workspaces made
 * before Perry had limits.
 */
limits?: WorkspaceLimits, 
/**
 * What became of the post-start scripts at its last start (a failed one is a warning: the
 * workspace runs).
 */
postStart?: Array<ScriptRun>, 
/**
 * RFC 3339: when a client last opened a terminal or a session in it; absent until one has.
 */
lastUsed?: string, 
/**
 * What a create or clone under way is doing now; absent otherwise.
 */
progress?: WorkspaceProgress, 
/**
 * The devcontainer.json it was built from (its path in the cloned repository, e.g.
 * `.devcontainer/devcontainer.json`); absent for a workspace of the agent's image.
 */
devcontainer?: string, };

export type CloneOutcome = { url: string, 
/**
 * Where the repository is (or would have been) in the workspace.
 */
path: string, 
/**
 * git's own message when the clone failed; the workspace is usable either way.
 */
error?: string, };

export type WorkspaceProgress = { step: string, 
/**
 * How far the step is, 0–100, when that can be told.
 */
percent?: number, };

export type CloneWorkspaceInput = { source: string, name: string, };

export type SyncItem = { what: string, 
/**
 * Why it could not be copied; absent when it was.
 */
error?: string, };

export type SyncOutput = { items: Array<SyncItem>, };

export type WorkspaceNameInput = { name: string, };

export type CreateWorkspaceInput = { name: string, 
/**
 * Image to run instead of the agent's configured `imageTag`.
 */
image?: string, 
/**
 * A git URL cloned once into /home/workspace/<repo> as user `workspace`, with the synced
 * credentials. A failed clone leaves the workspace running and says why in `clone.error`.
 */
clone?: string, 
/**
 * Limits instead of the agent's defaults (`limits` in config.json), field by field.
 */
limits?: WorkspaceLimits, 
/**
 * Which devcontainer.json of the cloned repository to build from: the name of a folder
 * `.devcontainer/<name>/`. Absent: `.devcontainer/devcontainer.json` or
 * `.devcontainer.json` when the repository has one. Not used with `image`.
 */
devcontainer?: string, };

export type SuccessOutput = { success: boolean, };

export type ExecInput = { name: string, 
/**
 * The program and its arguments (no shell: use `["bash", "-lc", "…"]` for one).
 */
command: Array<string>, 
/**
 * Seconds before the command is killed and the call answers TIMEOUT (default 60, at most
 * 3600).
 */
timeoutSeconds?: number, 
/**
 * Run as this user (default `workspace`).
 */
user?: string, 
/**
 * Working directory (default the user's home).
 */
workdir?: string, };

export type ExecOutput = { 
/**
 * A JSON number on the wire (a TypeScript `number`, not a `bigint`).
 */
exitCode: number, stdout: string, stderr: string, 
/**
 * Output past the limit (1 MiB per stream) was dropped.
 */
truncated: boolean, };

export type LogsInput = { name: string, 
/**
 * Only the last this many lines (default 200).
 */
tail?: number, 
/**
 * Only lines after this time (RFC 3339, as returned in `until`): for following.
 */
since?: string, 
/**
 * The log of the workspace's last image build from its devcontainer.json (stream
 * `build`) instead of its container's output.
 */
build?: boolean, };

export type LogLine = { 
/**
 * `stdout` or `stderr`; `build` for a line of an image build.
 */
stream: string, 
/**
 * RFC 3339 with nanoseconds, from Docker.
 */
time: string, text: string, };

export type LogsOutput = { lines: Array<LogLine>, 
/**
 * The time of the last line (or the `since` given): pass it as `since` to get what follows.
 */
until?: string, };

export type DindMode = "privileged" | "capabilities";

export type EngineInfo = { 
/**
 * `docker` or `kubernetes`.
 */
kind: string, 
/**
 * The engine's version, absent while it does not answer.
 */
version?: string, 
/**
 * Where workspaces go: Docker's endpoint, or the cluster's server and namespace.
 */
location: string, };

export type AgentCapacity = { 
/**
 * The CPUs a workspace can have at most (the Docker host's; a cluster's largest node);
 * absent where the agent may not see it (an in-cluster agent without the right to nodes).
 */
cpus?: number, 
/**
 * The memory a workspace can have at most, in MiB; absent likewise.
 */
memoryTotalMb?: number, 
/**
 * Memory the agent's machine has available now (its `MemAvailable`), in MiB; absent where
 * workspaces do not run on the agent's machine (Kubernetes, a remote Docker).
 */
memoryAvailableMb?: number, 
/**
 * The agent's machine's load average over one minute, under the same condition.
 */
load1?: number, 
/**
 * Workspaces running now.
 */
runningWorkspaces: number, 
/**
 * Whether the workspace image is there to start from (on Docker: pulled or built; on
 * Kubernetes: on some node, or pullable).
 */
imagePresent: boolean, };

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
dindMode?: DindMode, 
/**
 * The engine that runs the workspaces (absent from agents before it was added).
 */
engine?: EngineInfo, 
/**
 * What the agent can take on now, for placement across agents (absent from agents before
 * it was added, and while the engine does not answer).
 */
capacity?: AgentCapacity, };

export type PortRange = { start: number, end: number, };

export type AgentConfig = { 
/**
 * The port the agent listens on (`--port`, else config.json's).
 */
port: number, workspacePrefix: string, imageTag: string, sshPortRange: PortRange, 
/**
 * `worker` of config.json, where a person noted the host clients should use, if any.
 */
worker?: string, 
/**
 * Whether requests need the bearer token.
 */
authEnabled: boolean, 
/**
 * The limits a workspace gets where its create names none (absent fields: no limit).
 */
defaultLimits: WorkspaceLimits, };

export type PeerInfo = { name: string, 
/**
 * Its base URL, e.g. `http://closet:7391`; clients reach it through `/peers/<name>/…`.
 */
url: string, };

export type PeersAddInput = { name: string, address: string, 
/**
 * The peer's token, unless the address carries it.
 */
token?: string, };

export type PeerNameInput = { name: string, };

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
offset: number, 
/**
 * The agent answers `ping` and takes `ack` (agents since #22 do). Clients send neither
 * without it: an older agent writes control messages it does not know into the shell.
 */
pings?: boolean, } | { "type": "dropped", bytes: number, } | { "type": "ping", id: number, } | { "type": "pong", id: number, } | { "type": "ack", bytes: number, };

export type PortForwardStatus = { hostPort: number, workspacePort: number, 
/**
 * The agent listens on the host port: true only while the workspace runs.
 */
active: boolean, 
/**
 * Why the host port could not be bound when the workspace started.
 */
error?: string, 
/**
 * What the workspace port is (its devcontainer.json's label for it).
 */
label?: string, };

export type PortForwardRequest = { 
/**
 * The port to listen on (default: the same as `workspacePort`).
 */
hostPort?: number, workspacePort: number, };

export type PortsListInput = { workspaceName: string, };

export type PortsForwardInput = { workspaceName: string, forwards: Array<PortForwardRequest>, };

export type PortsRemoveInput = { workspaceName: string, hostPorts: Array<number>, };

export type SessionAgent = "claude-code" | "opencode" | "codex";

export type SessionState = "working" | "needs_input" | "idle" | "error" | "ended";

export type SessionStatus = { state: SessionState, 
/**
 * RFC 3339: when the session entered this state.
 */
since: string, 
/**
 * What the agent asks or says, where it says it: "Bash: rm -rf node_modules", an error.
 */
detail?: string, };

export type SessionInfo = { sessionId: string, 
/**
 * The tool's own title where it keeps one, else the first user message, on one line.
 */
title: string, agent: "claude-code" | "opencode" | "codex", messageCount: number, 
/**
 * RFC 3339 time of the last message.
 */
lastActivity: string, 
/**
 * The directory the agent worked in; empty when the tool did not record it.
 */
projectPath: string, 
/**
 * Run in a terminal (in `projectPath`) to continue the session, e.g. `claude --resume <id>`;
 * empty when the session's id is not one its agent makes, so no command is offered.
 */
resumeCommand: string, 
/**
 * What the session is doing, as its coding agent last told it (through the hooks Perry
 * installs); absent until it has said anything.
 */
status?: SessionStatus, 
/**
 * The name a person gave it (`sessions.rename`), kept by the agent; clients show it in
 * place of `title`.
 */
name?: string, };

export type MessageRole = "user" | "assistant" | "system" | "tool";

export type ToolCall = { name: string, 
/**
 * At most 80 characters: the command of a shell call, the path of a file tool, …
 */
summary: string, };

export type Message = { id: string, role: "user" | "assistant" | "system" | "tool", text: string, toolCalls: Array<ToolCall>, 
/**
 * RFC 3339; empty when the tool did not record one.
 */
timestamp: string, };

export type SessionsListInput = { workspaceName: string, 
/**
 * Only sessions of this agent.
 */
agent?: "claude-code" | "opencode" | "codex", limit?: number, offset?: number, };

export type SessionsPage = { sessions: Array<SessionInfo>, 
/**
 * Sessions matching the filter, on every page together.
 */
total: number, hasMore: boolean, };

export type SessionMessagesInput = { workspaceName: string, sessionId: string, limit?: number, 
/**
 * Messages to skip, counted from the newest.
 */
offset?: number, };

export type MessagesPage = { messages: Array<Message>, total: number, 
/**
 * Older messages remain before this page.
 */
hasMore: boolean, };

export type SessionsSearchInput = { workspaceName: string, 
/**
 * Matched case-insensitively as a substring of titles and message text.
 */
query: string, };

export type SessionSearchHit = { session: SessionInfo, 
/**
 * The message that matched; absent when the title matched.
 */
messageId?: string, 
/**
 * A short single-line excerpt around the first match.
 */
snippet: string, };

export type SessionEvent = { "type": "snapshot", sessions: Array<SessionInfo>, } | { "type": "added", session: SessionInfo, } | { "type": "updated", session: SessionInfo, } | { "type": "removed", sessionId: string, agent: "claude-code" | "opencode" | "codex", };

export type SessionGetInput = { workspaceName: string, sessionId: string, };

export type SessionRenameInput = { workspaceName: string, sessionId: string, name?: string, };

export type RecentSessionsInput = { 
/**
 * At most this many (default 20, at most 100).
 */
limit?: number, };

export type RecentSession = { workspace: string, session: SessionInfo, 
/**
 * RFC 3339: when a client last opened it (its first page of messages); absent for a
 * session that is here for its own activity only.
 */
openedAt?: string, };

export type WorkspaceSession = { workspace: string, session: SessionInfo, };

export type StatusEvent = { "type": "snapshot", sessions: Array<WorkspaceSession>, } | { "type": "changed", workspace: string, session: SessionInfo, 
/**
 * The state before, if the session had one.
 */
previous?: "working" | "needs_input" | "idle" | "error" | "ended", } | { "type": "gone", workspace: string, sessionId?: string, };

export type ChannelKind = "webhook" | "ntfy" | "gotify" | "webpush";

export type PushKeys = { p256dh: string, auth: string, };

export type PushKey = { publicKey: string, };

export type DeliveryRecord = { 
/**
 * Deliveries tried, and how many of them failed after every retry.
 */
deliveries: number, failures: number, lastSuccess?: string, lastFailure?: string, 
/**
 * Why the last failure failed (the endpoint's status, a timeout, a refused connection).
 */
lastError?: string, };

export type NotificationChannel = { name: string, kind: ChannelKind, url: string, states: Array<"working" | "needs_input" | "idle" | "error" | "ended">, hasSecret: boolean, delivery: DeliveryRecord, };

export type ChannelAddInput = { name: string, kind: ChannelKind, url: string, 
/**
 * The webhook's signing secret, or ntfy's or Gotify's token.
 */
secret?: string, 
/**
 * Which states trigger it; [`DEFAULT_CHANNEL_STATES`] when absent.
 */
states?: Array<"working" | "needs_input" | "idle" | "error" | "ended">, 
/**
 * The subscription's keys: for `webpush`, and only for it.
 */
keys?: PushKeys, };

export type ChannelNameInput = { name: string, };

export type SecretInfo = { name: string, 
/**
 * When the agent last set it (RFC 3339); absent when it was written by hand.
 */
setAt?: string, 
/**
 * The first 8 hex digits of the value's SHA-256: enough to tell two values apart.
 */
fingerprint: string, };

export type FileMapping = { 
/**
 * On the agent's machine: absolute, or `~/…` (the agent user's home).
 */
host: string, 
/**
 * In the workspace: under the workspace user's home, as `~/…` or `/home/workspace/…`.
 */
workspace: string, };

export type AccountKind = "claudeCode" | "codex" | "opencode" | "github";

export type AccountSecret = { account: AccountKind, name: string, 
/**
 * When the agent last set it (RFC 3339); absent when it was written by hand.
 */
setAt?: string, 
/**
 * The first 8 hex digits of the value's SHA-256: enough to tell two values apart.
 */
fingerprint: string, };

export type Settings = { 
/**
 * `credentials.env`: variables for every shell in every workspace.
 */
env: Array<SecretInfo>, 
/**
 * `credentials.files`: host files and directories copied into every workspace.
 */
files: Array<FileMapping>, 
/**
 * The coding agents' and git hosts' keys.
 */
accounts: Array<AccountSecret>, 
/**
 * Post-start scripts, in the order they run.
 */
scripts: Array<PostStartScript>, 
/**
 * MCP servers synced into the coding agents' configurations (env values never shown).
 */
mcpServers: Array<McpServerInfo>, 
/**
 * Skills synced into the coding agents' skill directories.
 */
skills: Array<Skill>, 
/**
 * Which of the host user's SSH keys go into workspaces, and which keys may log in.
 */
ssh: SshSettings, };

export type EnvSetInput = { name: string, value: string, };

export type EnvNameInput = { name: string, };

export type FileHostInput = { host: string, };

export type AccountSetInput = { account: AccountKind, key: string, value: string, };

export type AccountKeyInput = { account: AccountKind, key: string, };

export type TokenOutput = { token: string, };

export type WorkspaceSyncResult = { name: string, items: Array<SyncItem>, 
/**
 * Why the workspace could not be synced at all.
 */
error?: string, };

export type PostStartScript = { name: string, script: string, 
/**
 * Seconds it may run before it is stopped and counted as failed (default 300, at most 3600).
 */
timeoutSeconds?: number, 
/**
 * The workspaces it runs in; every workspace when empty.
 */
workspaces?: Array<string>, };

export type ScriptSetInput = { script: PostStartScript, position?: number, 
/**
 * Change the entry of that name; without it, a name already taken is refused (409).
 */
replace?: boolean, };

export type McpServerSetInput = { server: McpServer, replace?: boolean, };

export type SkillSetInput = { skill: Skill, replace?: boolean, };

export type SettingNameInput = { name: string, };

export type ScriptRun = { name: string, 
/**
 * False while it runs.
 */
finished: boolean, 
/**
 * Its exit code; absent when it could not be run or was stopped at its time limit.
 */
exitCode?: number, 
/**
 * Why it failed, in a sentence (exit code, time limit, could not run).
 */
error?: string, milliseconds: number, };

export type McpServer = { name: string, enabled?: boolean, 
/**
 * Which coding agents get it; all of them when empty.
 */
agents?: Array<SessionAgent>, 
/**
 * The program and its arguments, e.g. `["npx", "-y", "@modelcontextprotocol/server-memory"]`.
 */
command?: Array<string>, 
/**
 * The command's environment; write-only. On `settings.setMcpServer`, absent keeps what
 * the server had.
 */
env?: { [key in string]: string }, url?: string, 
/**
 * Server-sent events rather than streamable HTTP, for a `url`.
 */
sse?: boolean, };

export type McpServerInfo = { name: string, enabled: boolean, agents: Array<SessionAgent>, command?: Array<string>, envNames: Array<string>, url?: string, sse: boolean, };

export type Skill = { 
/**
 * Lower-case letters, digits and hyphens (the SKILL.md `name`).
 */
name: string, 
/**
 * When to use it: what the coding agent matches the task against.
 */
description: string, 
/**
 * The instructions: SKILL.md's body, Markdown.
 */
instructions: string, enabled?: boolean, agents?: Array<SessionAgent>, };

export type SshSettings = { 
/**
 * Private keys of the host user's `~/.ssh` (by file name) copied with their `.pub`.
 */
copy: Array<SshKeyChoice>, 
/**
 * Public keys (authorized_keys lines) that may log in, besides the host user's own.
 */
authorized: Array<SshKeyChoice>, };

export type SshKeyChoice = { 
/**
 * `copy`: a file name in the host user's `~/.ssh` (`id_ed25519`); `authorized`: a public
 * key line (`ssh-ed25519 AAAA… me@laptop`).
 */
key: string, workspaces?: Array<string>, };

export type SshKeyKind = "copy" | "authorized";

export type SshKeyInput = { kind: SshKeyKind, 
/**
 * As [`SshKeyChoice::key`].
 */
key: string, 
/**
 * The workspaces it applies to; every one when empty. (Ignored by `unsetSshKey`.)
 */
workspaces?: Array<string>, };

export type HostSshKey = { 
/**
 * Its file name in `~/.ssh`, without `.pub`.
 */
name: string, 
/**
 * `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
 */
keyType: string, 
/**
 * `SHA256:…`, as `ssh-keygen -l` prints it.
 */
fingerprint: string, comment: string, 
/**
 * Whether the private half is there too (only then can it be copied).
 */
hasPrivate: boolean, };

export const contract = {
  workspaces: {
    list: oc.input(type<void>()).output(type<Array<Workspace>>()),
    get: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    create: oc.input(type<CreateWorkspaceInput>()).output(type<Workspace>()),
    delete: oc.input(type<WorkspaceNameInput>()).output(type<SuccessOutput>()),
    clone: oc.input(type<CloneWorkspaceInput>()).output(type<Workspace>()),
    start: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    stop: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    rebuild: oc.input(type<WorkspaceNameInput>()).output(type<Workspace>()),
    sync: oc.input(type<WorkspaceNameInput>()).output(type<SyncOutput>()),
    syncAll: oc.input(type<void>()).output(type<Array<WorkspaceSyncResult>>()),
    exec: oc.input(type<ExecInput>()).output(type<ExecOutput>()),
    logs: oc.input(type<LogsInput>()).output(type<LogsOutput>()),
  },
  ports: {
    list: oc.input(type<PortsListInput>()).output(type<Array<PortForwardStatus>>()),
    forward: oc.input(type<PortsForwardInput>()).output(type<Array<PortForwardStatus>>()),
    remove: oc.input(type<PortsRemoveInput>()).output(type<Array<PortForwardStatus>>()),
  },
  terminals: {
    list: oc.input(type<TerminalsListInput>()).output(type<Array<TerminalInfo>>()),
    kill: oc.input(type<TerminalKillInput>()).output(type<SuccessOutput>()),
  },
  sessions: {
    list: oc.input(type<SessionsListInput>()).output(type<SessionsPage>()),
    get: oc.input(type<SessionGetInput>()).output(type<SessionInfo>()),
    rename: oc.input(type<SessionRenameInput>()).output(type<SessionInfo>()),
    delete: oc.input(type<SessionGetInput>()).output(type<SuccessOutput>()),
    recent: oc.input(type<RecentSessionsInput>()).output(type<Array<RecentSession>>()),
    messages: oc.input(type<SessionMessagesInput>()).output(type<MessagesPage>()),
    search: oc.input(type<SessionsSearchInput>()).output(type<Array<SessionSearchHit>>()),
  },
  agent: {
    info: oc.input(type<void>()).output(type<AgentInfo>()),
    kill: oc.input(type<void>()).output(type<void>()),
  },
  config: {
    get: oc.input(type<void>()).output(type<AgentConfig>()),
  },
  peers: {
    list: oc.input(type<void>()).output(type<Array<PeerInfo>>()),
    add: oc.input(type<PeersAddInput>()).output(type<PeerInfo>()),
    remove: oc.input(type<PeerNameInput>()).output(type<Array<PeerInfo>>()),
  },
  notifications: {
    list: oc.input(type<void>()).output(type<Array<NotificationChannel>>()),
    add: oc.input(type<ChannelAddInput>()).output(type<NotificationChannel>()),
    remove: oc.input(type<ChannelNameInput>()).output(type<Array<NotificationChannel>>()),
    test: oc.input(type<ChannelNameInput>()).output(type<NotificationChannel>()),
    pushKey: oc.input(type<void>()).output(type<PushKey>()),
  },
  settings: {
    get: oc.input(type<void>()).output(type<Settings>()),
    setEnv: oc.input(type<EnvSetInput>()).output(type<Settings>()),
    unsetEnv: oc.input(type<EnvNameInput>()).output(type<Settings>()),
    setFile: oc.input(type<FileMapping>()).output(type<Settings>()),
    unsetFile: oc.input(type<FileHostInput>()).output(type<Settings>()),
    setAccount: oc.input(type<AccountSetInput>()).output(type<Settings>()),
    unsetAccount: oc.input(type<AccountKeyInput>()).output(type<Settings>()),
    setScript: oc.input(type<ScriptSetInput>()).output(type<Settings>()),
    unsetScript: oc.input(type<SettingNameInput>()).output(type<Settings>()),
    setMcpServer: oc.input(type<McpServerSetInput>()).output(type<Settings>()),
    unsetMcpServer: oc.input(type<SettingNameInput>()).output(type<Settings>()),
    setSkill: oc.input(type<SkillSetInput>()).output(type<Settings>()),
    unsetSkill: oc.input(type<SettingNameInput>()).output(type<Settings>()),
    setSshKey: oc.input(type<SshKeyInput>()).output(type<Settings>()),
    unsetSshKey: oc.input(type<SshKeyInput>()).output(type<Settings>()),
    sshKeys: oc.input(type<void>()).output(type<Array<HostSshKey>>()),
    token: oc.input(type<void>()).output(type<TokenOutput>()),
    rotateToken: oc.input(type<void>()).output(type<TokenOutput>()),
  },
};
