import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { keepEchoOverride } from '@/features/terminal/echo-settings';

import { TerminalSection } from './terminal-section';

const saved = () => JSON.parse(localStorage.getItem('perry.localEcho') ?? 'null') as unknown;

describe('Settings → Terminal', () => {
  it('offers local echo on a slow link (the default), always or never, kept in this browser', async () => {
    render(<TerminalSection />);
    expect(screen.getByRole('radio', { name: 'On a slow link' })).toBeChecked();
    expect(screen.getByRole('spinbutton', { name: /round trip over/ })).toHaveValue(30);
    await userEvent.click(screen.getByRole('radio', { name: 'Always' }));
    expect(saved()).toEqual({ mode: 'always', thresholdMs: 30 });
    expect(screen.getByRole('radio', { name: 'Always' })).toBeChecked();
    // The threshold means something only on a slow link.
    expect(screen.getByRole('spinbutton', { name: /round trip over/ })).toBeDisabled();
    await userEvent.click(screen.getByRole('radio', { name: 'Never' }));
    expect(saved()).toEqual({ mode: 'off', thresholdMs: 30 });
  });

  it('keeps a threshold it takes, and says what is wrong with one it does not', async () => {
    render(<TerminalSection />);
    const threshold = screen.getByRole('spinbutton', { name: /round trip over/ });
    await userEvent.clear(threshold);
    await userEvent.type(threshold, '120');
    expect(saved()).toEqual({ mode: 'auto', thresholdMs: 120 });
    await userEvent.clear(threshold);
    expect(screen.getByRole('alert')).toHaveTextContent('Whole milliseconds from 0 to 5000.');
    await userEvent.type(threshold, '-5');
    expect(threshold).toHaveAttribute('aria-invalid', 'true');
    expect(saved()).toEqual({ mode: 'auto', thresholdMs: 120 });
  });

  it('says when this tab’s address forces the mode', () => {
    keepEchoOverride('?localEcho=always');
    render(<TerminalSection />);
    expect(screen.getByRole('status')).toHaveTextContent('forces local echo to “Always”');
  });
});
