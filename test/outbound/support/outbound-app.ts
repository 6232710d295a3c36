import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Chatter, OutboxSender, Partner, type OutgoingOptions } from '../../../lib/index.js';
import { startChatter, type ChatterTesting, type ChatterTestingOptions } from '../../support/chatter-testing.js';
import type { Dialect } from '../../support/database.js';

/** The host record the outbound tests post on. */
@Chatter({ model: 'case' })
@Entity({ tableName: 'outbound_case' })
export class Case {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 256 })
  name!: string;
}

export interface OutboundTesting extends ChatterTesting {
  sender: OutboxSender;
  /** a new case, as `{ model, id }` */
  newCase(name?: string): Promise<{ model: string; id: string }>;
  /** a partner (created when missing) with these fields */
  partner(email: string, fields?: Partial<Pick<Partner, 'name' | 'userId' | 'notificationPreference' | 'blacklisted' | 'active'>>): Promise<Partner>;
}

/** A host with the `case` model and these outgoing options; retries and sweeps fast enough for tests. */
export async function startOutbound(dialect: Dialect, outgoing: OutgoingOptions, options: ChatterTestingOptions = {}): Promise<OutboundTesting> {
  const app = await startChatter(dialect, {
    ...options,
    entities: [Case, ...(options.entities ?? [])],
    chatter: {
      ...options.chatter,
      outgoing: { retry: { delayMs: 200, maxDelayMs: 1000, maxAttempts: 6 }, sweepIntervalMs: 250, ...outgoing },
    },
  });
  return {
    ...app,
    sender: app.app.get(OutboxSender),
    async newCase(name = 'Printer on fire') {
      const em = app.em();
      const record = em.create(Case, { name });
      await em.persist(record).flush();
      return { model: 'case', id: String(record.id) };
    },
    async partner(email, fields = {}) {
      const em = app.em();
      let partner = await em.findOne(Partner, { email });
      if (!partner) {
        partner = em.create(Partner, { email, name: fields.name ?? email });
        em.persist(partner);
      }
      Object.assign(partner, fields);
      await em.flush();
      return partner;
    },
  };
}
