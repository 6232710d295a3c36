/** One measured line of `bench/results.json`: `value` is ours, `baseline` the raw library doing the same work in the same run. */
export interface BenchResult {
  /** scenario name, with a suffix for the variant measured, e.g. `thread-page/sqlite` */
  scenario: string;
  /** unit of `value` and `baseline`, e.g. `ms` or `posts/s` */
  unit: string;
  value: number;
  baseline: number;
  /** value / baseline */
  ratio: number;
  /** how many measurements the numbers summarize */
  n: number;
}

/** A benchmark scenario: one file under bench/scenarios/, listed in bench/scenarios/index.ts. */
export interface BenchScenario {
  name: string;
  run(): Promise<BenchResult[]>;
}

export function result(scenario: string, unit: string, value: number, baseline: number, n: number): BenchResult {
  return { scenario, unit, value: round(value), baseline: round(baseline), ratio: round(baseline === 0 ? Number.NaN : value / baseline), n };
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** milliseconds since `start` (from `performance.now()`) */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : n;
}
