import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ChatterConfig } from '../chatter.config.js';
import { InboundConfig } from './inbound-config.js';
import type { InboundMail, ParseContext } from './inbound-mail.js';
import { ParsePool } from './parse-pool.js';

/**
 * Parses started at receive time — queued on a worker, running, or done and not yet taken by processing — at most
 * this many raw bytes' worth: past it a mail is not parsed ahead, and the oldest kept parses are dropped first;
 * processing then reads the raw bytes back. A burst of big mails never piles up in memory. A parse counts from its
 * start until it settles and from when it is kept until it is taken (twice in between: the bound errs low).
 */
const MAX_AHEAD_BYTES = 64 << 20;

/**
 * Parses raw mails for processing: on `incoming.parseWorkers` worker threads, or on the main thread with 0.
 * A mail can be parsed as soon as it is received (`keep`): processing its ledger row then takes that result
 * (`take`) instead of reading the raw bytes back from the database and parsing them then.
 */
@Injectable()
export class InboundParser implements OnApplicationShutdown {
  private readonly logger = new Logger('ChatterInbound');
  private readonly pool: ParsePool;
  private readonly kept = new Map<number, { parsing: Promise<InboundMail>; bytes: number }>();
  private keptBytes = 0;
  /** bytes of parses started ahead and not settled yet */
  private pendingBytes = 0;

  private readonly maxBodyBytes: number;

  constructor(config: InboundConfig, chatter: ChatterConfig) {
    this.pool = new ParsePool(config.parseWorkers, (message) => this.logger.warn(message));
    this.maxBodyBytes = chatter.maxBodyBytes;
  }

  /** a parse processing waits for */
  parse(raw: Buffer, ctx: ParseContext): Promise<InboundMail> {
    return this.pool.parse(raw, { maxBodyBytes: this.maxBodyBytes, ...ctx });
  }

  /**
   * A parse started before anything waits for it (at receive time, for `keep`): it yields to `parse`'s. Undefined
   * when the bytes parsed ahead are at their limit.
   */
  parseAhead(raw: Buffer, ctx: ParseContext): Promise<InboundMail> | undefined {
    if (this.pendingBytes + this.keptBytes + raw.length > MAX_AHEAD_BYTES) return undefined;
    this.pendingBytes += raw.length;
    const parsing = this.pool.parse(raw, { maxBodyBytes: this.maxBodyBytes, ...ctx }, { ahead: true });
    const settled = () => (this.pendingBytes -= raw.length);
    parsing.then(settled, settled);
    return parsing;
  }

  /** keeps the parse of ledger row `id`'s raw bytes (`bytes` long), for `take` */
  keep(id: number, parsing: Promise<InboundMail>, bytes: number): void {
    this.take(id);
    this.kept.set(id, { parsing, bytes });
    this.keptBytes += bytes;
    for (const [oldest, entry] of this.kept) {
      if (this.keptBytes <= MAX_AHEAD_BYTES) break;
      this.kept.delete(oldest);
      this.keptBytes -= entry.bytes;
    }
  }

  /** the parse kept for row `id`, once */
  take(id: number): Promise<InboundMail> | undefined {
    const entry = this.kept.get(id);
    if (!entry) return undefined;
    this.kept.delete(id);
    this.keptBytes -= entry.bytes;
    return entry.parsing;
  }

  async onApplicationShutdown(): Promise<void> {
    this.kept.clear();
    this.keptBytes = 0;
    await this.pool.close();
  }
}
