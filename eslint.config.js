// One lint setup for the whole tree; prettier owns formatting, eslint owns correctness and layering.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The reconcile core is pure: no I/O, no clock, no logger, no database.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'child_process'],
              message: 'src/core is pure: no Node I/O modules.',
            },
            { group: ['better-sqlite3', 'pino', 'pino-pretty'], message: 'src/core is pure.' },
            {
              group: ['../fsops/*', '../scan/*', '../store/*', '../engine/*', '../cli/*', '../versions/*'],
              message: 'src/core must not depend on I/O layers.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'src/core does not read the clock: pass the time in.' },
      ],
    },
  },
);
