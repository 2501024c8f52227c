// Lint (`npm run lint`): typescript-eslint with the type-aware rules that catch real bugs (promises), Prettier
// for layout, and the architecture's boundaries: which lib may use which, apps never import each other, and
// the pure libs (domain, billing) stay free of Nest, databases, Redis and process.env.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const LIBS = ['domain', 'billing', 'auth', 'config', 'observability', 'persistence', 'queue', 'telemetry', 'application', 'http', 'bootstrap'];
const APPS = ['api', 'broker', 'worker', 'platform', 'console'];

// Which lib or app may import which lib (by `@simfleet/<lib>`). Anything not listed is refused.
const ALLOWED = {
  domain: ['auth'],
  billing: [],
  auth: [],
  config: [],
  observability: [],
  persistence: ['config', 'domain'],
  queue: ['config', 'domain'],
  telemetry: ['config', 'domain', 'persistence'],
  application: ['auth', 'billing', 'config', 'domain', 'observability', 'persistence', 'queue', 'telemetry'],
  http: ['application', 'auth', 'config', 'domain', 'observability', 'persistence', 'queue', 'telemetry'],
  bootstrap: ['application', 'config', 'domain', 'http', 'observability', 'persistence', 'queue', 'telemetry'],
  'app-api': ['application', 'auth', 'billing', 'bootstrap', 'config', 'domain', 'http', 'observability', 'persistence', 'queue', 'telemetry'],
  'app-broker': ['application', 'auth', 'bootstrap', 'config', 'domain', 'observability', 'persistence', 'queue', 'telemetry'],
  'app-worker': ['application', 'billing', 'bootstrap', 'config', 'domain', 'observability', 'persistence', 'queue', 'telemetry'],
  // The one composition root: it runs the other apps' roles in one process (their *.role.ts files only).
  'app-platform': ['bootstrap'],
  'app-console': [],
};

// What pure code must never reach for.
const IMPURE = [
  '@nestjs/*',
  'pg',
  'pg-*',
  '@electric-sql/*',
  'ioredis',
  'bullmq',
  'aedes',
  'aedes-*',
  'mqemitter*',
  'mqtt',
  'fastify',
  '@fastify/*',
  'node:fs',
  'node:net',
  'node:http',
  'node:child_process',
];

const RELATIVE_ACROSS = { regex: '^(\\.\\./)+(apps|libs)/', message: 'import a lib by its name (@simfleet/<lib>); apps do not import each other' };
const PROCESS_ENV = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'the environment is read once, by libs/config (AppConfig)',
};

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'data/**', 'node_modules/**', 'apps/console/dist/**', '**/*.d.ts', 'test/shims/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      'boundaries/elements': [
        ...LIBS.map((lib) => ({ type: lib, pattern: `libs/${lib}` })),
        ...APPS.map((app) => ({ type: `app-${app}`, pattern: `apps/${app}` })),
      ],
      // An app's role file (`apps/<app>/src/<app>.role.ts`) is what the platform app may compose.
      'boundaries/files': [{ category: 'role', pattern: 'apps/*/src/*.role.ts' }],
      'boundaries/include': ['apps/**', 'libs/**'],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: '{{from.type}} may not import {{to.type}} (see eslint.config.mjs, ALLOWED, and docs/architecture.md)',
          policies: [
            ...Object.entries(ALLOWED).map(([from, to]) => ({
              from: { element: { type: from } },
              allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
            })),
            {
              from: { element: { type: 'app-platform' } },
              allow: { to: { element: { types: { anyOf: ['app-api', 'app-broker', 'app-worker'] } }, file: { categories: 'role' } } },
            },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false, inheritedMethods: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-restricted-imports': ['error', { patterns: [RELATIVE_ACROSS] }],
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    ignores: ['libs/config/**', 'libs/bootstrap/src/run-main.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': ['error', PROCESS_ENV],
    },
  },
  {
    files: ['libs/domain/**/*.ts', 'libs/billing/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [RELATIVE_ACROSS, { group: IMPURE, message: 'domain and billing are pure TypeScript: no Nest, database, Redis, broker or I/O' }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        PROCESS_ENV,
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'pure code never reads the wall clock: take a Clock or an instant',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'pure code never reads the wall clock: take a Clock or an instant',
        },
      ],
    },
  },
  {
    // The operator console runs in the browser: DOM globals, the rules of React hooks, no Node built-ins.
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx'],
    ignores: ['apps/console/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': [
        'error',
        { patterns: [RELATIVE_ACROSS, { group: ['node:*', '@simfleet/*'], message: 'the console runs in the browser and talks to the API only' }] },
      ],
    },
  },
  {
    // Tests and tools reach into apps (to start them) and read untyped JSON answers.
    files: ['test/**/*.ts', 'scripts/**/*.ts', '**/*.spec.ts'],
    rules: { 'boundaries/dependencies': 'off', 'no-restricted-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Type-aware rules on the product's code only: type-checking the tests for lint as well doubled the time of
    // `npm run lint` (CI runs it); `npm run typecheck` still checks every test.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
  prettier,
);
