import { Worker } from 'node:worker_threads';
import { inboundMail, parseInbound, type InboundMail, type InboundMailData, type ParseContext } from './inbound-mail.js';
import type { ParseRequest } from './parse-worker.js';

interface Pending {
  raw: Buffer;
  ctx: ParseContext;
  resolve: (mail: InboundMail) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** it loaded its code and said so */
  started: boolean;
}

const CLOSE_GRACE_MS = 10_000;

type ParseReply = { ready: true } | { id: number; data: InboundMailData } | { id: number; error: { message: string; stack?: string } };

/**
 * Parses raw mails on worker threads: mailparser, the MIME walk, bounce and auto-reply detection, quote trimming and
 * sanitizing are CPU work that would otherwise hold the event loop while the database waits. Each request goes to
 * the worker with the fewest in flight. A worker that dies fails its mails (they end `failed`, for `reprocess`)
 * and is replaced on the next request. A worker that cannot start at all (its script missing, an import failing)
 * turns the pool off: its mails, and all later ones, are parsed on the main thread.
 */
export class ParsePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private inline = false;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly size: number,
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {}

  /**
   * `ahead`: nothing waits for this parse yet (a mail parsed when it is received, for processing later): a worker
   * takes it after every parse that something waits for.
   */
  parse(raw: Buffer, ctx: ParseContext, options: { ahead?: boolean } = {}): Promise<InboundMail> {
    if (this.inline || this.closed || this.size < 1) return parseInbound(raw, ctx);
    let target: PoolWorker;
    try {
      target = this.pick();
    } catch (error) {
      this.inline = true;
      this.onWarning(`parse workers unavailable, parsing on the main thread: ${(error as Error).message}`);
      return parseInbound(raw, ctx);
    }
    const id = ++this.nextId;
    const parsing = new Promise<InboundMail>((resolve, reject) => {
      target.pending.set(id, { raw, ctx, resolve, reject });
      // a copy, handed over without another: the caller keeps its buffer (pooled Buffers must never be transferred)
      const copy = new Uint8Array(raw);
      target.worker.postMessage({ id, raw: copy, ctx, ahead: options.ahead } satisfies ParseRequest, [copy.buffer]);
    });
    this.inFlight.add(parsing);
    const settled = () => this.inFlight.delete(parsing);
    parsing.then(settled, settled);
    return parsing;
  }

  /** parse workers currently running and started (0 when parsing on the main thread) */
  get workerCount(): number {
    return this.inline ? 0 : this.workers.filter((w) => w.started).length;
  }

  /** lets the mails being parsed finish (a shutdown waits for the jobs that need them), then stops the workers */
  async close(): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    clearTimeout(timer);
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private pick(): PoolWorker {
    while (this.workers.length < this.size) this.workers.push(this.spawn());
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { worker: startWorker(), pending: new Map(), started: false };
    entry.worker.unref();
    entry.worker.on('message', (reply: ParseReply) => {
      if ('ready' in reply) {
        entry.started = true;
        return;
      }
      const pending = entry.pending.get(reply.id);
      if (!pending) return;
      entry.pending.delete(reply.id);
      if ('error' in reply) {
        const error = new Error(reply.error.message);
        if (reply.error.stack) error.stack = reply.error.stack;
        pending.reject(error);
      } else {
        pending.resolve(inboundMail(withBuffers(reply.data)));
      }
    });
    const retire = (error: Error) => {
      const i = this.workers.indexOf(entry);
      if (i !== -1) this.workers.splice(i, 1);
      const pending = [...entry.pending.values()];
      entry.pending.clear();
      if (!entry.started && !this.closed) {
        if (!this.inline) this.onWarning(`parse workers unavailable, parsing on the main thread: ${error.message}`);
        this.inline = true;
        for (const p of pending) parseInbound(p.raw, p.ctx).then(p.resolve, p.reject);
        return;
      }
      for (const p of pending) p.reject(error);
    };
    entry.worker.on('error', (error) => retire(new Error(`parse worker failed: ${error.message}`)));
    entry.worker.on('exit', (code) => retire(new Error(`parse worker exited (code ${code})`)));
    return entry;
  }
}

/** attachment contents arrive as Uint8Array; the chatter expects Buffers */
function withBuffers(data: InboundMailData): InboundMailData {
  for (const a of data.attachments) {
    const u8 = a.content as Uint8Array;
    if (!Buffer.isBuffer(u8)) a.content = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  }
  return data;
}

/**
 * The compiled worker next to this file; from TypeScript sources (the test runner), the `.ts` worker, with `.js`
 * specifiers mapped to the `.ts` files (Node strips the types).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./parse-worker.js', here));
  const entry = new URL('./parse-worker.ts', here).href;
  const bootstrap = `require('node:module').register(${JSON.stringify(TS_RESOLVE_HOOK)}); import(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true });
}

const TS_RESOLVE_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    'export async function resolve(s, c, next) { try { return await next(s, c); } catch (e) {' +
      " if (s.endsWith('.js') && c.parentURL && c.parentURL.endsWith('.ts')) return next(s.slice(0, -3) + '.ts', c); throw e; } }",
  );
