import { DEFAULT_LOCAL_ECHO, isEchoThreshold, LOCAL_ECHO_MODES, MAX_ECHO_THRESHOLD_MS, type LocalEchoSettings } from '@perry/client';
import { useState } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { useEchoSettings } from '../terminal/echo-settings';
import { Field } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { Section } from './sections';

/**
 * This phone's terminals on a slow link: whether typing shows at once, before the shell's echo
 * comes back (local echo). Kept on the phone for every agent, not in the agent.
 */
export function TerminalSection() {
  const { settings, loaded, save } = useEchoSettings();
  // The field's text while it is edited; null shows the saved value.
  const [thresholdText, setThresholdText] = useState<string | null>(null);
  const text = thresholdText ?? String(settings.thresholdMs);
  const valid = text.trim() !== '' && isEchoThreshold(Number(text));
  const change = (next: Partial<LocalEchoSettings>) => void save({ ...settings, ...next });

  return (
    <Section
      title="Terminal on this phone"
      hint="Over a slow link, what you type shows at once, underlined until the shell’s echo confirms it, as in mosh. For every agent; kept on this phone."
      testID="terminal-settings"
    >
      <View style={styles.card}>
        <Text style={styles.label}>Show typing before the shell echoes it</Text>
        <View style={styles.choices} accessibilityRole="radiogroup">
          {LOCAL_ECHO_MODES.map(({ mode, label }) => {
            const chosen = settings.mode === mode;
            return (
              <Pressable
                key={mode}
                accessibilityRole="radio"
                accessibilityState={{ checked: chosen, disabled: !loaded }}
                disabled={!loaded}
                onPress={() => change({ mode })}
                style={[styles.choice, chosen && styles.chosen]}
                testID={`local-echo-${mode}`}
              >
                <Text style={[styles.choiceText, chosen && styles.chosenText]}>{label}</Text>
              </Pressable>
            );
          })}
        </View>
        <Field
          label="A slow link: a round trip over (ms)"
          value={text}
          keyboardType="number-pad"
          editable={loaded && settings.mode === 'auto'}
          error={valid ? null : `Whole milliseconds from 0 to ${MAX_ECHO_THRESHOLD_MS}.`}
          onChangeText={(next) => {
            setThresholdText(next);
            if (next.trim() !== '' && isEchoThreshold(Number(next))) change({ thresholdMs: Number(next) });
          }}
          onBlur={() => {
            if (valid) setThresholdText(null);
          }}
          testID="local-echo-threshold"
        />
        <Text style={styles.hint}>
          {settings.mode === 'auto' ? `Default ${DEFAULT_LOCAL_ECHO.thresholdMs} ms.` : 'Used when typing is shown on a slow link.'} The dot in a
          terminal’s corner shows its round trip.
        </Text>
      </View>
    </Section>
  );
}

const styles = StyleSheet.create({
  card: { backgroundColor: colors.surface, borderRadius: 10, padding: spacing(4), gap: spacing(3) },
  label: { color: colors.text, fontSize: 15, fontWeight: '600' },
  choices: { flexDirection: 'row', flexWrap: 'wrap', gap: spacing(2) },
  choice: {
    minHeight: 40,
    paddingHorizontal: spacing(3),
    borderRadius: 8,
    borderWidth: 1,
    borderColor: colors.border,
    justifyContent: 'center',
  },
  chosen: { backgroundColor: colors.accent, borderColor: colors.accent },
  choiceText: { color: colors.text, fontSize: 15 },
  chosenText: { fontWeight: '600' },
  hint: { color: colors.muted, fontSize: 13, lineHeight: 18 },
});
