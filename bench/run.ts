/**
 * The benchmark harness: `npm run bench` runs every scenario, `npm run bench -- <name...>` only those named.
 * Writes bench/results.json (the results of this run only) and prints them as a table.
 * `BENCH_DIALECTS=sqlite` (or `postgresql`) limits the database variants of scenarios that run on both.
 */
import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BenchResult } from './result.js';
import { SCENARIOS } from './scenarios/index.js';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;

const results: BenchResult[] = [];
const failed: string[] = [];
for (const scenario of selected) {
  const started = performance.now();
  process.stdout.write(`▶ ${scenario.name} … `);
  try {
    const out = await scenario.run();
    results.push(...out);
    console.log(`${out.length} result(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed.push(scenario.name);
    console.log('FAILED');
    console.error((error as Error).stack ?? error);
  }
}

const file = join(packageRoot(), 'bench', 'results.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${table(results)}\n\nwrote ${file}`);
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}

function table(rows: BenchResult[]): string {
  const head = ['scenario', 'unit', 'value', 'baseline', 'ratio', 'rounds: ratios', 'n'];
  const body = rows.map((r) => [r.scenario, r.unit, fmt(r.value), fmt(r.baseline), fmt(r.ratio), r.ratioRange ? r.ratioRange.map(fmt).join('–') : '', String(r.n)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
}

/** the folder with our package.json: the harness runs from dist/bench/ */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (dir !== dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'nestjs-chatter') return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: cannot find the nestjs-chatter package root');
}
