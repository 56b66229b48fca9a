import { fileURLToPath } from 'node:url';

import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The dev server forwards the API to a running agent so `npm run dev` works against real data.
const agentUrl = process.env.PERRY_AGENT_URL ?? 'http://127.0.0.1:7391';

/** A WebSocket proxy entry. The agent accepts browser sockets only from its own origin, so the
 * dev server presents the agent's origin instead of its own. */
function socketProxy() {
  return {
    target: agentUrl,
    ws: true,
    changeOrigin: true,
    configure(proxy: { on(event: 'proxyReqWs', listener: (request: { setHeader(name: string, value: string): void }) => void): void }) {
      proxy.on('proxyReqWs', (request) => request.setHeader('origin', new URL(agentUrl).origin));
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
    // @perry/client is a symlink to ../clients/ts. Resolving its imports (@orpc/*) from the link's
    // place inside web/node_modules lets web's own install provide them even when clients/ts has
    // never been installed on its own (a fresh CI checkout).
    preserveSymlinks: true,
    // @perry/client/react imports React and React Query, which clients/ts installs too (for its own
    // checks): the app must load its one copy of each, or hooks and the QueryClient context break.
    dedupe: ['react', 'react-dom', '@tanstack/react-query'],
  },
  server: {
    proxy: {
      '/rpc': { target: agentUrl, changeOrigin: true },
      '/health': { target: agentUrl, changeOrigin: true },
      '/terminal': socketProxy(),
      '/sessions': socketProxy(),
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // One entry chunk of ~170 KB gzip (React DOM is most of it) is within the 300 KB first-load
    // budget that `npm run bench` checks; xterm.js is split off by its dynamic import.
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // The client package ships TypeScript sources; let Vite transform it instead of Node.
    server: { deps: { inline: ['@perry/client'] } },
  },
});
