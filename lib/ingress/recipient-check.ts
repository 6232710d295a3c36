import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { InboundConfig } from '../gateway/inbound-config.js';
import { AliasResolver } from '../router/alias-resolver.js';

export type RecipientVerdict = { ok: true } | { ok: false; code: 'no_such_recipient' | 'relay_denied'; message: string };

/**
 * Decides at the door (SMTP RCPT TO, the relay's recipient) whether an address exists, so unknown recipients are
 * refused by the sending server (its bounce, not ours: no backscatter). Aliases, the catch-all (and its signed reply
 * addresses) and the bounce address exist; with a fallback model, every address of our domains does.
 */
@Injectable()
export class RecipientCheck {
  constructor(
    private readonly orm: MikroORM,
    private readonly aliases: AliasResolver,
    private readonly config: InboundConfig,
  ) {}

  async check(address: string): Promise<RecipientVerdict> {
    const kind = await this.aliases.classify(this.orm.em.fork(), address.trim().toLowerCase());
    if (kind === 'foreign') return { ok: false, code: 'relay_denied', message: `we do not accept mail for ${address}` };
    if (kind === 'unknown' && !this.config.fallbackModel) return { ok: false, code: 'no_such_recipient', message: `no such recipient: ${address}` };
    return { ok: true };
  }
}
