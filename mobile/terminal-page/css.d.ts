// esbuild bundles the stylesheets the page imports (scripts/build-terminal-page.mjs).
declare module '*.css';
