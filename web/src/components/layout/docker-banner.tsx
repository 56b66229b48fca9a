import { TriangleAlert } from 'lucide-react';

import { useWorkspaces } from '@/features/workspaces/api';
import { errorCode, errorMessage } from '@perry/client';

/**
 * Docker being down makes every workspace action fail; say so once, on every page, instead of
 * letting each button find out.
 */
export function DockerBanner() {
  const { error } = useWorkspaces();
  if (errorCode(error) !== 'SERVICE_UNAVAILABLE') return null;
  return (
    <div role="alert" className="flex items-start gap-2 border-b border-warning/40 bg-warning/10 px-4 py-2.5 text-sm md:px-6">
      <TriangleAlert className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
      <p>
        <span className="font-medium">Docker is not available.</span>{' '}
        <span className="text-muted-foreground">{errorMessage(error)}</span>
      </p>
    </div>
  );
}
