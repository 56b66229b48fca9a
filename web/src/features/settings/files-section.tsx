import { fileMappingProblems, type FileMapping } from '@perry/client';
import { ArrowRight, FileText, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';

import { useSettings, useSettingsChange } from './api';
import { EditableList, FormProblem, SectionCard, SettingsLoaded } from './components';
import { formErrors } from './form-errors';

/** `credentials.files`: host files and directories copied into every workspace at each sync. */
export function FilesSection() {
  const settings = useSettings();
  return (
    <SectionCard
      icon={FileText}
      title="Files"
      description="Files and directories of this machine (the agent’s) copied into every workspace, under the workspace user’s home: dotfiles, .npmrc, a git config."
    >
      <SettingsLoaded settings={settings}>
        {(data) => <EditableList label="Copied files" items={data.files} nameOf={(file) => file.host} row={(file) => <FileRow file={file} />} />}
      </SettingsLoaded>
      <AddFileForm />
    </SectionCard>
  );
}

function FileRow({ file }: { file: FileMapping }) {
  const remove = useSettingsChange((client, host: string) => client.settings.unsetFile({ host }), { errorTitle: `Could not stop copying ${file.host}` });
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-1 rounded-md border px-3 py-2 font-mono text-sm" data-file={file.host}>
      <span className="min-w-0 break-all">{file.host}</span>
      <ArrowRight className="size-3.5 shrink-0 text-muted-foreground" aria-label="copied to" />
      <span className="min-w-0 break-all text-muted-foreground">{file.workspace}</span>
      <Button
        variant="ghost"
        size="icon-sm"
        className="ml-auto"
        aria-label={`Stop copying ${file.host}`}
        disabled={remove.isPending}
        onClick={() => remove.mutate(file.host)}
      >
        {remove.isPending ? <Spinner /> : <Trash2 />}
      </Button>
    </li>
  );
}

function AddFileForm() {
  const [host, setHost] = useState('');
  const [workspace, setWorkspace] = useState('');
  const save = useSettingsChange((client, input: FileMapping) => client.settings.setFile(input), { handlesErrors: true });
  const ids = { host: useId(), workspace: useId() };
  const refused = formErrors(save.error, ['host', 'workspace'] as const);
  const local = fileMappingProblems(host.trim(), workspace.trim());
  const hostError = refused?.fields.host ?? (host.trim() ? local.host : null);
  const workspaceError = refused?.fields.workspace ?? (workspace.trim() ? local.workspace : null);
  const edit = (set: (text: string) => void) => (text: string) => {
    set(text);
    if (save.isError) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { host: host.trim(), workspace: workspace.trim() },
      {
        onSuccess: () => {
          setHost('');
          setWorkspace('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label="Copy a file into workspaces" className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_minmax(0,1fr)_auto] sm:items-start">
        <Field id={ids.host} label="On this machine" error={hostError} hint="Absolute, or ~/ for the agent user’s home.">
          <Input
            id={ids.host}
            value={host}
            onChange={(event) => {
              edit(setHost)(event.target.value);
              // The same place in the workspace is what people want most often.
              if (workspace === '' || workspace === host) setWorkspace(event.target.value);
            }}
            placeholder="~/.npmrc"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            className="font-mono"
            aria-invalid={Boolean(hostError)}
          />
        </Field>
        <Field id={ids.workspace} label="In the workspace" error={workspaceError} hint="Under ~/ or /home/workspace/.">
          <Input
            id={ids.workspace}
            value={workspace}
            onChange={(event) => edit(setWorkspace)(event.target.value)}
            placeholder="~/.npmrc"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            className="font-mono"
            aria-invalid={Boolean(workspaceError)}
          />
        </Field>
        <Button type="submit" className="sm:mt-[1.375rem]" disabled={save.isPending || !host.trim() || !workspace.trim()}>
          {save.isPending && <Spinner />}
          Copy file
        </Button>
      </div>
      <FormProblem message={refused?.general} />
    </form>
  );
}
