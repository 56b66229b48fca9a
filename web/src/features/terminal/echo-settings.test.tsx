import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { memoryStorage } from '@/test/memory-storage';

import { keepEchoOverride, readForcedEchoSettings, readSavedEchoSettings, saveEchoSettings, useEchoSettings } from './echo-settings';

describe('local echo settings', () => {
  it('default to auto over 30 ms', () => {
    expect(readSavedEchoSettings(memoryStorage())).toEqual({ mode: 'auto', thresholdMs: 30 });
  });

  it('are kept in localStorage under perry.localEcho, field by field', () => {
    const storage = memoryStorage();
    saveEchoSettings({ mode: 'always', thresholdMs: 80 }, storage);
    expect(JSON.parse(storage.getItem('perry.localEcho')!)).toEqual({ mode: 'always', thresholdMs: 80 });
    expect(readSavedEchoSettings(storage)).toEqual({ mode: 'always', thresholdMs: 80 });
    // A hand edit: what is wrong falls back to the default, what is right stays.
    expect(readSavedEchoSettings(memoryStorage({ 'perry.localEcho': '{"mode":"sometimes","thresholdMs":50}' }))).toEqual({ mode: 'auto', thresholdMs: 50 });
    expect(readSavedEchoSettings(memoryStorage({ 'perry.localEcho': '{"mode":"off","thresholdMs":-1}' }))).toEqual({ mode: 'off', thresholdMs: 30 });
    expect(readSavedEchoSettings(memoryStorage({ 'perry.localEcho': 'not json' }))).toEqual({ mode: 'auto', thresholdMs: 30 });
  });

  it('can be forced for a tab by the address, over what is saved', () => {
    const storage = memoryStorage({ 'perry.localEcho': '{"mode":"off","thresholdMs":100}' });
    const session = memoryStorage();
    expect(keepEchoOverride('?token=x', session)).toBe(false);
    expect(readForcedEchoSettings(storage, session)).toBeNull();
    expect(keepEchoOverride('?localEcho=always', session)).toBe(true);
    expect(readForcedEchoSettings(storage, session)).toEqual({ mode: 'always', thresholdMs: 100 });
    expect(keepEchoOverride('?localEcho=auto&localEchoThresholdMs=0', session)).toBe(true);
    expect(readForcedEchoSettings(storage, session)).toEqual({ mode: 'auto', thresholdMs: 0 });
  });

  it('ignores a forced mode or threshold it does not know', () => {
    const session = memoryStorage();
    expect(keepEchoOverride('?localEcho=maybe&localEchoThresholdMs=abc', session)).toBe(false);
    expect(keepEchoOverride('?localEchoThresholdMs=', session)).toBe(false);
    expect(session.getItem('perry.localEcho.override')).toBeNull();
  });

  it('tell the terminals at once when they change', () => {
    function Probe() {
      const settings = useEchoSettings();
      return <span data-testid="probe">{`${settings.mode} ${settings.thresholdMs}`}</span>;
    }
    render(<Probe />);
    expect(screen.getByTestId('probe')).toHaveTextContent('auto 30');
    act(() => saveEchoSettings({ mode: 'off', thresholdMs: 30 }));
    expect(screen.getByTestId('probe')).toHaveTextContent('off 30');
    act(() => void keepEchoOverride('?localEcho=always'));
    expect(screen.getByTestId('probe')).toHaveTextContent('always 30');
  });
});
