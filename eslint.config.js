// Lint: ESLint's and typescript-eslint's recommended rules over the module, the scripts and the tests.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ci/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks what is left out on purpose (`{ secret: _secret, ...rest }`, express's `_next`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Control characters are matched on purpose: hostile file names and terminal escapes are detected and escaped.
      'no-control-regex': 'off',
    },
  },
  // The screen's script runs in the browser.
  { files: ['views/assets/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
);
