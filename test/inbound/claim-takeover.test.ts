import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundEmail, Message } from '../../lib/index.js';
import { InboundProcessor } from '../../lib/gateway/inbound-processor.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, startInboundHost, type InboundHost } from './support/inbound-host.js';

const LEASE_MS = 300;

/**
 * A processing job claims all its mails when it starts and routes them batch after batch. When an early batch is
 * slow, the later mails' claims expire and another worker (the sweep, on any replica) takes them over and delivers
 * them. The first job must then leave them alone: routing them again would find the message already posted and
 * overwrite `delivered` with `ignored (duplicate)`.
 */
describe.each(DIALECTS)('an expired processing claim taken over by another worker on %s', (dialect) => {
  let host: InboundHost;
  beforeAll(async () => {
    host = await startInboundHost(dialect, {
      incoming: {
        // no sweep and no processing at receipt: this test runs the two workers itself
        autoProcess: false,
        batchSize: 1,
        processingLeaseMs: LEASE_MS,
        models: {
          ticket: {
            // a slow host hook: the job's first batch outlives the lease of the mails after it
            onMessageNew: async (m, defaults) => {
              if (m.subject === 'Slow') await new Promise((r) => setTimeout(r, LEASE_MS * 3));
              return defaults;
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('is delivered once by the worker that took it over, and the first worker leaves it alone', async () => {
    const slow = await host.gateway.receive(Buffer.from(mail({ from: 'slow@outside.test', to: `support@${DOMAIN}`, subject: 'Slow' })), { kind: 'http' });
    const later = await host.gateway.receive(Buffer.from(mail({ from: 'later@outside.test', to: `support@${DOMAIN}`, subject: 'Taken over' })), { kind: 'http' });
    const processor = host.app.get(InboundProcessor);

    const first = processor.processMany([slow.id, later.id]);
    // while the first job is in its slow batch, the later mail's claim expires and another worker takes it
    await new Promise((r) => setTimeout(r, LEASE_MS * 1.5));
    await processor.processMany([later.id]);
    expect(await host.em().findOneOrFail(InboundEmail, later.id)).toMatchObject({ status: 'delivered', attempts: 2 });
    await first;

    const rows = await host.em().find(InboundEmail, { id: { $in: [slow.id, later.id] } }, { orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.status, r.decision, r.attempts])).toEqual([['delivered', 'alias', 1], ['delivered', 'alias', 2]]);
    expect(await host.em().count(Message, { subject: 'Taken over' })).toBe(1);
  });
});
