import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_LOOKUPS } from '../../lib/router/routing-lookups.js';
import { startInboundHost, type InboundHost } from './support/inbound-host.js';

/**
 * Every inbound batch reads the ledger by Message-ID and by sender. The ledger keeps a year of mail, so these reads
 * must use their indexes: with a status condition, SQLite chose the status index and read every delivered row of the
 * ledger for every batch (~9 ms a batch at 6,000 rows, 140–180 ms per 1,000 mails, growing with the ledger).
 * SQLite plans without statistics, so its plan is fixed by the schema and the query text (PostgreSQL plans by its
 * statistics and is not checked here).
 */
describe('the batch look-ups on sqlite', () => {
  let host: InboundHost;
  beforeAll(async () => {
    host = await startInboundHost('sqlite');
  });
  afterAll(async () => {
    await host?.close();
  });

  async function plan(sql: string, params: unknown[]): Promise<string> {
    const rows = (await host.em().getConnection().execute(`explain query plan ${sql}`, params)) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  }

  it('reads the ledger by Message-ID on the Message-ID index', async () => {
    const ids = ['<a@x.test>', '<b@x.test>', '<c@x.test>'];
    const detail = await plan(LEDGER_LOOKUPS.byMessageId(ids.length), ids);
    expect(detail).toContain('chatter_inbound_email_message_id_idx');
    expect(detail).not.toContain('status_idx');
  });

  it('counts a sender’s recent mails on the sender index', async () => {
    const senders = ['a@x.test', 'b@x.test'];
    const detail = await plan(LEDGER_LOOKUPS.loopCounts(senders.length), [...senders, Date.now()]);
    expect(detail).toContain('chatter_inbound_email_sender_idx');
    expect(detail).not.toContain('status_idx');
  });
});
