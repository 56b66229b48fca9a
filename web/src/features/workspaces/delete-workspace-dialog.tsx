import { CircleAlert } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Alert, AlertDescription } from '@/components/ui/alert';
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
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { errorMessage } from '@perry/client';

import { useDeleteWorkspace } from './api';

/**
 * Deleting removes the container and both volumes (the home directory with it), so the user types
 * the name to confirm, as GitHub does for repositories.
 */
export function DeleteWorkspaceDialog({
  name,
  open,
  onOpenChange,
  onDeleted,
}: {
  name: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDeleted?: () => void;
}) {
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogContent>
        {open && (
          <DeleteForm
            name={name}
            onCancel={() => onOpenChange(false)}
            onDeleted={() => {
              onOpenChange(false);
              onDeleted?.();
            }}
          />
        )}
      </AlertDialogContent>
    </AlertDialog>
  );
}

function DeleteForm({ name, onCancel, onDeleted }: { name: string; onCancel: () => void; onDeleted: () => void }) {
  const [typed, setTyped] = useState('');
  const remove = useDeleteWorkspace();
  const inputId = useId();
  const confirmed = typed === name;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!confirmed || remove.isPending) return;
    remove.mutate(name, { onSuccess: onDeleted });
  }

  return (
    <form onSubmit={submit} className="grid gap-5">
      <AlertDialogHeader>
        <AlertDialogTitle>Delete {name}?</AlertDialogTitle>
        <AlertDialogDescription>
          This removes the container, its home volume and its Docker volume. Files, images and running shells in it are
          gone for good.
        </AlertDialogDescription>
      </AlertDialogHeader>
      <div className="grid gap-2">
        <Label htmlFor={inputId} className="block leading-normal font-normal">
          Type <span className="font-mono font-semibold">{name}</span> to confirm
        </Label>
        <Input
          id={inputId}
          value={typed}
          autoFocus
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          disabled={remove.isPending}
          onChange={(event) => setTyped(event.target.value)}
        />
      </div>
      {remove.isError && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errorMessage(remove.error)}</AlertDescription>
        </Alert>
      )}
      <AlertDialogFooter>
        <AlertDialogCancel type="button" onClick={onCancel} disabled={remove.isPending}>
          Cancel
        </AlertDialogCancel>
        <Button type="submit" variant="destructive" disabled={!confirmed || remove.isPending}>
          {remove.isPending && <Spinner />}
          Delete workspace
        </Button>
      </AlertDialogFooter>
    </form>
  );
}
