import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.deploy/', 'node_modules/', '.local/', 'coverage/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The app is deployed alone: the local tooling imports it, never the other way round.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/tools', '**/tools/**'], message: 'src/ is the deployed app; tools/ is local tooling and must not be imported by it.' }] }],
    },
  },
  {
    // The core is the domain alone: no Azure SDK, no Node module that does I/O (hashing is pure), nothing from the layers around it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./|@azure/|node:(?!crypto$)|(fs|path|http|https|net|os|child_process|url|zlib|stream|events|util|timers|worker_threads)(/|$))',
              message: 'src/core is the pure domain: no @azure/*, no Node module but node:crypto, nothing outside src/core (adapters, api, ports).',
            },
          ],
        },
      ],
    },
  },
  {
    // Ports are interfaces over the domain's types: they import the core and each other, nothing else.
    files: ['src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./|\\.\\./core/)', message: 'src/ports holds interfaces over the core: it imports only src/core and src/ports.' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
