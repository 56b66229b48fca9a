import { describeLink, linkQuality, type ConnectionStatus, type RoundTrip, type RoundTripQuality } from '@perry/client';

import { cn } from '@/lib/utils';

const DOT_COLOUR: Record<RoundTripQuality, string> = {
  unknown: 'bg-zinc-500',
  good: 'bg-emerald-500',
  fair: 'bg-amber-400',
  poor: 'bg-red-500',
};

/**
 * A terminal's link at a glance, in its corner: a dot, green under 80 ms, yellow under 250 ms,
 * red from there or while the link stalls, grey while connecting; its words on hover and for
 * screen readers.
 */
export function RoundTripIndicator({ status, roundTrip, localEcho }: { status: ConnectionStatus; roundTrip: RoundTrip | null; localEcho: boolean }) {
  const quality = linkQuality(status.kind, roundTrip);
  const words = describeLink(status.kind, roundTrip, localEcho);
  return (
    <span
      role="img"
      aria-label={words}
      title={words}
      data-quality={quality}
      className={cn('absolute top-1 right-1 z-10 size-2 rounded-full transition-colors', DOT_COLOUR[quality])}
    />
  );
}
