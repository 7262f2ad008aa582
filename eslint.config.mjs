import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'coverage/**',
      'bin/**',
      '**/*.mjs',
      'jest.config.js',
      'jest.unit.config.js',
      // plain Node scripts the tests run as stand-in programs (like bin/)
      'test/fixtures/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // stdout belongs to the Singer writer; everything else logs to stderr through the logger.
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only bin/ exits; return an exit code.' },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**', '**/*.test.ts', 'src/demo/**'],
    rules: { 'no-console': 'off' },
  },
);
