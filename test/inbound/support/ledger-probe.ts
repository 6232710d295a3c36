import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import { InboundEmail } from '../../../lib/index.js';
import { ormConfigFromUrl } from '../../../sample-app/orm-config.js';
import type { TestDatabase } from '../../support/database.js';

export interface LedgerRow {
  id: number;
  messageId: string;
  status: string;
  sourceKind: string;
}

export interface ThreadMessage {
  messageId: string;
  resModel: string;
  resId: string;
}

/**
 * Reads the chatter's tables straight from the database while another process (the sample app) writes them: plain
 * SQL on a connection of its own, no identity map. SQLite runs in WAL mode, so these reads never block the app's commits.
 */
export class LedgerProbe {
  private constructor(private readonly orm: MikroORM) {}

  static async open(db: TestDatabase): Promise<LedgerProbe> {
    return new LedgerProbe(await MikroORM.init(ormConfigFromUrl(db.url, [InboundEmail], { allowGlobalContext: true, debug: false, pool: { min: 0, max: 1 } })));
  }

  close(): Promise<void> {
    return this.orm.close(true);
  }

  private query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return (this.orm.em.getConnection() as AbstractSqlConnection).execute(sql, params, 'all');
  }

  /** every ledger row (the table may not exist yet while the app boots: then none) */
  async ledger(): Promise<LedgerRow[]> {
    const rows = await this.query('select id, message_id, status, source_kind from chatter_inbound_email order by id').catch((error: Error) => {
      if (/no such table|does not exist/.test(error.message)) return [];
      throw error;
    });
    return rows.map((r) => ({ id: Number(r.id), messageId: String(r.message_id), status: String(r.status), sourceKind: String(r.source_kind) }));
  }

  /** the messages posted from mails with these Message-IDs */
  async messages(messageIds: string[]): Promise<ThreadMessage[]> {
    const out: ThreadMessage[] = [];
    for (let i = 0; i < messageIds.length; i += 200) {
      const chunk = messageIds.slice(i, i + 200);
      const rows = await this.query(`select message_id, res_model, res_id from chatter_message where message_id in (${chunk.map(() => '?').join(', ')})`, chunk);
      out.push(...rows.map((r) => ({ messageId: String(r.message_id), resModel: String(r.res_model), resId: String(r.res_id) })));
    }
    return out;
  }

  /** the outgoing mails (relays to followers) announcing the messages with these Message-IDs: one recipient each */
  async relays(messageIds: string[]): Promise<{ messageId: string; to: string }[]> {
    const out: { messageId: string; to: string }[] = [];
    for (let i = 0; i < messageIds.length; i += 200) {
      const chunk = messageIds.slice(i, i + 200);
      const rows = await this.query(
        `select m.message_id, o.email_to from chatter_outgoing_mail o join chatter_message m on m.id = o.message_id where m.message_id in (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      out.push(...rows.map((r) => ({ messageId: String(r.message_id), to: String(r.email_to) })));
    }
    return out;
  }

  /** every ticket's id and subject */
  async tickets(): Promise<{ id: number; subject: string }[]> {
    return (await this.query('select id, subject from ticket order by id')).map((r) => ({ id: Number(r.id), subject: String(r.subject) }));
  }
}
