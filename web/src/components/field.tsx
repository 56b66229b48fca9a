import type { ReactNode } from 'react';

import { Label } from '@/components/ui/label';

/** A form field: its label, the control, and what is wrong with it (the agent's words). */
export function Field({ id, label, error, children }: { id: string; label: string; error: string | undefined; children: ReactNode }) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
      {error && (
        <p role="alert" className="text-xs text-destructive">
          {error}
        </p>
      )}
    </div>
  );
}
