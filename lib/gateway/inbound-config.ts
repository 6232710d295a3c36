import { availableParallelism } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { ChatterConfig } from '../chatter.config.js';
import { CHATTER_OPTIONS } from '../chatter.module-definition.js';
import type { ChatterModuleOptions, IncomingOptions, InboundModelHooks } from '../chatter.options.js';

/** The `incoming` options with their defaults, checked at boot. */
@Injectable()
export class InboundConfig {
  readonly relayToken: string | undefined;
  readonly smtpListen: { host: string; port: number } | undefined;
  readonly smtpMaxRecipients: number;
  readonly replyTokenMaxAgeMs: number;
  readonly smtpMaxConnectionsPerIp: number;
  readonly smtpTls: { key: string | Buffer; cert: string | Buffer } | undefined;
  readonly maxBytes: number;
  readonly rawRetentionDays: number;
  readonly ledgerRetentionDays: number;
  readonly fallbackModel: string | undefined;
  readonly loopLimit: number;
  readonly loopWindowMs: number;
  readonly bounceThreshold: number;
  readonly answerRefusals: boolean;
  readonly autoProcess: boolean;
  readonly batchSize: number;
  readonly parseWorkers: number;
  /** a claim older than this is a crashed worker's */
  readonly processingLeaseMs: number;
  private readonly hooks: Record<string, InboundModelHooks>;

  constructor(@Inject(CHATTER_OPTIONS) options: ChatterModuleOptions, readonly chatter: ChatterConfig) {
    const o: IncomingOptions = options.incoming ?? {};
    this.relayToken = o.relayToken || undefined;
    if (this.relayToken !== undefined && this.relayToken.length < 16) {
      throw new Error('ChatterModule: `incoming.relayToken` must be at least 16 characters');
    }
    this.smtpListen = o.smtpListen ? parseListen(o.smtpListen) : undefined;
    this.replyTokenMaxAgeMs = positive(o.replyTokenMaxAgeDays, 365, 'incoming.replyTokenMaxAgeDays') * 86_400_000;
    this.smtpMaxRecipients = Math.floor(positive(o.smtpLimits?.maxRecipients, 100, 'incoming.smtpLimits.maxRecipients'));
    this.smtpMaxConnectionsPerIp = Math.floor(positive(o.smtpLimits?.maxConnectionsPerIp, 50, 'incoming.smtpLimits.maxConnectionsPerIp'));
    if (o.smtpTls && (!o.smtpTls.key || !o.smtpTls.cert)) throw new Error('ChatterModule: `incoming.smtpTls` needs both `key` and `cert` (PEM)');
    this.smtpTls = o.smtpTls || undefined;
    this.maxBytes = positive(o.maxBytes, 25 << 20, 'incoming.maxBytes');
    this.rawRetentionDays = positive(o.rawRetentionDays, 30, 'incoming.rawRetentionDays');
    this.ledgerRetentionDays = positive(o.ledgerRetentionDays, 365, 'incoming.ledgerRetentionDays');
    this.fallbackModel = o.fallbackModel || undefined;
    this.loopLimit = positive(o.loop?.limit, 20, 'incoming.loop.limit');
    this.loopWindowMs = positive(o.loop?.windowMinutes, 120, 'incoming.loop.windowMinutes') * 60_000;
    this.bounceThreshold = positive(o.bounceThreshold, 5, 'incoming.bounceThreshold');
    this.answerRefusals = o.answerRefusals ?? true;
    this.autoProcess = o.autoProcess ?? true;
    this.batchSize = Math.floor(positive(o.batchSize, 50, 'incoming.batchSize'));
    this.processingLeaseMs = positive(o.processingLeaseMs, 5 * 60_000, 'incoming.processingLeaseMs');
    if (o.parseWorkers !== undefined && !(Number.isInteger(o.parseWorkers) && o.parseWorkers >= 0)) {
      throw new Error('ChatterModule: `incoming.parseWorkers` must be a whole number, 0 or more');
    }
    this.parseWorkers = o.parseWorkers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    this.hooks = o.models ?? {};
  }

  hooksFor(model: string): InboundModelHooks {
    return this.hooks[model] ?? {};
  }

  /** our bounce addresses, per domain */
  get bounceAddresses(): { local: string; domain: string }[] {
    return this.chatter.domains.map((d) => ({ local: d.bounce.toLowerCase(), domain: d.name }));
  }

  isOurDomain(domain: string): boolean {
    return this.chatter.domains.some((d) => d.name === domain.toLowerCase());
  }
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`ChatterModule: incoming.smtpListen must be "host:port" or a port, got ${JSON.stringify(value)}`);
  return { host: m[1] || '127.0.0.1', port };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new Error(`ChatterModule: \`${name}\` must be a positive number`);
  return value;
}
