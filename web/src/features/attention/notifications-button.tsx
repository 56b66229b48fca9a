import { Bell, BellOff, BellRing } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';

import { Button } from '@/components/ui/button';
import { Tooltip } from '@/components/ui/tooltip';

import { notificationSupport, requestPermission, type NotificationSupport } from './notifications';

const TIPS: Record<NotificationSupport, string> = {
  granted: 'Notifications are on: you hear when a coding agent needs you or is done while this tab is in the background',
  default: 'Turn on notifications: hear when a coding agent needs you or is done',
  denied: 'Notifications are blocked for this site in the browser’s settings',
  insecure: 'Notifications need HTTPS (or localhost): serve the agent with a certificate, e.g. from `tailscale cert`',
  unsupported: 'This browser cannot show notifications',
};

/** The top bar's bell: asks for notifications, and says why there are none. */
export function NotificationsButton() {
  const [support, setSupport] = useState<NotificationSupport>(notificationSupport);
  const Icon = support === 'granted' ? BellRing : support === 'default' ? Bell : BellOff;
  return (
    <Tooltip content={TIPS[support]}>
        <Button
          variant="ghost"
          size="icon-sm"
          aria-label={TIPS[support]}
          data-notifications={support}
          onClick={() => {
            if (support !== 'default') {
              toast(TIPS[support]);
              return;
            }
            void requestPermission().then((now) => {
              setSupport(now);
              if (now === 'granted') toast.success('Notifications are on');
            });
          }}
        >
          <Icon />
        </Button>
    </Tooltip>
  );
}
