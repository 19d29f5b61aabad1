// One lint preset: ESLint's and typescript-eslint's recommended rules. Formatting is Prettier's.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Browser modules: tsc checks their globals against the DOM library (tsconfig.dashboard.json).
    files: ['src/dashboard/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
)
