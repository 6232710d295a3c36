import { DIALECTS, type Dialect } from '../../test/support/database.js';
import { startChatter, type ChatterTesting, type ChatterTestingOptions } from '../../test/support/chatter-testing.js';
import { BenchThread } from './bench-thread.entity.js';

export { BenchThread };

/** the database variants to run: both, or those named in `BENCH_DIALECTS` (comma-separated) */
export function benchDialects(): Dialect[] {
  const only = process.env.BENCH_DIALECTS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return DIALECTS;
  const bad = only.filter((d) => !DIALECTS.includes(d as Dialect));
  if (bad.length) throw new Error(`BENCH_DIALECTS: unknown dialect(s) ${bad.join(', ')}; use ${DIALECTS.join(', ')}`);
  return only as Dialect[];
}

/**
 * A host app on a fresh database made for this run (dropped by `close()`), with `BenchThread` as a `@Chatter()` model.
 * The same helper the tests use, so the bench measures the module as a host boots it.
 */
export function startBenchApp(dialect: Dialect, options: ChatterTestingOptions = {}): Promise<ChatterTesting> {
  return startChatter(dialect, { ...options, entities: [BenchThread, ...(options.entities ?? [])] });
}

/** runs `fn` with a bench app and always closes it */
export async function withBenchApp<T>(dialect: Dialect, fn: (app: ChatterTesting) => Promise<T>, options?: ChatterTestingOptions): Promise<T> {
  const app = await startBenchApp(dialect, options);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
