import { Inject, Injectable } from '@nestjs/common';
import { ChatterConfig, type ResolvedAliasDomain } from '../chatter.config.js';
import { CHATTER_OPTIONS } from '../chatter.module-definition.js';
import type { ChatterModuleOptions } from '../chatter.options.js';
import { normalizeServers, type OutgoingServer } from '../transport/outgoing-server.js';
import type { MailLayout, OutgoingOptions } from './outgoing.options.js';

/** `outgoing` options with their defaults, checked once at boot. */
@Injectable()
export class OutboundConfig {
  readonly servers: OutgoingServer[];
  readonly batchSize: number;
  readonly workers: number;
  readonly inlineLimit: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly claimTimeoutMs: number;
  readonly sweepIntervalMs: number;
  readonly domain: ResolvedAliasDomain;
  readonly secret: string;
  readonly systemName: string;
  private readonly options: OutgoingOptions;

  constructor(@Inject(CHATTER_OPTIONS) options: ChatterModuleOptions, chatter: ChatterConfig) {
    const o: OutgoingOptions = options.outgoing ?? {};
    this.options = o;
    this.servers = normalizeServers(o.servers ?? []);
    this.batchSize = positiveInt('batchSize', o.batchSize, 100);
    this.workers = positiveInt('workers', o.workers, 2);
    this.inlineLimit = positiveInt('inlineLimit', o.inlineLimit, 50, true);
    this.maxAttempts = positiveInt('retry.maxAttempts', o.retry?.maxAttempts, 8);
    this.retryDelayMs = positiveInt('retry.delayMs', o.retry?.delayMs, 60_000);
    this.maxRetryDelayMs = positiveInt('retry.maxDelayMs', o.retry?.maxDelayMs, 3_600_000);
    this.claimTimeoutMs = positiveInt('claimTimeoutMs', o.claimTimeoutMs, 600_000);
    this.sweepIntervalMs = positiveInt('sweepIntervalMs', o.sweepIntervalMs, 30_000, true);
    this.domain = chatter.defaultDomain;
    this.secret = chatter.secret;
    this.systemName = o.systemName ?? this.domain.name;
  }

  /** `notifications@domain`, or the full `defaultFrom` address */
  get notificationsAddress(): string {
    const from = this.domain.defaultFrom;
    return from.includes('@') ? from.toLowerCase() : `${from}@${this.domain.name}`;
  }

  /** true when `defaultFrom` is a full address: it then replaces every From */
  get forcedFrom(): boolean {
    return this.domain.defaultFrom.includes('@');
  }

  get catchallAddress(): string {
    return `${this.domain.catchall}@${this.domain.name}`;
  }

  baseUrl(): string | undefined {
    const base = typeof this.options.baseUrl === 'function' ? this.options.baseUrl() : this.options.baseUrl;
    return base ? base.replace(/\/+$/, '') : undefined;
  }

  layoutFor(model: string | null): MailLayout | undefined {
    return (model ? this.options.layouts?.[model] : undefined) ?? this.options.layout;
  }

  get recordUrl() {
    return this.options.recordUrl;
  }

  get recordAlias() {
    return this.options.recordAlias;
  }

  /** delay before attempt `attempts + 1`: doubling from `retryDelayMs`, capped */
  retryDelay(attempts: number): number {
    return Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.max(0, attempts - 1));
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (zeroOk ? 0 : 1)) throw new Error(`ChatterModule: outgoing.${name} must be a ${zeroOk ? 'non-negative' : 'positive'} integer`);
  return value;
}
