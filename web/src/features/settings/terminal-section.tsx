import { DEFAULT_LOCAL_ECHO, isEchoThreshold, LOCAL_ECHO_MODES, MAX_ECHO_THRESHOLD_MS, type LocalEchoSettings } from '@perry/client';
import { SquareTerminal } from 'lucide-react';
import { useId, useState } from 'react';

import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { saveEchoSettings, useEchoSettingsState } from '@/features/terminal/echo-settings';

import { SectionCard } from './components';

const modeLabel = (mode: LocalEchoSettings['mode']) => LOCAL_ECHO_MODES.find((option) => option.mode === mode)?.label ?? mode;

/**
 * How this browser's terminals feel on a slow link: whether typing shows at once, before the
 * shell's echo comes back (local echo). Kept in this browser, not in the agent.
 */
export function TerminalSection() {
  const { saved, forced } = useEchoSettingsState();
  const ids = { mode: useId(), threshold: useId() };
  const [thresholdText, setThresholdText] = useState(String(saved.thresholdMs));
  const thresholdValid = thresholdText.trim() !== '' && isEchoThreshold(Number(thresholdText));

  const save = (change: Partial<LocalEchoSettings>) => saveEchoSettings({ ...saved, ...change });

  return (
    <SectionCard icon={SquareTerminal} title="Terminal" description="Kept in this browser, for its terminals on every agent; not in the agent’s config.json.">
      <fieldset className="grid content-start gap-1.5">
        <legend className="mb-1.5 text-sm font-medium">Show typing before the shell echoes it (local echo)</legend>
        <p className="mb-1 text-xs text-muted-foreground">
          Over a slow link what you type appears at once, underlined until the shell’s echo confirms it, as in mosh. The dot in a
          terminal’s corner shows its round trip.
        </p>
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
          {LOCAL_ECHO_MODES.map(({ mode, label }) => (
            <label key={mode} className="inline-flex items-center gap-1.5">
              <input type="radio" name={ids.mode} value={mode} checked={saved.mode === mode} onChange={() => save({ mode })} />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="max-w-64">
        <Field
          id={ids.threshold}
          label="A slow link: a round trip over (ms)"
          error={thresholdValid ? null : `Whole milliseconds from 0 to ${MAX_ECHO_THRESHOLD_MS}.`}
          hint={`Default ${DEFAULT_LOCAL_ECHO.thresholdMs} ms.`}
        >
          <Input
            id={ids.threshold}
            type="number"
            inputMode="numeric"
            min={0}
            max={MAX_ECHO_THRESHOLD_MS}
            step={1}
            value={thresholdText}
            disabled={saved.mode !== 'auto'}
            aria-invalid={!thresholdValid}
            onChange={(event) => {
              const text = event.target.value;
              setThresholdText(text);
              if (text.trim() !== '' && isEchoThreshold(Number(text))) save({ thresholdMs: Number(text) });
            }}
          />
        </Field>
      </div>
      {forced && (
        <p role="status" className="text-sm text-muted-foreground">
          This tab’s address (<code>?localEcho=</code>) forces local echo to “{modeLabel(forced.mode)}”
          {forced.mode === 'auto' ? ` over ${forced.thresholdMs} ms` : ''} until the tab is closed.
        </p>
      )}
    </SectionCard>
  );
}
