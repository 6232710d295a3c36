import { describe, expect, it } from 'vitest';
import { Partner } from '../../lib/index.js';
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
});
