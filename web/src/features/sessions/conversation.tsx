import type { Message, ToolCall } from '@perry/client';
import { ChevronDown, Wrench } from 'lucide-react';
import { useLayoutEffect, useRef, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { errorMessage } from '@perry/client';
import { formatDateTime } from '@/lib/format';
import { cn } from '@/lib/utils';

import { agentName } from './agents';

/** Tool output longer than this is folded; the first lines stay visible. */
const FOLD_CHARS = 600;
const FOLD_LINES = 8;

/** "08:04" today, "26 Nov, 08:04" on another day. */
export function formatMessageTime(iso: string, now: number = Date.now()): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const today = new Date(now);
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', ...(date.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) });
}

export interface ConversationProps {
  /** Oldest first. */
  messages: readonly Message[];
  /** Which tool wrote it, for the assistant's name. */
  agent?: string | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError?: unknown;
  onLoadOlder: () => void;
  /** A message to scroll to and mark (a search hit). */
  highlightId?: string | undefined;
  className?: string;
}

/**
 * The messages of a session in a scrolling column, the newest at the bottom. Loading older
 * messages keeps what is on screen in place; new messages at the end follow only when the reader
 * is at the bottom already.
 */
export function Conversation({ messages, agent, hasOlder, loadingOlder, olderError, onLoadOlder, highlightId, className }: ConversationProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const edges = useRef<{ first: string | undefined; last: string | undefined; count: number }>({ first: undefined, last: undefined, count: 0 });
  const atBottom = useRef(true);
  const fromBottom = useRef<number | null>(null);
  const highlighted = useRef<string | undefined>(undefined);

  const first = messages[0]?.id;
  const last = messages[messages.length - 1]?.id;

  useLayoutEffect(() => {
    const element = scroller.current;
    const previous = edges.current;
    edges.current = { first, last, count: messages.length };
    if (!element || messages.length === 0) return;
    if (highlightId && highlighted.current !== highlightId) {
      const target = element.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(highlightId)}"]`);
      if (target) {
        highlighted.current = highlightId;
        target.scrollIntoView({ block: 'center' });
        return;
      }
    }
    if (previous.count === 0) {
      // First page: start at the newest message.
      element.scrollTop = element.scrollHeight;
    } else if (previous.first !== first && fromBottom.current !== null) {
      // Older messages went in on top: keep the same messages under the reader's eyes.
      element.scrollTop = element.scrollHeight - fromBottom.current;
      fromBottom.current = null;
    } else if (previous.last !== last && atBottom.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [first, last, messages.length, highlightId]);

  const loadOlder = () => {
    const element = scroller.current;
    if (element) fromBottom.current = element.scrollHeight - element.scrollTop;
    onLoadOlder();
  };

  return (
    <div
      ref={scroller}
      className={cn('min-h-0 overflow-y-auto overscroll-contain', className)}
      onScroll={(event) => {
        const element = event.currentTarget;
        atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
      }}
      role="log"
      aria-label="Conversation"
      aria-live="off"
    >
      <div className="mx-auto flex max-w-3xl flex-col gap-3 px-3 py-4 sm:px-5">
        <div className="flex flex-col items-center gap-1">
          {hasOlder ? (
            <Button variant="outline" size="sm" onClick={loadOlder} disabled={loadingOlder}>
              {loadingOlder && <Spinner />}
              Load older messages
            </Button>
          ) : (
            messages.length > 0 && <p className="text-xs text-muted-foreground">Start of the conversation</p>
          )}
          {olderError !== null && olderError !== undefined && (
            <p role="alert" className="text-xs text-destructive">
              Could not load older messages: {errorMessage(olderError)}
            </p>
          )}
        </div>
        {messages.map((message, index) => (
          <MessageBlock key={message.id || `#${index}`} message={message} agent={agent} highlighted={!!highlightId && message.id === highlightId} />
        ))}
      </div>
    </div>
  );
}

const ROLE_LABELS: Record<Message['role'], string> = {
  user: 'User message',
  assistant: 'Assistant message',
  tool: 'Tool output',
  system: 'System message',
};

function MessageBlock({ message, agent, highlighted }: { message: Message; agent?: string | undefined; highlighted: boolean }) {
  const time = formatMessageTime(message.timestamp);
  const stamp = time ? (
    <time dateTime={message.timestamp} title={formatDateTime(message.timestamp)} className="tabular-nums">
      {time}
    </time>
  ) : null;
  const common = {
    'aria-label': ROLE_LABELS[message.role] ?? 'Message',
    'data-role': message.role,
    'data-message-id': message.id,
  };
  const ring = highlighted && 'ring-2 ring-warning/60 ring-offset-2 ring-offset-background';

  switch (message.role) {
    case 'user':
      return (
        <article {...common} className="flex flex-col items-end gap-1 pl-6 sm:pl-16">
          <div className={cn('max-w-full rounded-2xl rounded-br-md bg-primary px-3.5 py-2.5 text-sm text-primary-foreground shadow-xs', ring)}>
            <MessageText text={message.text} />
            <ToolChips calls={message.toolCalls} inverted />
          </div>
          <span className="px-1 text-[11px] text-muted-foreground">You{stamp && <> · {stamp}</>}</span>
        </article>
      );
    case 'assistant':
      return (
        <article {...common} className="flex flex-col items-start gap-1 pr-2 sm:pr-10">
          <div className={cn('grid max-w-full gap-2 rounded-2xl rounded-bl-md border bg-card px-3.5 py-2.5 text-sm shadow-xs', ring)}>
            {message.text && <MessageText text={message.text} />}
            <ToolChips calls={message.toolCalls} />
          </div>
          <span className="px-1 text-[11px] text-muted-foreground">
            {agent ? agentName(agent) : 'Assistant'}
            {stamp && <> · {stamp}</>}
          </span>
        </article>
      );
    case 'tool':
      return (
        <article {...common} className="flex flex-col items-start gap-1 pr-2 sm:pr-10">
          <ToolOutput text={message.text} className={ring || undefined} />
          {message.toolCalls.length > 0 && <ToolChips calls={message.toolCalls} />}
          {stamp && <span className="px-1 text-[11px] text-muted-foreground">Tool output · {stamp}</span>}
        </article>
      );
    default:
      return (
        <article {...common} className={cn('mx-auto flex max-w-[90%] flex-col items-center gap-0.5 rounded-lg border border-dashed px-3 py-2 text-center text-xs text-muted-foreground', ring)}>
          <span className="font-medium tracking-wide uppercase">System</span>
          <MessageText text={message.text} />
          {stamp}
        </article>
      );
  }
}

/** Plain text, line breaks kept: transcripts are never rendered as HTML. */
function MessageText({ text }: { text: string }) {
  if (!text) return null;
  return <div className="break-words whitespace-pre-wrap [overflow-wrap:anywhere]">{text}</div>;
}

function ToolOutput({ text, className }: { text: string; className?: string | undefined }) {
  const lines = text.split('\n');
  const long = text.length > FOLD_CHARS || lines.length > FOLD_LINES;
  const [open, setOpen] = useState(false);
  const shown = long && !open ? lines.slice(0, FOLD_LINES).join('\n').slice(0, FOLD_CHARS) : text;
  return (
    <div className={cn('w-full max-w-full overflow-hidden rounded-lg border bg-muted/50', className)}>
      <pre className="max-h-[28rem] overflow-auto px-3 py-2 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-muted-foreground [overflow-wrap:anywhere]">
        {shown || '(no output)'}
      </pre>
      {long && (
        <button
          type="button"
          aria-expanded={open}
          onClick={() => setOpen((value) => !value)}
          className="flex w-full items-center justify-center gap-1 border-t px-3 py-1 text-xs text-muted-foreground hover:bg-accent hover:text-foreground"
        >
          <ChevronDown className={cn('size-3.5 transition-transform', open && 'rotate-180')} aria-hidden />
          {open ? 'Show less' : `Show all (${lines.length} lines)`}
        </button>
      )}
    </div>
  );
}

/** Tool calls as compact chips: "Bash: grep -n href footer.html". */
export function ToolChips({ calls, inverted = false }: { calls: readonly ToolCall[]; inverted?: boolean }) {
  if (calls.length === 0) return null;
  return (
    <ul className="flex min-w-0 flex-wrap gap-1.5" aria-label="Tool calls">
      {calls.map((call, index) => {
        const label = call.summary ? `${call.name}: ${call.summary}` : call.name;
        return (
          <li
            key={index}
            title={label}
            className={cn(
              'inline-flex max-w-full min-w-0 items-center gap-1 rounded-md border px-1.5 py-0.5 font-mono text-[11px] leading-5',
              inverted ? 'border-primary-foreground/25 bg-primary-foreground/10' : 'bg-muted/60 text-foreground/90',
            )}
          >
            <Wrench className="size-3 shrink-0 opacity-60" aria-hidden />
            <span className="min-w-0 truncate">
              <span className="font-semibold">{call.name}</span>
              {call.summary && <span className="opacity-80">: {call.summary}</span>}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
