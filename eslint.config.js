// ESLint flat config. Besides the recommended rules, it enforces the one-way layering of
// docs/ARCHITECTURE.md#layers:
// main -> server -> api -> app -> store contract -> domain, engines never import each other,
// and only src/api (and the composition root) knows Connect and gen/.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// One `layer` per set of files: ESLint's flat config replaces a rule's options when a later entry
// matches the same file, so two entries for one file would silently drop the first one's bans.
const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map(([regex, message]) => ({ regex, message })) },
    ],
  },
});

const CONNECT = ['^@connectrpc/', 'only src/api and the composition root know Connect'];
const GEN = ['(^|/)gen/', 'only src/api knows the generated code'];
const REST = ['(^|/)rest/', 'nothing below or beside the server imports src/rest'];
const CLIENT = [
  ['(^|/)src/(app|store|server|api|domain|rest|config|main|observability)', 'a client never imports the server side'],
  ['^mongodb$|^better-sqlite3$', 'a client never imports a driver'],
];

export default tseslint.config(
  { ignores: ['gen/**', 'clients/*/src/gen/**', 'clients/*/dist/**', 'node_modules/**', 'data/**', 'bench/results/**', '.scratch/**'] },
  { languageOptions: { globals: globals.node } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-console': 'error' } },
  // No import circle anywhere in src/, type-only imports included: a circle means two modules
  // are one module in two files, and it is how a lower layer ends up needing a higher one.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // The plugin reads only files with these extensions when it follows imports.
      'import-x/extensions': ['.ts', '.js'],
      // Sources import `./x.js` and the file is `x.ts`.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  layer(
    ['src/domain/**/*.ts'],
    [
      ['^\\.\\./', 'src/domain imports nothing outside itself'],
      ['^(?!node:|\\.)', 'src/domain imports only node builtins and itself'],
    ],
  ),
  layer(
    ['src/store/**/*.ts'],
    [
      ['^\\.\\./(\\.\\./)?(app|api|server|config|main)', 'the store imports only the domain'],
      ['^\\.\\./mongo/', 'engines never import each other'],
      ['^\\.\\./embedded/', 'engines never import each other'],
      CONNECT,
      GEN,
      REST,
    ],
  ),
  layer(
    ['src/app/**/*.ts'],
    [
      ['^(\\.\\./)+(api|server|main)', 'src/app is transport-free'],
      ['^(\\.\\./)+store/(embedded|mongo)/', 'src/app uses the store contract, never an engine'],
      ['^mongodb$|^better-sqlite3$', 'src/app uses the store contract, never a driver'],
      CONNECT,
      GEN,
      REST,
    ],
  ),
  layer(
    ['src/api/**/*.ts'],
    [
      ['^\\.\\./(server|main)', 'src/api never imports the server'],
      ['^\\.\\./store/', 'src/api never imports the store: records are in src/domain, stores are reached through src/app'],
      ['^mongodb$|^better-sqlite3$', 'src/api never imports a driver'],
      REST,
    ],
  ),
  // The REST surface sits beside src/api: it translates HTTP onto the same use cases, and of
  // src/api it shares only the one error table and the arguments check.
  layer(
    ['src/rest/**/*.ts'],
    [
      ['^\\.\\./(server|main)', 'src/rest never imports the server'],
      ['^\\.\\./api/(?!errors\\.js$|mapping\\.js$)', 'src/rest shares only errors.ts and mapping.ts with src/api'],
      ['^\\.\\./store/(embedded|mongo)/', 'src/rest never imports an engine'],
      ['^mongodb$|^better-sqlite3$', 'src/rest never imports a driver'],
      GEN,
    ],
  ),
  // The clients (@kavach/client, the `kavach` command) talk to a server only over the API.
  { ...layer(['clients/**/*.ts'], CLIENT), ignores: ['clients/ts/src/**/*.ts'] },
  // @kavach/client runs in browsers: only its Node entry may touch Node's modules or connect-node.
  {
    ...layer(
      ['clients/ts/src/**/*.ts'],
      [
        ...CLIENT,
        ['^node:', 'the client library is browser-clean; Node-only code goes in src/node.ts'],
        ['^@connectrpc/connect-node$', 'the client library is browser-clean; Node-only code goes in src/node.ts'],
      ],
    ),
    ignores: ['clients/ts/src/node.ts'],
  },
  layer(['clients/ts/src/node.ts'], CLIENT),
  { files: ['clients/ts/src/**/*.ts', 'clients/cli/src/**/*.ts'], rules: { 'no-console': 'error' } },
);
