import type { WorkspaceStatus } from '@perry/client';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { StatusBadge, StatusDot } from './status-badge';

describe('StatusBadge', () => {
  it.each<[WorkspaceStatus, string]>([
    ['running', 'Running'],
    ['stopped', 'Stopped'],
    ['creating', 'Creating'],
    ['error', 'Error'],
    ['unreachable', 'Unreachable'],
  ])('shows %s as "%s"', (status, label) => {
    const { container } = render(<StatusBadge status={status} />);
    expect(screen.getByText(label)).toBeInTheDocument();
    expect(container.querySelector('[data-status]')).toHaveAttribute('data-status', status);
  });

  it('shows a spinner only while creating', () => {
    const { container, rerender } = render(<StatusBadge status="creating" />);
    expect(container.querySelector('.animate-spin')).not.toBeNull();
    rerender(<StatusBadge status="running" />);
    expect(container.querySelector('.animate-spin')).toBeNull();
  });

  it('carries the error reason as its title', () => {
    render(<StatusBadge status="error" title="container removed outside Perry" />);
    expect(screen.getByText('Error').closest('[data-status]')).toHaveAttribute('title', 'container removed outside Perry');
  });

  it('colours differ per status', () => {
    const classes = (['running', 'stopped', 'creating', 'error', 'unreachable'] as const).map((status) => {
      const { container, unmount } = render(<StatusBadge status={status} />);
      const className = container.querySelector('[data-status]')?.className ?? '';
      unmount();
      return className;
    });
    expect(new Set(classes).size).toBe(5);
  });
});

describe('StatusDot', () => {
  it('names the status for screen readers', () => {
    render(<StatusDot status="stopped" />);
    expect(screen.getByText('Stopped')).toHaveClass('sr-only');
  });
});
