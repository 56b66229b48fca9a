import { Check, Copy } from 'lucide-react';
import { useEffect, useState } from 'react';
import { toast } from 'sonner';

import { Button, type ButtonProps } from '@/components/ui/button';
import { copyText } from '@/lib/clipboard';

/** An icon button that copies `text` and shows a check mark for a moment. */
export function CopyButton({ text, label, ...props }: { text: string; label: string } & Omit<ButtonProps, 'onClick'>) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <Button
      type="button"
      variant="ghost"
      size="icon-sm"
      aria-label={label}
      title={label}
      onClick={async () => {
        if (await copyText(text)) setCopied(true);
        else toast.error('Could not copy', { description: 'Select the text and copy it by hand.' });
      }}
      {...props}
    >
      {copied ? <Check className="text-success" /> : <Copy />}
    </Button>
  );
}
