import type { SessionInfo } from '@perry/client';
import { CircleAlert, Ellipsis, Pencil, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { toast } from 'sonner';

import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from '@/components/ui/alert-dialog';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuSeparator, DropdownMenuTrigger } from '@/components/ui/dropdown-menu';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/utils';
import { errorMessage, sessionTitle } from '@perry/client';

import { agentName } from './agents';
import { useDeleteSession, useRenameSession } from './api';

/** A session's menu: rename it, or delete its transcript; each in a dialog of its own. */
export function SessionActions({
  workspaceName,
  session,
  onDeleted,
  className,
}: {
  workspaceName: string;
  session: SessionInfo;
  onDeleted?: () => void;
  className?: string;
}) {
  const [dialog, setDialog] = useState<'rename' | 'delete' | null>(null);
  const title = sessionTitle(session);
  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon-sm" aria-label={`More actions for ${title}`} className={cn('relative z-10', className)}>
            <Ellipsis />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-44">
          <DropdownMenuItem onSelect={() => setDialog('rename')}>
            <Pencil />
            Rename…
          </DropdownMenuItem>
          <DropdownMenuSeparator />
          <DropdownMenuItem variant="destructive" onSelect={() => setDialog('delete')}>
            <Trash2 />
            Delete…
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <Dialog open={dialog === 'rename'} onOpenChange={(open) => setDialog(open ? 'rename' : null)}>
        <DialogContent>
          {dialog === 'rename' && <RenameForm workspaceName={workspaceName} session={session} onDone={() => setDialog(null)} />}
        </DialogContent>
      </Dialog>
      <AlertDialog open={dialog === 'delete'} onOpenChange={(open) => setDialog(open ? 'delete' : null)}>
        <AlertDialogContent>
          {dialog === 'delete' && (
            <DeleteForm
              workspaceName={workspaceName}
              session={session}
              onCancel={() => setDialog(null)}
              onDeleted={() => {
                setDialog(null);
                onDeleted?.();
              }}
            />
          )}
        </AlertDialogContent>
      </AlertDialog>
    </>
  );
}

function RenameForm({ workspaceName, session, onDone }: { workspaceName: string; session: SessionInfo; onDone: () => void }) {
  const [name, setName] = useState(session.name ?? '');
  const rename = useRenameSession();
  const inputId = useId();
  const hintId = useId();

  function save(value: string | undefined) {
    if (rename.isPending) return;
    rename.mutate(
      { workspaceName, sessionId: session.sessionId, name: value },
      {
        onSuccess: (renamed) => {
          toast.success(renamed.name ? `Renamed to “${renamed.name}”` : 'Name cleared');
          onDone();
        },
      },
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // An empty name clears it: the tool's title shows again.
    save(name.trim() === '' ? undefined : name);
  }

  return (
    <form onSubmit={submit} className="grid gap-5" aria-busy={rename.isPending}>
      <DialogHeader>
        <DialogTitle>Rename session</DialogTitle>
        <DialogDescription>
          The name shows in place of the title wherever Perry lists the session. The transcript itself is not changed.
        </DialogDescription>
      </DialogHeader>
      <div className="grid gap-2">
        <Label htmlFor={inputId}>Name</Label>
        <Input
          id={inputId}
          value={name}
          autoFocus
          autoComplete="off"
          placeholder={session.title || 'Untitled session'}
          disabled={rename.isPending}
          aria-invalid={rename.isError}
          aria-describedby={hintId}
          onChange={(event) => {
            setName(event.target.value);
            if (rename.isError) rename.reset();
          }}
        />
        <p id={hintId} className="text-sm break-words text-muted-foreground">
          Title from {agentName(session.agent)}: {session.title || 'none'}. Leave the name empty to show the title again.
        </p>
      </div>
      {rename.isError && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not rename the session</AlertTitle>
          <AlertDescription className="break-words">{errorMessage(rename.error)}</AlertDescription>
        </Alert>
      )}
      <DialogFooter>
        {session.name && (
          <Button type="button" variant="ghost" className="sm:mr-auto" disabled={rename.isPending} onClick={() => save(undefined)}>
            Clear name
          </Button>
        )}
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={rename.isPending}>
          {rename.isPending && <Spinner />}
          Save
        </Button>
      </DialogFooter>
    </form>
  );
}

function DeleteForm({
  workspaceName,
  session,
  onCancel,
  onDeleted,
}: {
  workspaceName: string;
  session: SessionInfo;
  onCancel: () => void;
  onDeleted: () => void;
}) {
  const remove = useDeleteSession();
  const title = sessionTitle(session);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (remove.isPending) return;
    remove.mutate(
      { workspaceName, sessionId: session.sessionId, agent: session.agent },
      {
        onSuccess: () => {
          toast.success(`Deleted “${title}”`);
          onDeleted();
        },
      },
    );
  }

  return (
    <form onSubmit={submit} className="grid gap-5">
      <AlertDialogHeader>
        <AlertDialogTitle className="break-words">Delete “{title}”?</AlertDialogTitle>
        <AlertDialogDescription>
          This removes the session&apos;s transcript inside {workspaceName} for good: its {session.messageCount}{' '}
          {session.messageCount === 1 ? 'message is' : 'messages are'} gone, and {agentName(session.agent)} can no longer resume it.
        </AlertDialogDescription>
      </AlertDialogHeader>
      {remove.isError && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription className="break-words">{errorMessage(remove.error)}</AlertDescription>
        </Alert>
      )}
      <AlertDialogFooter>
        <AlertDialogCancel type="button" onClick={onCancel} disabled={remove.isPending}>
          Cancel
        </AlertDialogCancel>
        <Button type="submit" variant="destructive" disabled={remove.isPending}>
          {remove.isPending && <Spinner />}
          Delete session
        </Button>
      </AlertDialogFooter>
    </form>
  );
}
