/**
 * A parse worker (see ParsePool): parses raw mails off the main thread and answers with plain data. Imports only
 * the parsing code — no Nest, no ORM.
 *
 * One mail at a time, from two lanes: mails processing waits for go before mails parsed ahead (at receive time,
 * for later). A burst of received mails queues hundreds ahead; a mail whose raw bytes processing had to read back
 * (too big to be parsed ahead) must not wait behind them all.
 */
import { parentPort } from 'node:worker_threads';
import { parseInboundData, type InboundMailData, type ParseContext } from './inbound-mail.js';

export interface ParseRequest {
  id: number;
  raw: Uint8Array;
  ctx: ParseContext;
  /** parsed ahead of need: yields to every request without it */
  ahead?: boolean;
}

/**
 * A parse that has not settled by then fails (its mail ends `failed`, for `reprocess`) and the worker moves on: one
 * mail whose parse never ends must not hold up every mail behind it.
 */
const PARSE_TIMEOUT_MS = 60_000;

/** the parse running now, which the watchdog fails once it has run PARSE_TIMEOUT_MS */
let running: { startedAt: number; fail(error: Error): void } | undefined;
// one timer for the worker, not one per mail: a timer and a race per parse cost ~25 µs of its ~0.4 ms
setInterval(() => {
  if (running && Date.now() - running.startedAt > PARSE_TIMEOUT_MS) running.fail(new Error(`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`));
}, 1000).unref();

const waiting: ParseRequest[] = [];
const ahead: ParseRequest[] = [];
let busy = false;

parentPort?.postMessage({ ready: true });
parentPort?.on('message', (request: ParseRequest) => {
  (request.ahead ? ahead : waiting).push(request);
  if (!busy) void next();
});

async function next(): Promise<void> {
  busy = true;
  for (let request = take(); request; request = take()) await answer(request);
  busy = false;
}

function take(): ParseRequest | undefined {
  return waiting.shift() ?? ahead.shift();
}

async function answer(request: ParseRequest): Promise<void> {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  try {
    const data = await parseWatched(raw, request.ctx);
    // attachment bytes move to the main thread instead of being copied (each into a buffer of its own first:
    // mailparser's may share a pooled one)
    const moved: ArrayBuffer[] = [];
    for (const a of data.attachments) {
      const own = new Uint8Array(a.content);
      a.content = own as Buffer;
      moved.push(own.buffer);
    }
    parentPort!.postMessage({ id: request.id, data }, moved);
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ id: request.id, error: { message: String(e?.message ?? e), stack: e?.stack } });
  } finally {
    running = undefined;
  }
}

/** the parse, failed by the watchdog if it never settles (it may still settle later: nobody listens then) */
function parseWatched(raw: Buffer, ctx: ParseContext): Promise<InboundMailData> {
  return new Promise((resolve, reject) => {
    running = { startedAt: Date.now(), fail: reject };
    parseInboundData(raw, ctx).then(resolve, reject);
  });
}
