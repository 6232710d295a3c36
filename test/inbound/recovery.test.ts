import { describe, expect, it } from 'vitest';
import { Alias, InboundEmail, Message } from '../../lib/index.js';
import { createTestDatabase, DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost } from './support/inbound-host.js';

describe.each(DIALECTS)('inbound ledger recovery on %s', (dialect) => {
  it('a mail committed but never processed (the process died) is processed once after a restart', async () => {
    const db = await createTestDatabase(dialect);
    try {
      // the first process stores and acknowledges, then stops before any processing ran
      const first = await startInboundHost(dialect, { db, incoming: { autoProcess: false } });
      const res = await relay(first, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Survives a crash' }));
      expect(res.status).toBe(202);
      await first.close(true);

      // and one that was claimed by a worker that died mid-processing
      const second = await startInboundHost(dialect, { db, incoming: { autoProcess: false } });
      const claimed = await relay(second, mail({ from: 'bob@outside.test', to: `support@${DOMAIN}`, subject: 'Claimed then crashed' }));
      await second.em().nativeUpdate(InboundEmail, { id: claimed.body.id }, { status: 'processing', claimedAt: new Date(Date.now() - 3_600_000), attempts: 1 });
      expect((await second.em().findOneOrFail(InboundEmail, res.body.id)).status).toBe('received');
      await second.close(true);

      const restarted = await startInboundHost(dialect, { db });
      await restarted.settle();
      const rows = await restarted.em().find(InboundEmail, {}, { orderBy: { id: 'asc' } });
      expect(rows.map((r) => [r.status, r.attempts])).toEqual([['delivered', 1], ['delivered', 2]]);
      await restarted.close(true);

      const again = await startInboundHost(dialect, { db });
      await again.settle();
      expect(await again.em().count(Message, { subject: 'Survives a crash' })).toBe(1);
      expect(await again.em().count(Message, { subject: 'Claimed then crashed' })).toBe(1);
      await again.close(true);
    } finally {
      await db.drop();
    }
  });

  it('reprocess re-routes a stored mail after a configuration fix; purge drops old raw bytes', async () => {
    const host = await startInboundHost(dialect);
    try {
      const res = await relay(host, mail({ from: 'carol@outside.test', to: `help@${DOMAIN}`, subject: 'Nobody home' }));
      expect(await host.row(res.body.id)).toMatchObject({ status: 'rejected', decision: 'no-route' });
      const em = host.em();
      em.persist(em.create(Alias, { name: 'help', model: 'ticket' }));
      await em.flush();
      const again = await host.gateway.reprocess(res.body.id);
      expect(again).toMatchObject({ status: 'delivered', decision: 'alias', resModel: 'ticket' });
      expect(again.reason).toBe(`alias help@${DOMAIN} → new ticket ${again.resId}`);

      const later = new Date(Date.now() + 31 * 24 * 3_600_000);
      expect(await host.gateway.purge(later)).toEqual({ rawPurged: 1, rowsDeleted: 0 });
      const row = await host.em().findOneOrFail(InboundEmail, res.body.id, { populate: ['raw'] });
      expect(row.raw).toBeNull();
      expect(row.purgedAt).not.toBeNull();
      await expect(host.gateway.reprocess(res.body.id)).rejects.toThrow('its raw bytes were purged');
      expect(await host.gateway.purge(new Date(Date.now() + 400 * 24 * 3_600_000))).toEqual({ rawPurged: 0, rowsDeleted: 1 });
    } finally {
      await host.close();
    }
  });
});
