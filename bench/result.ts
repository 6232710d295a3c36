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
  /** when measured in rounds: the lowest and highest of the rounds' ratios (`ratio` is their median) */
  ratioRange?: [number, number];
}

/** A benchmark scenario: one file under bench/scenarios/, listed in bench/scenarios/index.ts. */
export interface BenchScenario {
  name: string;
  run(): Promise<BenchResult[]>;
}

export function result(scenario: string, unit: string, value: number, baseline: number, n: number): BenchResult {
  return { scenario, unit, value: round(value), baseline: round(baseline), ratio: round(baseline === 0 ? Number.NaN : value / baseline), n };
}

/** A measured round: ours against the mean of the baseline's runs before and after it, both as items per second. */
export interface Round {
  value: number;
  baseline: number;
}

/** the round of `items` that took ours `oursMs` and the baseline `beforeMs` before ours and `afterMs` after it */
export function measuredRound(items: number, oursMs: number, beforeMs: number, afterMs: number): Round {
  return { value: (items * 1000) / oursMs, baseline: (items * 1000) / ((beforeMs + afterMs) / 2) };
}

/**
 * Rates measured in alternating rounds, ours and the baseline side by side in each: `value` and `baseline` are the
 * medians of the rounds' rates, `ratio` the median of the rounds' own ratios, `ratioRange` their spread. On a shared
 * machine one round's pair can land in a slow moment for one side only; the median of the pairs does not.
 */
export function roundsResult(scenario: string, unit: string, rounds: Round[], itemsPerRound: number): BenchResult {
  const ratios = rounds.map((r) => r.value / r.baseline);
  return {
    scenario,
    unit,
    value: round(median(rounds.map((r) => r.value))),
    baseline: round(median(rounds.map((r) => r.baseline))),
    ratio: round(median(ratios)),
    n: rounds.length * itemsPerRound,
    ratioRange: [round(Math.min(...ratios)), round(Math.max(...ratios))],
  };
}

/** rounds of a scenario measured in alternating rounds: `BENCH_ROUNDS`, or the scenario's default */
export function benchRounds(fallback: number): number {
  return envCount('BENCH_ROUNDS', fallback);
}

/** a whole number ≥ `min` from environment variable `name`, or `fallback` when it is unset */
export function envCount(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected a whole number ≥ ${min}, got ${raw}`);
  return n;
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
