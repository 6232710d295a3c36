import { describe, expect, it } from 'vitest';
import { InboundEmail, Message, Partner } from '../../lib/index.js';
import { InboundProcessor } from '../../lib/gateway/inbound-processor.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost } from './support/inbound-host.js';

describe.each(DIALECTS)('two workers processing mails of one new sender at once (%s)', (dialect) => {
  it('every mail is delivered with one partner per sender: a batch that lost the race for a new partner runs again', async () => {
    const host = await startInboundHost(dialect, { incoming: { autoProcess: false } });
    try {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await relay(host, mail({ from: `Newcomer ${i % 2} <newcomer${i % 2}@outside.test>`, to: `support@${DOMAIN}`, subject: `Question ${i}` }))).body.id);
      }
      const processor = host.app.get(InboundProcessor);
      // six "workers", one mail each: every one inserts the sender's new partner, all but one lose that race
      await Promise.all(ids.map((id) => processor.processMany([id])));
      const rows = await Promise.all(ids.map((id) => host.row(id)));
      expect(rows.map((r) => `${r.status} ${r.decision}`)).toEqual(Array(6).fill('delivered alias'));
      expect(await host.em().count(Partner, { email: { $in: ['newcomer0@outside.test', 'newcomer1@outside.test'] } })).toBe(2);
    } finally {
      await host.close();
    }
  });

  it('jobs that fill up with fresh rows at once claim each row once: every mail posted exactly once, oldest first', async () => {
    const host = await startInboundHost(dialect, { incoming: { autoProcess: false } });
    try {
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await relay(host, mail({ from: `fresh${i}@outside.test`, to: `support@${DOMAIN}`, subject: `Fresh ${i}` }))).body.id);
      }
      const processor = host.app.get(InboundProcessor);
      // four jobs of no rows of their own, each filling up with up to five fresh rows: a row is claimed by one job or
      // none (a job whose pick another took meanwhile takes fewer), never by two
      await Promise.all([5, 5, 5, 5].map((fresh) => processor.processMany([], fresh)));
      const rows = await Promise.all(ids.map((id) => host.row(id)));
      for (const r of rows) expect(['delivered alias 1', 'received null 0']).toContain(`${r.status} ${r.decision} ${r.attempts}`);
      const delivered = rows.filter((r) => r.status === 'delivered').length;
      expect(delivered).toBeGreaterThanOrEqual(5);
      expect(await host.em().count(Message, { messageType: 'email' })).toBe(delivered);
      // the next job takes the rest
      await processor.processMany([], 12);
      expect((await Promise.all(ids.map((id) => host.row(id)))).map((r) => `${r.status} ${r.attempts}`)).toEqual(Array(12).fill('delivered 1'));
      expect(await host.em().count(Message, { messageType: 'email' })).toBe(12);
      // a job with rows of its own fills up with the oldest fresh row, not one of its own twice
      const more = [];
      for (let i = 0; i < 3; i++) more.push((await relay(host, mail({ from: `later${i}@outside.test`, to: `support@${DOMAIN}`, subject: `Later ${i}` }))).body.id);
      await processor.processMany([more[2]], 1);
      expect((await Promise.all(more.map((id) => host.row(id)))).map((r) => r.status)).toEqual(['delivered', 'received', 'delivered']);
      expect(await host.em().count(InboundEmail, { status: 'received' })).toBe(1);
    } finally {
      await host.close();
    }
  });
});
