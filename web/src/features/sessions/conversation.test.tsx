import type { Message } from '@perry/client';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { Conversation, formatMessageTime } from './conversation';

const MESSAGES: Message[] = [
  { id: 'u1', role: 'user', text: 'Fix the footer links', toolCalls: [], timestamp: '2026-11-26T08:00:00.000Z' },
  {
    id: 'a1',
    role: 'assistant',
    text: 'Looking at footer.html.',
    toolCalls: [
      { name: 'Bash', summary: 'grep -n href footer.html' },
      { name: 'Read', summary: '' },
    ],
    timestamp: '2026-11-26T08:00:04.000Z',
  },
  { id: 't1', role: 'tool', text: '12: <a href="/about">About</a>', toolCalls: [], timestamp: '2026-11-26T08:00:05.000Z' },
  { id: 's1', role: 'system', text: 'Conversation compacted', toolCalls: [], timestamp: '' },
];

function renderConversation(props: Partial<Parameters<typeof Conversation>[0]> = {}) {
  const onLoadOlder = vi.fn();
  render(<Conversation messages={MESSAGES} agent="claude-code" hasOlder={false} loadingOlder={false} onLoadOlder={onLoadOlder} {...props} />);
  return { onLoadOlder };
}

describe('Conversation', () => {
  it('shows each role in its own style, oldest first', () => {
    renderConversation();
    const log = screen.getByRole('log', { name: 'Conversation' });
    const articles = within(log).getAllByRole('article');
    expect(articles.map((a) => a.getAttribute('data-role'))).toEqual(['user', 'assistant', 'tool', 'system']);
    expect(articles.map((a) => a.getAttribute('aria-label'))).toEqual(['User message', 'Assistant message', 'Tool output', 'System message']);
    expect(within(articles[0]!).getByText('Fix the footer links')).toBeInTheDocument();
    expect(within(articles[1]!).getByText('Claude Code', { exact: false })).toBeInTheDocument();
    expect(within(articles[3]!).getByText('Conversation compacted')).toBeInTheDocument();
  });

  it('shows tool calls as chips "Name: summary"', () => {
    renderConversation();
    const chips = within(screen.getByRole('article', { name: 'Assistant message' })).getAllByRole('listitem');
    expect(chips.map((chip) => chip.textContent)).toEqual(['Bash: grep -n href footer.html', 'Read']);
    expect(chips[0]).toHaveAttribute('title', 'Bash: grep -n href footer.html');
  });

  it('renders text as plain text, never as HTML', () => {
    const hostile = '<img src=x onerror="alert(1)"> **bold**\nsecond line';
    render(
      <Conversation
        messages={[{ id: 'x', role: 'assistant', text: hostile, toolCalls: [], timestamp: '' }]}
        hasOlder={false}
        loadingOlder={false}
        onLoadOlder={() => undefined}
      />,
    );
    const article = screen.getByRole('article', { name: 'Assistant message' });
    expect(article.querySelector('img')).toBeNull();
    const text = article.querySelector('.whitespace-pre-wrap');
    expect(text?.textContent).toBe(hostile);
    expect(text?.children).toHaveLength(0);
  });

  it('offers older messages while there are some, and asks for them', async () => {
    const { onLoadOlder } = renderConversation({ hasOlder: true });
    expect(screen.queryByText('Start of the conversation')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Load older messages' }));
    expect(onLoadOlder).toHaveBeenCalledTimes(1);
  });

  it('disables the button while loading and says when older messages failed', () => {
    renderConversation({ hasOlder: true, loadingOlder: true, olderError: new Error('worker gone') });
    expect(screen.getByRole('button', { name: 'Load older messages' })).toBeDisabled();
    expect(screen.getByRole('alert')).toHaveTextContent('Could not load older messages: worker gone');
  });

  it('marks the start of the conversation when everything is loaded', () => {
    renderConversation({ hasOlder: false });
    expect(screen.queryByRole('button', { name: 'Load older messages' })).not.toBeInTheDocument();
    expect(screen.getByText('Start of the conversation')).toBeInTheDocument();
  });

  it('folds long tool output', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    render(
      <Conversation messages={[{ id: 't', role: 'tool', text: long, toolCalls: [], timestamp: '' }]} hasOlder={false} loadingOlder={false} onLoadOlder={() => undefined} />,
    );
    expect(screen.queryByText(/line 39/)).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Show all (40 lines)' }));
    expect(screen.getByText(/line 39/)).toBeInTheDocument();
  });

  it('formats times: the clock today, the date on other days', () => {
    const now = Date.parse('2026-11-26T12:00:00');
    expect(formatMessageTime('2026-11-26T08:04:00', now)).toMatch(/08:04|8:04/);
    expect(formatMessageTime('2026-11-20T08:04:00', now)).toMatch(/Nov/);
    expect(formatMessageTime('', now)).toBe('');
  });
});
