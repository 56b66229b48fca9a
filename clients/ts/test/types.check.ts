// Type-level checks, compiled by `tsc --noEmit` (see tsconfig.json) and never run: if the
// client's input or output types drift from the generated API types, this file stops compiling.

import {
  createPerryClient,
  type AgentConfig,
  type AgentInfo,
  type PerryClient,
  type SessionInfo,
  type SessionsPage,
  type SuccessOutput,
  type SyncOutput,
  type Workspace,
  type WorkspaceLimits,
  type WorkspaceStatus,
} from '../src/index.ts';

/** `true` only when A and B are the same type (not merely assignable; `any` does not pass). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Output<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
type Input<F extends (...args: never[]) => Promise<unknown>> = Parameters<F>[0];

// Exact output types of every procedure.
export const outputs: [
  Equals<Output<PerryClient['workspaces']['list']>, Workspace[]>,
  Equals<Output<PerryClient['workspaces']['get']>, Workspace>,
  Equals<Output<PerryClient['workspaces']['create']>, Workspace>,
  Equals<Output<PerryClient['workspaces']['delete']>, SuccessOutput>,
  Equals<Output<PerryClient['workspaces']['start']>, Workspace>,
  Equals<Output<PerryClient['workspaces']['stop']>, Workspace>,
  Equals<Output<PerryClient['workspaces']['rebuild']>, Workspace>,
  Equals<Output<PerryClient['workspaces']['sync']>, SyncOutput>,
  Equals<Output<PerryClient['sessions']['list']>, SessionsPage>,
  Equals<Output<PerryClient['agent']['info']>, AgentInfo>,
  Equals<Output<PerryClient['agent']['kill']>, void>,
  Equals<Output<PerryClient['config']['get']>, AgentConfig>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];

// Inputs that are objects stay objects with the generated keys.
export const inputs: [
  Equals<Input<PerryClient['workspaces']['get']>, { name: string }>,
  Equals<
    Input<PerryClient['workspaces']['create']>,
    { name: string; image?: string; clone?: string; limits?: WorkspaceLimits; devcontainer?: string }
  >,
  Equals<Input<PerryClient['sessions']['list']>['workspaceName'], string>,
] = [true, true, true];

/** Never called: only its body's types matter. */
export async function usage(): Promise<void> {
  const client = createPerryClient({ url: 'http://127.0.0.1:7391', token: 't' });

  const list: Workspace[] = await client.workspaces.list();
  const first = list[0];
  if (first) {
    const status: WorkspaceStatus = first.status;
    const ssh: number = first.ports.ssh;
    const containerId: string | undefined = first.containerId;
    void [status, ssh, containerId];
    // @ts-expect-error ports.ssh is a number
    const sshText: string = first.ports.ssh;
    void sshText;
  }

  const one: Workspace = await client.workspaces.get({ name: 'x' });
  void one;
  // @ts-expect-error the input key is `name`
  await client.workspaces.get({ nom: 'x' });
  // @ts-expect-error get needs an input
  await client.workspaces.get();
  // @ts-expect-error names are strings
  await client.workspaces.create({ name: 42 });
  // @ts-expect-error get returns a Workspace, not a list
  const notAList: Workspace[] = await client.workspaces.get({ name: 'x' });
  void notAList;

  const info: AgentInfo = await client.agent.info();
  const uptime: number = info.uptime;
  void uptime;
  // @ts-expect-error the version is a string
  const versionNumber: number = info.version;
  void versionNumber;

  const config: AgentConfig = await client.config.get();
  const authEnabled: boolean = config.authEnabled;
  void authEnabled;
  // @ts-expect-error the config never carries the token
  void config.token;

  const page: SessionsPage = await client.sessions.list({ workspaceName: 'x', agent: 'codex', limit: 10 });
  const sessions: SessionInfo[] = page.sessions;
  void sessions;
  const deleted: SuccessOutput = await client.workspaces.delete({ name: 'x' });
  void deleted;

  // @ts-expect-error there is no such procedure
  await client.workspaces.rename({ name: 'x' });
  // @ts-expect-error the token is a string
  createPerryClient({ url: 'http://127.0.0.1:7391', token: 1 });
  // @ts-expect-error the url is required
  createPerryClient({ token: 't' });
}
