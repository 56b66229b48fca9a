// ESLint's and typescript-eslint's recommended rules, and the Rules of React (react-hooks).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist', '.expo', 'src/terminal/page-html.generated.ts']),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    rules: {
      // A leading underscore marks a parameter kept for its place; a rest sibling is a field left out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The terminal page is bundled on its own into one HTML string: @perry/client's index would
    // bring the RPC contract along (about 7 KB that esbuild cannot drop).
    files: ['terminal-page/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@perry/client', message: 'Import the entry for what the page needs, e.g. @perry/client/local-echo.' }] },
      ],
    },
  },
]);
