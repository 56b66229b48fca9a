import { skillProblems, type SessionAgent, type Skill, type SkillSetInput } from '@perry/client';
import { Pencil, Sparkles, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { Textarea } from '@/components/ui/textarea';

import { useSettings, useSettingsChange } from './api';
import { AddEntry, AgentsField, agentsText, EditableList, FormProblem, SectionCard, SettingsLoaded, Toggle } from './components';
import { formErrors } from './form-errors';

/** Skills: a SKILL.md for each coding agent that gets it (`~/.claude/skills/<name>/` and the like). */
export function SkillsSection() {
  const settings = useSettings();
  return (
    <SectionCard
      icon={Sparkles}
      title="Skills"
      description="Instructions a coding agent loads when its description matches the task, written as a SKILL.md where each coding agent looks for skills."
    >
      <SettingsLoaded settings={settings}>
        {(data) => (
          <EditableList
            label="Skills"
            items={data.skills}
            nameOf={(skill) => skill.name}
            dataName="skill"
            row={(skill, { onEdit }) => <SkillRow skill={skill} onEdit={onEdit} />}
            form={(skill, onDone) => <SkillForm initial={skill} onDone={onDone} />}
          />
        )}
      </SettingsLoaded>
      <AddEntry heading="Add a skill">
        <SkillForm />
      </AddEntry>
    </SectionCard>
  );
}

function SkillRow({ skill, onEdit }: { skill: Skill; onEdit: () => void }) {
  const remove = useSettingsChange((client, name: string) => client.settings.unsetSkill({ name }), { errorTitle: `Could not remove ${skill.name}` });
  const enabled = skill.enabled ?? true;
  return (
    <li className="grid gap-1 rounded-md border px-3 py-2 text-sm" data-skill={skill.name}>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        <span className="font-mono font-medium">{skill.name}</span>
        {!enabled && <Badge variant="muted">Off</Badge>}
        <div className="ml-auto flex shrink-0 items-center gap-0.5">
          <Button variant="ghost" size="icon-sm" aria-label={`Edit ${skill.name}`} onClick={onEdit}>
            <Pencil />
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove ${skill.name}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(skill.name)}
          >
            {remove.isPending ? <Spinner /> : <Trash2 />}
          </Button>
        </div>
      </div>
      <p className="break-words text-muted-foreground">{skill.description}</p>
      <p className="text-xs text-muted-foreground">For {agentsText(skill.agents ?? [])}</p>
    </li>
  );
}

function SkillForm({ initial, onDone }: { initial?: Skill; onDone?: () => void }) {
  const [name, setName] = useState(initial?.name ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [instructions, setInstructions] = useState(initial?.instructions ?? '');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [agents, setAgents] = useState<SessionAgent[]>(initial?.agents ?? []);
  const save = useSettingsChange((client, input: SkillSetInput) => client.settings.setSkill(input), { handlesErrors: true });
  const ids = { name: useId(), description: useId(), instructions: useId() };
  // The agent names the whole `skill` for any of its problems: that is the form's line.
  const refused = formErrors(save.error, [] as const);
  const trimmed = name.trim();
  const local = skillProblems(trimmed, description, instructions);
  const nameError = trimmed ? local.name : null;
  const descriptionError = description ? local.description : null;
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    if (save.isError) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      {
        skill: { name: trimmed, description: description.trim(), instructions, enabled, ...(agents.length > 0 ? { agents } : {}) },
        ...(initial ? { replace: true } : {}),
      },
      {
        onSuccess: () => {
          if (initial) {
            onDone?.();
            return;
          }
          setName('');
          setDescription('');
          setInstructions('');
          setEnabled(true);
          setAgents([]);
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label={initial ? `Edit ${initial.name}` : 'Add a skill'} className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[14rem_minmax(0,1fr)]">
        <Field id={ids.name} label="Name" error={nameError} hint={initial ? undefined : 'Lower-case letters, digits and hyphens.'}>
          <Input
            id={ids.name}
            value={name}
            readOnly={initial !== undefined}
            className={initial ? 'bg-muted/50 font-mono' : 'font-mono'}
            onChange={(event) => edit(setName)(event.target.value)}
            placeholder="release-notes"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={Boolean(nameError)}
          />
        </Field>
        <Field id={ids.description} label="When to use it" error={descriptionError}>
          <Input
            id={ids.description}
            value={description}
            onChange={(event) => edit(setDescription)(event.target.value)}
            placeholder="Writing release notes from the git log"
            autoComplete="off"
            aria-invalid={Boolean(descriptionError)}
          />
        </Field>
      </div>
      <Field id={ids.instructions} label="Instructions" error={local.instructions} hint="Markdown: the body of the SKILL.md.">
        <Textarea
          id={ids.instructions}
          value={instructions}
          onChange={(event) => edit(setInstructions)(event.target.value)}
          rows={6}
          className="font-mono text-xs md:text-xs"
          aria-invalid={Boolean(local.instructions)}
        />
      </Field>
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
        <Button type="submit" disabled={save.isPending || !trimmed || !description.trim()}>
          {save.isPending && <Spinner />}
          {initial ? 'Save skill' : 'Add skill'}
        </Button>
      </div>
    </form>
  );
}
