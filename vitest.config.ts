import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Nest's DI reads constructor parameter types: keep legacy decorators with their metadata
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'var/test-results.json' },
  },
} as Parameters<typeof defineConfig>[0]);
