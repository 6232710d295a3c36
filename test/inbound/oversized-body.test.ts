import { describe, expect, it } from 'vitest';
import { Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost } from './support/inbound-host.js';

describe.each(DIALECTS)('a mail whose body is over maxBodyBytes (%s)', (dialect) => {
  it('is posted cut to the limit, with a note, and kept whole in the ledger', async () => {
    const host = await startInboundHost(dialect);
    try {
      const body = Array.from({ length: 30_000 }, (_, i) => `Line ${i} of a very long log that someone pasted into a mail.`).join('\n');
      const res = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Huge log', body }));
      expect(Buffer.byteLength(body)).toBeGreaterThan(1 << 20);
      const row = await host.row(res.body.id);
      expect(row).toMatchObject({ status: 'delivered', resModel: 'ticket' });
      const message = await host.em().findOneOrFail(Message, row.postedMessageId!);
      expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(1 << 20);
      expect(message.body).toContain('Line 0 of a very long log');
      expect(message.body).toContain('[message truncated: the full mail is kept in the inbound ledger]');
      expect(message.preview.startsWith('Line 0 of a very long log')).toBe(true);
    } finally {
      await host.close();
    }
  });
});
