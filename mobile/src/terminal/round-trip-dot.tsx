import { describeLink, linkQuality, type ConnectionStatus, type RoundTrip, type RoundTripQuality } from '@perry/client';
import { useState } from 'react';
import { Pressable, StyleSheet, Text, View, type StyleProp, type ViewStyle } from 'react-native';

import { colors, spacing } from '../ui/theme';

export const DOT_COLOURS: Record<RoundTripQuality, string> = {
  unknown: '#71717a',
  good: colors.success,
  fair: colors.warning,
  poor: colors.danger,
};

/**
 * The terminal's link at a glance: a dot, green under 80 ms, yellow under 250 ms, red from there
 * or while the link stalls, grey while connecting. A tap shows its words (a phone has no hover);
 * screen readers read them.
 */
export function RoundTripDot({
  status,
  roundTrip,
  localEcho,
  style,
}: {
  status: ConnectionStatus;
  roundTrip: RoundTrip | null;
  localEcho: boolean;
  style?: StyleProp<ViewStyle>;
}) {
  const [open, setOpen] = useState(false);
  const quality = linkQuality(status.kind, roundTrip);
  const words = describeLink(status.kind, roundTrip, localEcho);
  return (
    <View style={[styles.box, style]} pointerEvents="box-none">
      {open ? (
        <Text style={styles.words} testID="round-trip-words">
          {words}
        </Text>
      ) : null}
      <Pressable
        accessibilityRole="image"
        accessibilityLabel={words}
        accessibilityValue={{ text: quality }}
        hitSlop={12}
        onPress={() => setOpen((current) => !current)}
        testID="round-trip"
      >
        <View style={[styles.dot, { backgroundColor: DOT_COLOURS[quality] }]} />
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { flexDirection: 'row', alignItems: 'center', gap: spacing(2) },
  dot: { width: 10, height: 10, borderRadius: 5 },
  words: {
    color: colors.text,
    fontSize: 12,
    backgroundColor: 'rgba(20, 26, 34, 0.92)',
    paddingHorizontal: spacing(2),
    paddingVertical: spacing(1),
    borderRadius: 6,
    overflow: 'hidden',
  },
});
