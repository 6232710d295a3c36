import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Nest's DI reads constructor parameter types: keep legacy decorators with their metadata
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    // the fault-injection suite (test/faults/*.fault.ts, ~1.5 min) runs with everything else; `npm run test:faults` runs it alone
    include: ['test/**/*.test.ts', 'test/faults/**/*.fault.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'var/test-results.json' },
  },
} as Parameters<typeof defineConfig>[0]);
