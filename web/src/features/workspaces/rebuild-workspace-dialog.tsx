import type { Workspace } from '@perry/client';
import { rebuildConfirmation } from '@perry/client';
import { Hammer } from 'lucide-react';

import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from '@/components/ui/alert-dialog';

import { useRebuildWorkspace } from './api';

/**
 * Asks before a rebuild: the container is made again (minutes, terminals closed), the home and
 * the Docker data are kept. Once confirmed the dialog closes; the page shows the build's progress
 * and a toast its outcome.
 */
export function RebuildWorkspaceDialog({
  workspace,
  open,
  onOpenChange,
}: {
  workspace: Workspace;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const rebuild = useRebuildWorkspace();
  const confirmation = rebuildConfirmation(workspace);
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>{confirmation.title}</AlertDialogTitle>
          <AlertDialogDescription>{confirmation.message}</AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          <AlertDialogAction onClick={() => rebuild.mutate(workspace.name)}>
            <Hammer />
            {confirmation.confirm}
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
