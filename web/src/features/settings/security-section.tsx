import { Eye, EyeOff, KeyRound, RotateCcw } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import { useMutation } from '@tanstack/react-query';

import { CopyButton } from '@/components/copy-button';
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from '@/components/ui/alert-dialog';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { PhoneQrCard } from '@/features/agent/phone-qr';
import { useAuth } from '@/features/auth/auth-context';
import { useScope } from '@/lib/api';
import { errorMessage } from '@perry/client';

import { useShowToken } from './api';
import { SectionCard } from './components';

/** The token every client signs in with: shown on request, and rotated. */
export function SecuritySection() {
  // The token on screen: asked for, or the new one after a rotation; null while hidden.
  const [shown, setShown] = useState<string | null>(null);
  return (
    <>
      <TokenCard shown={shown} onShown={setShown} />
      <PhoneQrCard />
      <RotateCard onRotated={setShown} />
    </>
  );
}

function TokenCard({ shown, onShown }: { shown: string | null; onShown: (token: string | null) => void }) {
  const show = useShowToken();
  const id = useId();
  return (
    <SectionCard
      icon={KeyRound}
      title="Access token"
      description="What the web UI, the phone app and the CLI on other machines sign in with. Anyone who has it can do everything you can: show it only where no one else looks."
    >
      {shown === null ? (
        <div>
          <Button variant="outline" onClick={() => show.mutate(undefined, { onSuccess: onShown })} disabled={show.isPending}>
            {show.isPending ? <Spinner /> : <Eye />} Show token
          </Button>
        </div>
      ) : (
        <div className="grid gap-2">
          <Label htmlFor={id}>Token</Label>
          <div className="flex items-center gap-1">
            <Input id={id} readOnly value={shown} className="font-mono" onFocus={(event) => event.target.select()} />
            <CopyButton text={shown} label="Copy the token" />
            <Button variant="ghost" size="icon-sm" aria-label="Hide the token" title="Hide the token" onClick={() => onShown(null)}>
              <EyeOff />
            </Button>
          </div>
        </div>
      )}
    </SectionCard>
  );
}

function RotateCard({ onRotated }: { onRotated: (token: string) => void }) {
  const { home } = useScope();
  const { rotate } = useAuth();
  const [open, setOpen] = useState(false);
  const rotation = useMutation({
    // Asked with the old token; this page keeps working with the new one it answers.
    mutationFn: () => rotate(async () => (await home.settings.rotateToken()).token),
    meta: { handlesErrors: true },
    onSuccess: (token) => {
      setOpen(false);
      onRotated(token);
      toast.success('The token was rotated', { description: 'This page uses the new one. Sign in again with it everywhere else.' });
    },
  });
  return (
    <SectionCard
      icon={RotateCcw}
      title="Rotate the token"
      description="Makes a new token and refuses the old one at once: every other browser, phone and remote CLI signed in with it is signed out and must sign in again with the new one. The CLI on the agent’s own machine keeps working."
    >
      <AlertDialog
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) rotation.reset();
        }}
      >
        <div>
          <AlertDialogTrigger asChild>
            <Button variant="destructive">
              <RotateCcw /> Rotate token…
            </Button>
          </AlertDialogTrigger>
        </div>
        <AlertDialogContent>
          <AlertDialogHeader>
            <AlertDialogTitle>Rotate the token?</AlertDialogTitle>
            <AlertDialogDescription>
              The current token stops working now. This page switches to the new one; every other signed-in browser and phone is signed out and
              needs the new token.
            </AlertDialogDescription>
          </AlertDialogHeader>
          {rotation.isError && (
            <p role="alert" className="text-sm text-destructive">
              {errorMessage(rotation.error)}
            </p>
          )}
          <AlertDialogFooter>
            <AlertDialogCancel disabled={rotation.isPending}>Cancel</AlertDialogCancel>
            <Button variant="destructive" onClick={() => rotation.mutate()} disabled={rotation.isPending}>
              {rotation.isPending && <Spinner />}
              Rotate token
            </Button>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
    </SectionCard>
  );
}
