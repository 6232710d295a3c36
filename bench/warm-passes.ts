/**
 * Warm passes of `imap-1000`, for finding where its time goes (not a benchmark: it reports no ratio target).
 * `npm run bench:passes`: one app, PASSES passes (default 6) of 1,000 new mails fetched and processed; for each pass
 * its wall time and the CPU time it used per thread of this process, per PostgreSQL backend and by Dovecot, read from
 * Linux's `/proc` (this tool runs on Linux only). The first pass warms the JIT and is left out of the medians.
 *
 * - `BENCH_DIALECTS`: the database (default: both, one after the other);
 * - `BASELINE=1`: also raw imapflow + simpleParser over each pass's mails, before and after ours (as in `imap-1000`),
 *   with Dovecot's CPU for the one before;
 * - `TIMELINE=1`: when each ledger batch (`r50>` … `r<`, 50 mails) and each processing batch (`b>` … `b<`) started
 *   and ended, and when every 100th parse settled (`p100`), in ms of the pass;
 * - `PROFILE=dir`: a CPU profile of the main thread during each pass (`PROFILE_HEAP=1`: a sampling heap profile);
 * - `PARSE_WORKERS`, `BATCH_SIZE`: the `incoming` options of the same names.
 *
 * Threads: `main` is the event loop; `busiest` the other thread that used the most CPU in the pass (with one parse
 * worker, that worker); `others` the rest together (V8's compiler and GC helpers, libuv's pool). `mainQueuedMs`: how
 * long the event loop was ready to run but waited for a CPU — on a machine with fewer cores than busy threads, wall
 * time that its own CPU time does not show.
 */
import 'reflect-metadata';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { ChatterModule, ImapIngress, InboundEmail, JobRunner } from '../lib/index.js';
// internals, for the timeline: this tool looks inside the pipeline
import { InboundGateway } from '../lib/gateway/inbound-gateway.js';
import { InboundProcessor } from '../lib/gateway/inbound-processor.js';
import { ParsePool } from '../lib/gateway/parse-pool.js';
import { Lead } from '../sample-app/lead.entity.js';
import { Ticket } from '../sample-app/ticket.entity.js';
import { IMAP_USERS, startDovecot } from '../test/support/dovecot.js';
import { envCount, median } from './result.js';
import { benchMail, rawImapBaseline } from './scenarios/imap-1000.js';
import { benchDialects, withBenchApp } from './support/bench-app.js';

const MAILS = 1000;
const PASSES = envCount('PASSES', 6);
/** Linux's clock ticks per second for /proc's CPU times (USER_HZ) */
const TICK_MS = 10;
/** Dovecot's processes: its master, an `imap` process per connection, its login, auth and helper processes */
const DOVECOT_PROCESSES = new Set(['dovecot', 'imap', 'imap-login', 'auth', 'anvil', 'log', 'config']);

interface PassReport {
  pass: number;
  wallMs: number;
  baselineMs?: number;
  cpuMs: { main: number; busiest: number; others: number; postgres: number; dovecot: number };
  /** ms the event loop's thread was ready to run but waited for a CPU (Linux's schedstat run delay) */
  mainQueuedMs?: number;
  /** Dovecot's CPU ms while the baseline (its run before ours) fetched the same mails */
  baselineDovecotMs?: number;
  timeline?: string;
}

// the methods are wrapped once for the run, not once per database
const timeline = process.env.TIMELINE ? recordTimeline() : undefined;
const profiler = process.env.PROFILE ? await mainThreadProfiler(process.env.PROFILE) : undefined;

for (const dialect of benchDialects()) {
  const dovecot = await startDovecot();
  const user = IMAP_USERS.test;
  try {
    const reports = await withBenchApp(dialect, async (app) => {
      const jobs = app.app.get(JobRunner);
      const ingress = app.app.get(ImapIngress);
      await jobs.drain();
      const out: PassReport[] = [];
      for (let pass = 0; pass < PASSES; pass++) {
        await dovecot.appendMany(Array.from({ length: MAILS }, (_, i) => benchMail(pass * MAILS + i, `passes-${dialect}-${pass}`)), { user });
        const uids = `${pass * MAILS + 1}:*`;
        const dovecotBefore = dovecotCpu();
        const before = process.env.BASELINE ? await rawImapBaseline(dovecot, user, uids, MAILS) : undefined;
        // before the CPU counts: starting the profiler is not the pass's work (sampling during the pass still is)
        await profiler?.start();
        const dovecot0 = dovecotCpu();
        const threads0 = threadCpu();
        const queued0 = mainRunDelayMs();
        const postgres0 = postgresCpu();
        timeline?.start();
        const started = performance.now();
        const fetched = await ingress.fetchNow('bench');
        await jobs.drain();
        const wallMs = performance.now() - started;
        const threads1 = threadCpu();
        const queued1 = mainRunDelayMs();
        const postgres1 = postgresCpu();
        const dovecot1 = dovecotCpu();
        // after the CPU counts: nor is writing the profile
        await profiler?.stop(`${dialect}-pass-${pass}`);
        const after = before === undefined ? undefined : await rawImapBaseline(dovecot, user, uids, MAILS);
        if (fetched?.received !== MAILS) throw new Error(`warm passes: the fetch took ${fetched?.received} mails, expected ${MAILS}`);
        const report: PassReport = {
          pass,
          wallMs: Math.round(wallMs),
          baselineMs: before === undefined ? undefined : Math.round((before + after!) / 2),
          cpuMs: { ...splitThreads(threads0, threads1), postgres: sumDelta(postgres0, postgres1), dovecot: dovecot1 - dovecot0 },
          mainQueuedMs: queued0 === undefined || queued1 === undefined ? undefined : Math.round(queued1 - queued0),
          baselineDovecotMs: before === undefined ? undefined : dovecot0 - dovecotBefore,
          timeline: timeline?.take(),
        };
        console.log(JSON.stringify(report));
        out.push(report);
      }
      const delivered = await app.orm.em.fork().count(InboundEmail, { status: 'delivered' });
      if (delivered !== PASSES * MAILS) throw new Error(`warm passes: ${delivered} of ${PASSES * MAILS} mails were delivered`);
      return out;
    }, {
      entities: [Ticket, Lead],
      imports: [ChatterModule.forFeature([Ticket, Lead])],
      chatter: {
        incoming: {
          ...(process.env.PARSE_WORKERS ? { parseWorkers: envCount('PARSE_WORKERS', 1, 0) } : {}),
          ...(process.env.BATCH_SIZE ? { batchSize: envCount('BATCH_SIZE', 50) } : {}),
          mailboxes: [{ name: 'bench', url: dovecot.url({ user, params: { idle: false, intervalMs: 3_600_000 } }) }],
        },
      },
    });
    const warm = reports.slice(1);
    const med = (pick: (r: PassReport) => number | undefined) => {
      const values = warm.map(pick).filter((v): v is number => v !== undefined);
      return values.length ? Math.round(median(values)) : undefined;
    };
    console.log(`${dialect}: medians of passes 1–${PASSES - 1}: ${JSON.stringify({
      wallMs: med((r) => r.wallMs),
      baselineMs: med((r) => r.baselineMs),
      main: med((r) => r.cpuMs.main),
      mainQueued: med((r) => r.mainQueuedMs),
      busiest: med((r) => r.cpuMs.busiest),
      others: med((r) => r.cpuMs.others),
      postgres: med((r) => r.cpuMs.postgres),
      dovecot: med((r) => r.cpuMs.dovecot),
      baselineDovecot: med((r) => r.baselineDovecotMs),
    })}`);
  } finally {
    await dovecot.stop();
  }
}

/**
 * `PROFILE=dir`: a V8 CPU profile of the main thread during each pass only (`node --cpu-prof` would also take the
 * appends that set a pass up), written as `<dir>/<dialect>-pass-<n>.cpuprofile` for Chrome's DevTools
 */
async function mainThreadProfiler(dir: string): Promise<{ start(): Promise<void>; stop(name: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  mkdirSync(dir, { recursive: true });
  if (process.env.PROFILE_HEAP) {
    // every allocation's stack, the collected ones included (what the young generation's collections cost follows them)
    await session.post('HeapProfiler.enable');
    return {
      start: async () => void (await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })),
      stop: async (name) => writeFileSync(`${dir}/${name}.heapprofile`, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile)),
    };
  }
  await session.post('Profiler.enable');
  return {
    start: async () => void (await session.post('Profiler.start')),
    stop: async (name) => writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify((await session.post('Profiler.stop')).profile)),
  };
}

/**
 * ms the main thread has waited so far for a CPU while ready to run (the second field of its schedstat, in ns);
 * undefined on a kernel without schedstats
 */
function mainRunDelayMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return undefined;
  }
}

/** CPU ms used so far by each thread of this process, by thread id */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = procTimes(`/proc/self/task/${tid}/stat`)?.own;
    if (cpu !== undefined) out.set(tid, cpu);
  }
  return out;
}

/** CPU ms used so far by each PostgreSQL backend (a process named `postgres` whose command line names a client) */
function postgresCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, times] of processTimes()) {
    if (times.comm !== 'postgres') continue;
    try {
      // "postgres: user database host(port) state"; background processes are "postgres: walwriter" and the like
      if (/^postgres: \S+ \S+ \S+/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) out.set(pid, times.own);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * CPU ms used so far by Dovecot: its live processes, plus what its master process has reaped of the ended ones (their
 * CPU moves into its children's times)
 */
function dovecotCpu(): number {
  let sum = 0;
  for (const [, times] of processTimes()) {
    if (DOVECOT_PROCESSES.has(times.comm)) sum += times.own + (times.comm === 'dovecot' ? times.reaped : 0);
  }
  return sum;
}

/** every live process's `procTimes`, by pid */
function* processTimes(): Generator<[string, { comm: string; own: number; reaped: number }]> {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const times = procTimes(`/proc/${pid}/stat`);
    if (times) yield [pid, times];
  }
}

/**
 * A /proc stat file's command name, its CPU ms (utime + stime) and its reaped children's (cutime + cstime);
 * undefined when the process or thread ended meanwhile
 */
function procTimes(file: string): { comm: string; own: number; reaped: number } | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const end = stat.lastIndexOf(')');
    const fields = stat.slice(end + 2).split(' ');
    const ms = (i: number) => Number(fields[i]) * TICK_MS;
    return { comm: stat.slice(stat.indexOf('(') + 1, end), own: ms(11) + ms(12), reaped: ms(13) + ms(14) };
  } catch {
    return undefined;
  }
}

function splitThreads(before: Map<string, number>, after: Map<string, number>): { main: number; busiest: number; others: number } {
  const main = String(process.pid);
  const used = [...after].filter(([tid]) => tid !== main).map(([tid, cpu]) => cpu - (before.get(tid) ?? 0)).sort((a, b) => b - a);
  return {
    main: (after.get(main) ?? 0) - (before.get(main) ?? 0),
    busiest: used[0] ?? 0,
    others: used.slice(1).reduce((a, b) => a + b, 0),
  };
}

function sumDelta(before: Map<string, number>, after: Map<string, number>): number {
  let sum = 0;
  for (const [id, cpu] of after) sum += Math.max(0, cpu - (before.get(id) ?? 0));
  return sum;
}

/** marks in ms since `start()`: each processing batch's start (`b>`) and end (`b<`), every 100th settled parse (`p`) */
function recordTimeline(): { start(): void; take(): string } {
  let origin = 0;
  let marks: string[] = [];
  let parsed = 0;
  const mark = (label: string) => marks.push(`${label}@${Math.round(performance.now() - origin)}`);
  /** marks when each call of the async method `name` starts (`open`, from its arguments) and settles (`close`) */
  const bracket = (target: object, name: string, open: (args: unknown[]) => string, close: string) => {
    const methods = target as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const method = methods[name];
    methods[name] = async function (this: unknown, ...args: unknown[]) {
      mark(open(args));
      try {
        return await method.apply(this, args);
      } finally {
        mark(close);
      }
    };
  };
  bracket(InboundProcessor.prototype, 'runBatch', () => 'b>', 'b<');
  bracket(InboundGateway.prototype, 'receiveMany', (args) => `r${(args[0] as unknown[]).length}>`, 'r<');
  const parse = ParsePool.prototype.parse;
  ParsePool.prototype.parse = function (this: ParsePool, ...args: Parameters<ParsePool['parse']>) {
    const parsing = parse.apply(this, args);
    const settled = () => {
      if (++parsed % 100 === 0) mark(`p${parsed}`);
    };
    parsing.then(settled, settled);
    return parsing;
  };
  return {
    start: () => {
      origin = performance.now();
      marks = [];
    },
    take: () => marks.join(' '),
  };
}
