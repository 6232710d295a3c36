import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import type { AliasContactPolicy } from '../entities/alias.entity.js';
import { runNative } from '../schema/native-query.js';
import { ModelRegistry } from '../model-registry.js';

/** An alias, declared with `@Chatter({ alias })` or stored as an `Alias` row. */
export interface ResolvedAlias {
  name: string;
  domain: string;
  model: string;
  defaults: Record<string, unknown>;
  forceThreadId: string | null;
  contactPolicy: AliasContactPolicy;
  localPartOnly: boolean;
  bounceMessage: string | null;
  source: 'declared' | 'stored';
}

/** What an address is to us. */
export type AddressKind = 'alias' | 'catchall' | 'reply-address' | 'bounce' | 'unknown' | 'foreign';

/** Finds the aliases a mail is addressed to, and tells an SMTP server which recipients exist. */
@Injectable()
export class AliasResolver {
  constructor(
    private readonly models: ModelRegistry,
    private readonly config: ChatterConfig,
  ) {}

  /** aliases declared in code, for the domain they name (default: the first domain) */
  declared(): ResolvedAlias[] {
    return this.models
      .all()
      .filter((m) => m.options.alias)
      .map((m) => {
        const a = m.options.alias!;
        return {
          name: a.name.toLowerCase(),
          domain: (a.domain ?? this.config.defaultDomain.name).toLowerCase(),
          model: m.name,
          defaults: a.defaults ?? {},
          forceThreadId: a.forceThreadId === undefined ? null : String(a.forceThreadId),
          contactPolicy: a.contactPolicy ?? 'everyone',
          localPartOnly: a.localPartOnly ?? false,
          bounceMessage: a.bounceMessage ?? null,
          source: 'declared' as const,
        };
      });
  }

  /** every active alias; a stored alias replaces a declared one with the same address */
  async all(em: EntityManager): Promise<ResolvedAlias[]> {
    // plain rows: every inbound batch reads them, and the ORM's query cost ~0.5 ms of it
    const rows = await runNative<Record<string, unknown>>(
      em,
      'select name, domain, model, defaults, force_thread_id, contact_policy, local_part_only, bounce_message from chatter_alias where active = ?',
      [true],
    );
    const stored = rows.map((a) => ({
      name: String(a.name).toLowerCase(),
      domain: (String(a.domain ?? '') || this.config.defaultDomain.name).toLowerCase(),
      model: String(a.model),
      defaults: (typeof a.defaults === 'string' ? JSON.parse(a.defaults) : a.defaults) ?? {},
      forceThreadId: a.force_thread_id === null || a.force_thread_id === undefined ? null : String(a.force_thread_id),
      contactPolicy: a.contact_policy as AliasContactPolicy,
      localPartOnly: Boolean(a.local_part_only),
      bounceMessage: (a.bounce_message as string | null) ?? null,
      source: 'stored' as const,
    }));
    const key = (a: ResolvedAlias) => `${a.name}@${a.domain}`;
    const byAddress = new Map(this.declared().map((a) => [key(a), a]));
    for (const a of stored) byAddress.set(key(a), a);
    return [...byAddress.values()];
  }

  /** the aliases among `addresses`, each once, in address order */
  async matching(em: EntityManager, addresses: string[]): Promise<{ alias: ResolvedAlias; address: string }[]> {
    return this.matchingIn(await this.all(em), addresses);
  }

  /** `matching`, against aliases already loaded (a batch loads them once) */
  matchingIn(aliases: ResolvedAlias[], addresses: string[]): { alias: ResolvedAlias; address: string }[] {
    const out: { alias: ResolvedAlias; address: string }[] = [];
    for (const address of addresses) {
      const alias = this.find(aliases, address);
      if (alias && !out.some((o) => o.alias === alias)) out.push({ alias, address });
    }
    return out;
  }

  find(aliases: ResolvedAlias[], address: string): ResolvedAlias | undefined {
    const [local, domain] = address.toLowerCase().split('@');
    if (!local || !domain) return undefined;
    return aliases.find((a) => a.name === local && a.domain === domain) ?? aliases.find((a) => a.localPartOnly && a.name === local);
  }

  /** what `address` is: one of our aliases, the catchall (or a signed reply address), the bounce address, or nothing */
  async classify(em: EntityManager, address: string): Promise<AddressKind> {
    const [local, domain] = address.toLowerCase().split('@');
    if (!local || !domain) return 'unknown';
    const aliases = await this.all(em);
    const ours = this.config.domains.find((d) => d.name === domain);
    if (!ours) return aliases.some((a) => a.localPartOnly && a.name === local) ? 'alias' : 'foreign';
    if (this.find(aliases, address)) return 'alias';
    const base = local.split('+')[0];
    if (base === ours.catchall.toLowerCase()) return local.includes('+') ? 'reply-address' : 'catchall';
    if (base === ours.bounce.toLowerCase()) return 'bounce';
    return 'unknown';
  }
}
