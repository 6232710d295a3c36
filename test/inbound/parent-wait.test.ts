import { describe, expect, it } from 'vitest';
import { Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost } from './support/inbound-host.js';

describe.each(DIALECTS)('a reply whose parent mail is still being processed (%s)', (dialect) => {
  it('waits for it and lands in its thread, instead of opening a new record; it waits 10 claims at most', async () => {
    const host = await startInboundHost(dialect, { incoming: { autoProcess: false } });
    try {
      const parent = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, cc: 'bob@outside.test', subject: 'Printer on fire', messageId: '<parent-1@outside.test>' }));
      const reply = await relay(host, mail({ from: 'bob@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: '<parent-1@outside.test>' }));

      // the reply comes first (another worker has the parent): it goes back to the ledger, untouched
      const waited = await host.gateway.process(reply.body.id);
      expect(waited).toMatchObject({ status: 'received', attempts: 1, resId: null });
      expect(await host.em().count(Message, { messageType: 'email' })).toBe(0);

      const first = await host.gateway.process(parent.body.id);
      expect(first).toMatchObject({ status: 'delivered', resModel: 'ticket' });
      const second = await host.gateway.process(reply.body.id);
      expect(second).toMatchObject({ status: 'delivered', resModel: 'ticket', resId: first!.resId, attempts: 2 });
      expect(second!.reason).toContain('reply');

      // a parent that never gets processed holds its replies back for 10 claims, not for ever
      await relay(host, mail({ from: 'carol@outside.test', to: `support@${DOMAIN}`, subject: 'Stuck', messageId: '<parent-2@outside.test>' }));
      const orphan = await relay(host, mail({ from: 'dan@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Stuck', references: '<parent-2@outside.test>' }));
      const statuses: string[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await host.gateway.process(orphan.body.id))!.status);
      expect(statuses).toEqual([...Array(9).fill('received'), 'delivered']);
      const routed = await host.row(orphan.body.id);
      expect(routed.resId).not.toBe(first!.resId);
    } finally {
      await host.close();
    }
  });
});
