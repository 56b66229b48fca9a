import { useEffect, useState } from 'react';

/**
 * The terminal page's HTML (xterm.js, about 350 KB), loaded when a terminal first opens: the web
 * build splits it into its own chunk, so the workspace list does not wait for it.
 */
export function useTerminalPageHtml(): string | null {
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void import('./page-html.generated').then((module) => {
      if (!cancelled) setHtml(module.TERMINAL_PAGE_HTML);
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return html;
}
