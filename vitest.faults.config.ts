import { defineConfig } from 'vitest/config';

// the fault-injection suite (`npm run test:faults`): replicas of the compiled sample app under real faults; slow, so
// kept out of the main suite
export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['test/faults/**/*.fault.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
} as Parameters<typeof defineConfig>[0]);
