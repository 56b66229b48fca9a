import { Smartphone } from 'lucide-react';
import { useState } from 'react';

import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { useAuth } from '@/features/auth/auth-context';

/** The sign-in URL the phone app reads: this page's origin, with the token when there is one. */
export function signInUrl(origin: string, token: string | null): string {
  return token ? `${origin}/?token=${encodeURIComponent(token)}` : `${origin}/`;
}

/**
 * A QR code of the sign-in URL for the phone app's "Scan" button. Hidden until asked for (it
 * carries the token), and drawn by a library loaded only then, so the first load stays small.
 */
export function PhoneQrCard() {
  const { token } = useAuth();
  const [svg, setSvg] = useState<string | null>(null);
  const url = signInUrl(window.location.origin, token);
  const local = /^(localhost|127\.|\[::1\])/.test(window.location.hostname);

  async function show() {
    const QRCode = await import('qrcode');
    setSvg(await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }));
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Smartphone className="size-4 text-muted-foreground" aria-hidden /> Phone app
        </CardTitle>
        <CardDescription>
          Scan this with Perry on your phone to connect it to this agent. The code holds the token: show it only to
          your own phone.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        {local ? (
          <p className="text-sm text-muted-foreground">
            This page is open at {window.location.host}, which a phone cannot reach: open it through this machine’s
            network or Tailscale address first.
          </p>
        ) : null}
        {svg ? (
          <div
            role="img"
            aria-label={`QR code of ${window.location.origin} with its token`}
            className="w-56 rounded-md bg-white p-1"
            // The SVG is drawn by the qrcode library from this page's own URL.
            dangerouslySetInnerHTML={{ __html: svg }}
          />
        ) : (
          <div>
            <Button variant="outline" onClick={() => void show()}>
              Show QR code
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
