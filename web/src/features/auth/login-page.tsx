import { CircleAlert, LogIn } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent } from 'react';

import { Logo } from '@/components/layout/logo';
import { ThemeToggle } from '@/components/layout/theme-toggle';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { createApiClient } from '@/lib/api';
import { errorMessage, isUnauthorized } from '@perry/client';

import { useAuth } from './auth-context';

/** Asks for the agent's token and checks it with `agent.info` before keeping it. */
export function LoginPage() {
  const { notice, signIn } = useAuth();
  const [token, setToken] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = useId();
  const errorId = useId();

  // An agent started without auth answers without a token: no need to ask for one.
  useEffect(() => {
    if (notice !== null) return;
    const controller = new AbortController();
    createApiClient(null)
      .agent.info(undefined, { signal: controller.signal })
      .then(() => signIn(''))
      .catch(() => undefined);
    return () => controller.abort();
  }, [notice, signIn]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (candidate === '') {
      setProblem('Paste the token first.');
      return;
    }
    setChecking(true);
    setProblem(null);
    try {
      await createApiClient(candidate).agent.info();
      signIn(candidate);
    } catch (error) {
      setProblem(isUnauthorized(error) ? 'That token was refused. Check it and try again.' : errorMessage(error));
      setChecking(false);
    }
  }

  const shownProblem = problem ?? notice;

  return (
    <div className="flex min-h-dvh flex-col bg-muted/30">
      <header className="flex h-14 items-center justify-between px-4 md:px-6">
        <Logo />
        <ThemeToggle />
      </header>
      <main className="flex flex-1 items-start justify-center px-4 pt-[12vh] pb-12">
        <Card className="w-full max-w-sm shadow-sm">
          <CardHeader>
            <h1 className="text-xl font-semibold leading-none">Sign in to Perry</h1>
            <CardDescription>
              Open the link the agent printed when it started, or paste its token here.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <form onSubmit={submit} className="grid gap-4" noValidate>
              <div className="grid gap-2">
                <Label htmlFor={inputId}>Access token</Label>
                <Input
                  id={inputId}
                  type="password"
                  autoComplete="current-password"
                  autoFocus
                  value={token}
                  disabled={checking}
                  aria-invalid={shownProblem !== null}
                  aria-describedby={shownProblem ? errorId : undefined}
                  onChange={(event) => setToken(event.target.value)}
                  className="font-mono"
                />
              </div>
              {shownProblem && (
                <Alert variant="destructive" id={errorId}>
                  <CircleAlert />
                  <AlertDescription>{shownProblem}</AlertDescription>
                </Alert>
              )}
              <Button type="submit" disabled={checking} className="w-full">
                {checking ? <Spinner /> : <LogIn />}
                Sign in
              </Button>
              <p className="text-xs leading-relaxed text-muted-foreground">
                The token is <code className="rounded bg-muted px-1 py-0.5 font-mono">auth.token</code> in{' '}
                <code className="rounded bg-muted px-1 py-0.5 font-mono">~/.config/perry/config.json</code> on the agent’s
                machine.
              </p>
            </form>
          </CardContent>
        </Card>
      </main>
    </div>
  );
}
