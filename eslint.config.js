// The linter `npm run lint` runs (after the typecheck, before the import-circle check).
// typescript-eslint rather than Biome because the bugs that bite this code base are the ones
// only type information can see: a promise dropped in stream or pump code (no-floating-promises),
// an async callback handed to an API that ignores its result (no-misused-promises), `await` on a
// non-promise, a non-Error thrown past our one error type. Formatting and style rules are off:
// the code has one consistent style already and the linter is for bugs, not taste.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'test-artifacts/**', '.wrangler/**', 'src/generated/**'],
  },
  {
    files: ['**/*.{js,mjs,ts,mts}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused code is dead code; a leading underscore marks a deliberately ignored value.
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `for (;;)` pumps and `while (true)` readers are the idiom for stream loops here.
      'no-constant-condition': ['error', { checkLoops: false }],
      // File-name and header checks match control characters on purpose.
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['**/*.{ts,mts}'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Promises: every one is awaited, returned, or explicitly `void`-ed / `.catch`-ed.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // One error type with a stable code: never throw strings or plain objects. Rethrowing a
      // caught `unknown` (a stream's stored failure) is passing an error on, not making one.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-for-in-array': 'error',
      // Type-only imports stay type-only (verbatimModuleSyntax relies on it).
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // `!` after a checked lookup and `as` around JSON are deliberate here (and `!` on an index
      // is "unnecessary" only while noUncheckedIndexedAccess is off); `any` is not.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Declaration files describe shapes another build owns; their parameters are documentation.
    files: ['**/*.d.ts', '**/*.d.mts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
);
