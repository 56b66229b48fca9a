import type { Workspace } from '@perry/client';
import { Copy, Ellipsis, Hammer, Play, Square, SquareTerminal, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';

import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Spinner } from '@/components/ui/spinner';
import { copyText } from '@/lib/clipboard';
import { cn } from '@/lib/utils';

import { useRebuilding, useStartWorkspace, useStopWorkspace, useWorkspaces } from './api';
import { CloneWorkspaceDialog } from './clone-workspace-dialog';
import { DeleteWorkspaceDialog } from './delete-workspace-dialog';
import { RebuildWorkspaceDialog } from './rebuild-workspace-dialog';
import { canRebuild, sshCommand } from '@perry/client';
import { useAgentHost } from '@/features/fleet/api';
import { useWorkspacePath } from '@/lib/api';

/**
 * Start or stop (whichever applies) as a button, the rest in a menu. `compact` hides the button's
 * label on narrow screens; its accessible name stays.
 */
export function WorkspaceActions({
  workspace,
  compact = false,
  showOpen = true,
  onDeleted,
}: {
  workspace: Workspace;
  compact?: boolean;
  showOpen?: boolean;
  onDeleted?: () => void;
}) {
  const start = useStartWorkspace();
  const stop = useStopWorkspace();
  const navigate = useNavigate();
  const toWorkspace = useWorkspacePath();
  const host = useAgentHost();
  const [deleting, setDeleting] = useState(false);
  const [cloning, setCloning] = useState(false);
  const [confirmingRebuild, setConfirmingRebuild] = useState(false);
  const rebuilding = useRebuilding(workspace.name);
  const names = useWorkspaces((workspaces) => workspaces.map((item) => item.name)).data ?? [];
  const busy = start.isPending || stop.isPending;
  const canStop = workspace.status === 'running';
  // Starting an unreachable workspace moves it to a node that answers.
  const canStart = workspace.status === 'stopped' || workspace.status === 'error' || workspace.status === 'unreachable';
  const labelClass = cn(compact && 'sr-only sm:not-sr-only');

  return (
    <div className="flex items-center justify-end gap-1.5">
      {canStop && (
        <Button variant="outline" size="sm" disabled={busy} onClick={() => stop.mutate(workspace.name)} aria-label={`Stop ${workspace.name}`}>
          {stop.isPending ? <Spinner /> : <Square />}
          <span className={labelClass}>Stop</span>
        </Button>
      )}
      {canStart && (
        <Button variant="outline" size="sm" disabled={busy} onClick={() => start.mutate(workspace.name)} aria-label={`Start ${workspace.name}`}>
          {start.isPending ? <Spinner /> : <Play />}
          <span className={labelClass}>Start</span>
        </Button>
      )}
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon-sm" aria-label={`More actions for ${workspace.name}`}>
            <Ellipsis />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-52">
          {showOpen && (
            <DropdownMenuItem onSelect={() => navigate(toWorkspace(workspace.name, 'terminal'))}>
              <SquareTerminal />
              Open terminal
            </DropdownMenuItem>
          )}
          <DropdownMenuItem
            onSelect={async () => {
              if (await copyText(sshCommand(workspace.ports.ssh, host))) toast.success('SSH command copied');
            }}
          >
            <span aria-hidden className="w-4 text-center font-mono text-[10px] text-muted-foreground">ssh</span>
            Copy SSH command
          </DropdownMenuItem>
          <DropdownMenuItem disabled={workspace.status === 'creating'} onSelect={() => setCloning(true)}>
            <Copy />
            Clone…
          </DropdownMenuItem>
          {canRebuild(workspace) && (
            <DropdownMenuItem disabled={workspace.status === 'creating' || rebuilding} onSelect={() => setConfirmingRebuild(true)}>
              <Hammer />
              Rebuild…
            </DropdownMenuItem>
          )}
          <DropdownMenuSeparator />
          <DropdownMenuItem variant="destructive" onSelect={() => setDeleting(true)}>
            <Trash2 />
            Delete…
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <CloneWorkspaceDialog source={workspace} taken={names} open={cloning} onOpenChange={setCloning} />
      {canRebuild(workspace) && <RebuildWorkspaceDialog workspace={workspace} open={confirmingRebuild} onOpenChange={setConfirmingRebuild} />}
      <DeleteWorkspaceDialog
        name={workspace.name}
        open={deleting}
        onOpenChange={setDeleting}
        {...(onDeleted ? { onDeleted } : {})}
      />
    </div>
  );
}
