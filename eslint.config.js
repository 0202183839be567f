import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/test-output/**',
      'bench/results/**',
      'examples/*/dist/**',
      'examples/*/.svelte-kit/**',
      'examples/*/build/**',
      'examples/*/.next/**',
      'examples/*/next-env.d.ts',
      'docs/api/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        crypto: 'readonly',
        atob: 'readonly',
        btoa: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        Request: 'readonly',
        Response: 'readonly',
        Headers: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        BroadcastChannel: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // core and client run in browsers and workers: no Node globals.
    files: [
      'packages/core/src/**/*.ts',
      'packages/client/src/**/*.ts',
      'packages/client/src/**/*.tsx',
    ],
    ignores: ['**/*.test.ts', '**/*.test.tsx', 'packages/core/src/backends/native.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'No Buffer in core or client: use Uint8Array.' },
        'process',
        'require',
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*'] }],
    },
  },
);
