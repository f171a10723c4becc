// @ts-check
import eslint from '@eslint/js';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'packages/*/dist/', 'test/**/*.fixture.ts', 'node_modules/', 'coverage/', 'data/', 'eslint.config.mjs', '**/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettierRecommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/explicit-module-boundary-types': 'off',
    },
  },
  {
    // The QueryModule is used through its index only; its own files and the white-box tests of its
    // SQL (raw reader, index catalogue, statements) and the bench's bare server may reach inside.
    files: ['**/*.ts'],
    ignores: [
      'src/query/**',
      'test/raw-reader.e2e-spec.ts',
      'test/index-check.e2e-spec.ts',
      'test/image-query-count.e2e-spec.ts',
      'bench/ceiling-server.ts',
      'bench/explain.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/query/*', '!**/query/index'],
              message: 'Import the QueryModule from its index (src/query), not its internals.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
