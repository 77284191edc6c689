// Lint, including the layering of DESIGN.md: each rule's message names the fix.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const layering = {
  app: {
    paths: [
      { name: 'electron', message: 'Bad layering: app/ is plain Node and runs headless. Put Electron code in electron/ and pass what the core needs as a parameter.' },
      { name: 'react', message: 'Bad layering: app/ never renders. Put UI code in renderer/.' },
      { name: 'react-dom', message: 'Bad layering: app/ never renders. Put UI code in renderer/.' },
    ],
    patterns: [
      { group: ['**/renderer/**', '**/electron/**'], message: 'Bad layering: app/ never imports renderer/ or electron/ code. Dependencies point down: move shared code into app/.' },
    ],
  },
  renderer: {
    paths: [
      { name: 'electron', message: 'Bad layering: the renderer never imports Electron. Call the core through renderer/src/api/client.ts (api.call / api.on).' },
      ...nodeBuiltins.map((name) => ({ name, message: `Bad layering: the renderer runs in a browser and cannot use '${name}'. Add an API method in app/api and call it through api.call.` })),
    ],
    patterns: [
      { group: ['**/app/**', '!**/app/api', '!**/app/api/**'], message: 'Bad layering: the renderer may only import types from app/api. Add an API method in app/api and call it through api.call.' },
      { group: ['**/electron/**'], message: 'Bad layering: the renderer never imports electron/ code. Call the core through renderer/src/api/client.ts.' },
    ],
  },
  electron: {
    patterns: [{ group: ['**/renderer/**'], message: 'Bad layering: electron/ never imports renderer code. The window loads the built renderer; talk to it over IPC.' }],
  },
};

const apiValueMessage = 'Bad layering: import only types from app/api (`import type`), or values from app/api/rules.ts and app/api/limits.ts. Call the core through api.call.';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['app/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', layering.app] },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', layering.renderer],
      // Type-only imports from app/api are erased; a value import would pull Node code into the bundle.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        // rules.ts and limits.ts import nothing, so their values bundle into the renderer without Node code.
        {
          patterns: [
            { group: ['**/app/api/**', '!**/app/api/rules.ts', '!**/app/api/limits.ts'], allowTypeImports: true, message: apiValueMessage },
            { regex: '/app/api/?$', allowTypeImports: true, message: apiValueMessage },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', layering.electron] },
  },
);
