import { mcpServerProblems, type McpServer, type McpServerInfo, type McpServerSetInput, type SessionAgent } from '@perry/client';
import { Pencil, Plug, Plus, Trash2, X } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';

import { useSettings, useSettingsChange } from './api';
import { formatCommandLine, parseCommandLine } from './command-line';
import { AddEntry, AgentsField, agentsText, EditableList, FormProblem, SectionCard, SettingsLoaded, Toggle } from './components';
import { formErrors } from './form-errors';

/** MCP servers, written into Claude Code's, Codex's and OpenCode's own configurations. */
export function McpSection() {
  const settings = useSettings();
  return (
    <SectionCard
      icon={Plug}
      title="MCP servers"
      description="Tools the coding agents use: a program they start, or a server they reach at a URL. Written into each coding agent’s own configuration beside your entries there; one turned off is taken out again. Environment values are write-only."
    >
      <SettingsLoaded settings={settings}>
        {(data) => (
          <EditableList
            label="MCP servers"
            items={data.mcpServers}
            nameOf={(server) => server.name}
            dataName="mcp"
            row={(server, { onEdit }) => <McpRow server={server} onEdit={onEdit} />}
            form={(server, onDone) => <McpForm initial={server} onDone={onDone} />}
          />
        )}
      </SettingsLoaded>
      <AddEntry heading="Add an MCP server">
        <McpForm />
      </AddEntry>
    </SectionCard>
  );
}

function McpRow({ server, onEdit }: { server: McpServerInfo; onEdit: () => void }) {
  const remove = useSettingsChange((client, name: string) => client.settings.unsetMcpServer({ name }), { errorTitle: `Could not remove ${server.name}` });
  return (
    <li className="grid gap-1 rounded-md border px-3 py-2 text-sm" data-mcp={server.name}>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        <span className="font-mono font-medium">{server.name}</span>
        <Badge variant="muted">{server.url ? (server.sse ? 'URL · SSE' : 'URL') : 'Command'}</Badge>
        {!server.enabled && <Badge variant="warning">Off</Badge>}
        <div className="ml-auto flex shrink-0 items-center gap-0.5">
          <Button variant="ghost" size="icon-sm" aria-label={`Edit ${server.name}`} onClick={onEdit}>
            <Pencil />
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove ${server.name}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(server.name)}
          >
            {remove.isPending ? <Spinner /> : <Trash2 />}
          </Button>
        </div>
      </div>
      <code className="block font-mono text-xs break-all text-muted-foreground">{server.url ?? formatCommandLine(server.command ?? [])}</code>
      <p className="text-xs text-muted-foreground">
        For {agentsText(server.agents)}
        {server.envNames.length > 0 && (
          <>
            {' · environment '}
            <span className="font-mono">{server.envNames.join(', ')}</span>
          </>
        )}
      </p>
    </li>
  );
}

type Kind = 'command' | 'url';
interface EnvRow {
  id: number;
  name: string;
  value: string;
}

function McpForm({ initial, onDone }: { initial?: McpServerInfo; onDone?: () => void }) {
  const [name, setName] = useState(initial?.name ?? '');
  const [kind, setKind] = useState<Kind>(initial?.url ? 'url' : 'command');
  const [commandLine, setCommandLine] = useState(initial?.command ? formatCommandLine(initial.command) : '');
  const [url, setUrl] = useState(initial?.url ?? '');
  const [sse, setSse] = useState(initial?.sse ?? false);
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [agents, setAgents] = useState<SessionAgent[]>(initial?.agents ?? []);
  // An edited server keeps its environment (values are never sent back) unless it is replaced.
  const [replaceEnv, setReplaceEnv] = useState(initial === undefined || initial.envNames.length === 0);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const save = useSettingsChange((client, input: McpServerSetInput) => client.settings.setMcpServer(input), { handlesErrors: true });
  const ids = { name: useId(), kind: useId(), command: useId(), url: useId() };
  // The agent names the whole `server` for any of its problems: that is the form's line.
  const refused = formErrors(save.error, [] as const);
  const trimmed = name.trim();
  const parsed = parseCommandLine(commandLine);
  const args = 'args' in parsed ? parsed.args : null;
  const envRows = env.filter((row) => row.name.trim() !== '' || row.value !== '');
  const local = mcpServerProblems({
    name: trimmed,
    command: kind === 'command' ? (args ?? []) : null,
    url: kind === 'url' ? url.trim() : null,
    sse,
    env: kind === 'command' ? envRows.map((row) => ({ name: row.name.trim(), value: row.value })) : [],
  });
  const nameError = trimmed ? local.name : null;
  const commandError = commandLine.trim() ? ('error' in parsed ? parsed.error : local.command) : null;
  const urlError = url.trim() ? local.url : null;
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    if (save.isError) save.reset();
  };
  const setRow = (id: number, change: Partial<EnvRow>) => edit(setEnv)(env.map((row) => (row.id === id ? { ...row, ...change } : row)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const server: McpServer = { name: trimmed, enabled, ...(agents.length > 0 ? { agents } : {}) };
    if (kind === 'url') {
      // A server reached at a URL has no environment: drop any it had as a command.
      Object.assign(server, { url: url.trim(), sse, env: {} });
    } else {
      Object.assign(server, { command: args ?? [] });
      if (replaceEnv) server.env = Object.fromEntries(envRows.map((row) => [row.name.trim(), row.value]));
    }
    save.mutate(
      { server, ...(initial ? { replace: true } : {}) },
      {
        onSuccess: () => {
          if (initial) {
            onDone?.();
            return;
          }
          setName('');
          setCommandLine('');
          setUrl('');
          setSse(false);
          setEnabled(true);
          setAgents([]);
          setEnv([]);
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label={initial ? `Edit ${initial.name}` : 'Add an MCP server'} className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[14rem_minmax(0,1fr)]">
        <Field id={ids.name} label="Name" error={nameError}>
          <Input
            id={ids.name}
            value={name}
            readOnly={initial !== undefined}
            className={initial ? 'bg-muted/50 font-mono' : 'font-mono'}
            onChange={(event) => edit(setName)(event.target.value)}
            placeholder="memory"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={Boolean(nameError)}
          />
        </Field>
        <fieldset className="grid content-start gap-1.5">
          <legend className="mb-1.5 text-sm font-medium">Reached by</legend>
          <div className="flex h-9 flex-wrap items-center gap-x-4 text-sm">
            <label className="inline-flex items-center gap-1.5">
              <input type="radio" name={ids.kind} checked={kind === 'command'} onChange={() => edit(setKind)('command')} />
              A command it starts
            </label>
            <label className="inline-flex items-center gap-1.5">
              <input type="radio" name={ids.kind} checked={kind === 'url'} onChange={() => edit(setKind)('url')} />A URL
            </label>
          </div>
        </fieldset>
      </div>
      {kind === 'command' ? (
        <>
          <Field id={ids.command} label="Command" error={commandError} hint="The program and its arguments, quoted as in a shell.">
            <Input
              id={ids.command}
              value={commandLine}
              onChange={(event) => edit(setCommandLine)(event.target.value)}
              placeholder="npx -y @modelcontextprotocol/server-memory"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              className="font-mono"
              aria-invalid={Boolean(commandError)}
            />
          </Field>
          <fieldset className="grid gap-2">
            <legend className="mb-1.5 text-sm font-medium">Environment</legend>
            {!replaceEnv && initial ? (
              <div className="flex flex-wrap items-center gap-2 text-sm text-muted-foreground">
                <span>
                  Keeps <span className="font-mono">{initial.envNames.join(', ')}</span> (values hidden).
                </span>
                <Button type="button" variant="outline" size="sm" onClick={() => edit(setReplaceEnv)(true)}>
                  Replace the environment
                </Button>
              </div>
            ) : (
              <>
                {env.map((row) => (
                  <div key={row.id} className="flex flex-wrap items-center gap-2" data-env-row>
                    <Input
                      aria-label="Variable name"
                      value={row.name}
                      onChange={(event) => setRow(row.id, { name: event.target.value })}
                      placeholder="API_KEY"
                      autoComplete="off"
                      autoCapitalize="none"
                      spellCheck={false}
                      className="w-40 font-mono"
                    />
                    <Input
                      aria-label={`Value of ${row.name.trim() || 'the variable'}`}
                      type="password"
                      value={row.value}
                      onChange={(event) => setRow(row.id, { value: event.target.value })}
                      autoComplete="new-password"
                      className="min-w-0 flex-1 basis-40"
                    />
                    <Button type="button" variant="ghost" size="icon-sm" aria-label="Remove this variable" onClick={() => edit(setEnv)(env.filter((r) => r.id !== row.id))}>
                      <X />
                    </Button>
                  </div>
                ))}
                <div className="flex flex-wrap items-center gap-2">
                  <Button
                    type="button"
                    variant="outline"
                    size="sm"
                    onClick={() => setEnv([...env, { id: (env.at(-1)?.id ?? 0) + 1, name: '', value: '' }])}
                  >
                    <Plus /> Add variable
                  </Button>
                  {initial && initial.envNames.length > 0 && (
                    <span className="text-xs text-muted-foreground">Saving replaces {initial.envNames.join(', ')} with these.</span>
                  )}
                </div>
                {local.env && (
                  <p role="alert" className="text-xs text-destructive">
                    {local.env}
                  </p>
                )}
              </>
            )}
          </fieldset>
        </>
      ) : (
        <div className="grid gap-2">
          <Field id={ids.url} label="URL" error={urlError} hint="Streamable HTTP, unless the server speaks server-sent events.">
            <Input
              id={ids.url}
              value={url}
              onChange={(event) => edit(setUrl)(event.target.value)}
              placeholder="https://mcp.example.com/mcp"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              className="font-mono"
              aria-invalid={Boolean(urlError)}
            />
          </Field>
          <Toggle checked={sse} onChange={edit(setSse)} label="Server-sent events (SSE)" />
        </div>
      )}
      <div className="flex flex-wrap items-start gap-x-8 gap-y-3">
        <AgentsField value={agents} onChange={edit(setAgents)} />
        <Toggle checked={enabled} onChange={edit(setEnabled)} label="On" />
      </div>
      <FormProblem message={refused?.general} />
      <div className="flex justify-end gap-2">
        {initial && (
          <Button type="button" variant="ghost" onClick={onDone}>
            Cancel
          </Button>
        )}
        <Button type="submit" disabled={save.isPending || !trimmed || (kind === 'command' ? !commandLine.trim() : !url.trim())}>
          {save.isPending && <Spinner />}
          {initial ? 'Save server' : 'Add server'}
        </Button>
      </div>
    </form>
  );
}
