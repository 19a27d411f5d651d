// ESLint owns correctness and the layering of STYLE.md; Prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';

const nodeBuiltins = ['node:*', ...builtinModules, ...builtinModules.map((m) => `${m}/*`)];

/** Import bans per layer (SPEC §2, STYLE "Layering"). */
const layer = (files, groups, message, extra = {}) => ({
  files,
  ...extra,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dist-renderer/**',
      'release/**',
      'coverage/**',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'bin/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['bin/*.js', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    ...jsxA11y.flatConfigs.recommended,
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  layer(
    ['src-shared/**'],
    [
      ...nodeBuiltins,
      'electron',
      'react',
      'react-dom',
      'react/*',
      'zustand',
      'better-sqlite3',
      'node-ipc',
      '**/src-main/**',
      '**/src-renderer/**',
    ],
    'src-shared is pure TypeScript: it may import only zod and other src-shared modules.',
  ),
  layer(
    ['src-renderer/**'],
    [...nodeBuiltins, 'electron', 'better-sqlite3', 'node-ipc', '**/src-main/**'],
    'src-renderer talks to the rest only through the bridge API; it may import src-shared, never Node, Electron or src-main.',
  ),
  layer(
    [
      'src-main/server/**',
      'src-main/gateway/**',
      'src-main/client/**',
      'src-main/cli/**',
      'src-main/codec/**',
      'src-main/threads/**',
    ],
    ['electron', 'electron/*', 'node-ipc', '**/src-renderer/**'],
    'Server, gateway, client and CLI run in plain Node: no electron; node-ipc only through src-main/transport.',
  ),
  layer(
    ['src-main/transport/**'],
    ['electron', 'electron/*', 'node-ipc', '**/src-renderer/**'],
    'The transport layer runs in plain Node; only ipc-transport.ts may import node-ipc.',
    { ignores: ['src-main/transport/ipc-transport.ts'] },
  ),
  layer(
    ['src-main/console/**'],
    ['node-ipc', '**/src-renderer/**'],
    'The Electron main process reaches servers only through src-main/transport.',
  ),
  layer(
    ['src-main/transport/ipc-transport.ts'],
    ['electron', 'electron/*', '**/src-renderer/**'],
    'The transport layer runs in plain Node.',
  ),
  {
    // Raw Electron IPC lives in exactly two wrapper files (STYLE: GitHub Desktop's model).
    files: ['src-main/console/electron/**'],
    ignores: [
      'src-main/console/electron/ipc-main-bridge.ts',
      'src-main/console/electron/preload.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer', 'contextBridge'],
              message: 'Use ipc-main-bridge.ts (main) or preload.ts (renderer side) for raw IPC.',
            },
          ],
          patterns: [
            {
              group: ['node-ipc', '**/src-renderer/**'],
              message: 'The Electron main process reaches servers only through src-main/transport.',
            },
          ],
        },
      ],
    },
  },
  {
    // The server's database has two writers (intake commits on a thread of its own): every
    // transaction takes the write lock as it begins, through writeTransaction (database.ts).
    files: ['src-main/server/**'],
    ignores: ['src-main/server/store/migrations/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message:
            'Open transactions with writeTransaction (store/database.ts): BEGIN IMMEDIATE, so a second writer makes it wait rather than fail.',
        },
      ],
    },
  },
  {
    files: ['src-main/cli/**', 'test/bench/**'],
    rules: { 'no-console': 'off' },
  },
);
