import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { InboundEmail, type InboundSourceKind, type InboundStatus } from '../entities/inbound-email.entity.js';
import { columnOf, insertRows } from '../schema/bulk-insert.js';

/** A ledger row to store, as the gateway built it. */
export type LedgerRowValues = Pick<InboundEmail, 'mailbox' | 'raw' | 'size' | 'sha256' | 'messageId' | 'recipients' | 'fallbackModel' | 'envelopeFrom' | 'clientIp'> & {
  sourceKind: InboundSourceKind;
  sourceKey: string;
};

/** A stored row: new, or the one the same source delivered before. */
export interface LedgerEntry {
  id: number;
  duplicate: boolean;
  status: InboundStatus;
}

interface Pending {
  values: LedgerRowValues;
  resolve: (entry: LedgerEntry) => void;
  reject: (error: unknown) => void;
}

/** rows and bytes per ledger group (one INSERT) */
const MAX_ROWS = 200;
const MAX_BYTES = 16 << 20;

/**
 * Writes ledger rows with group commit: rows that arrive while a group is being committed (concurrent SMTP sessions,
 * an IMAP batch, `receiveMany`) go into the next one together, so a burst of mails costs a few commits instead of one
 * each. Every caller still resolves only after its own row is committed. A row whose source already delivered it
 * (same source kind and key) is not stored again: the earlier row is returned as a duplicate. If a group's INSERT
 * fails (a value the database refuses), its rows are written one per INSERT, so one bad row fails alone.
 */
export class LedgerWriter {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(private readonly orm: MikroORM) {}

  write(values: LedgerRowValues): Promise<LedgerEntry> {
    return new Promise((resolve, reject) => {
      this.queue.push({ values, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // a microtask later: every row pushed in the same tick (a `receiveMany`) joins the first group
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitGroup(this.takeGroup());
    } finally {
      this.draining = false;
    }
  }

  private takeGroup(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_ROWS) {
      bytes += this.queue[n].values.size;
      if (n > 0 && bytes > MAX_BYTES) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    let entries: LedgerEntry[];
    try {
      // no explicit transaction: the group is one INSERT, atomic on its own (BEGIN and COMMIT were two more round
      // trips per group); a row another delivery stored first is read back after it, committed by then
      entries = await this.insert(this.orm.em.fork(), group.map((p) => p.values));
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      for (const pending of group) await this.commitGroup([pending]);
      return;
    }
    group.forEach((pending, i) => pending.resolve(entries[i]));
  }

  /**
   * One INSERT for the group, the raw bytes bound as parameters (the ORM would inline them into the SQL text as hex);
   * a row whose source already delivered it is skipped by the unique key.
   */
  private async insert(em: EntityManager, rows: LedgerRowValues[]): Promise<LedgerEntry[]> {
    const key = (r: { sourceKind: string; sourceKey: string }) => `${r.sourceKind}\0${r.sourceKey}`;
    const firsts = new Map<string, LedgerRowValues>();
    for (const row of rows) if (!firsts.has(key(row))) firsts.set(key(row), row);
    const receivedAt = new Date();
    const values = [...firsts.values()].map((r) => [...columnValues(r), receivedAt, false]);
    const meta = em.getMetadata().get(InboundEmail);
    const columns = PROPERTIES.map((p) => columnOf(meta, p));
    const inserted = (await insertRows(em, meta.tableName, columns.map((c) => c.name), values, {
      types: columns.map((c) => c.type),
      onConflict: 'on conflict (source_kind, source_key) do nothing',
      returning: ['id', 'source_kind', 'source_key'],
    })) as { id: number | string; source_kind: string; source_key: string }[];
    const entries = new Map<string, LedgerEntry>();
    for (const row of inserted) entries.set(key({ sourceKind: row.source_kind, sourceKey: row.source_key }), { id: Number(row.id), duplicate: false, status: 'received' });
    const known = [...firsts.values()].filter((r) => !entries.has(key(r))).map((r) => r.sourceKey);
    for (let i = 0; i < known.length; i += 500) {
      const existing = await em.find(
        InboundEmail,
        { sourceKey: { $in: known.slice(i, i + 500) } },
        { fields: ['id', 'status', 'sourceKind', 'sourceKey'], disableIdentityMap: true },
      );
      for (const row of existing) if (!entries.has(key(row))) entries.set(key(row), { id: row.id, duplicate: true, status: row.status });
    }
    const seen = new Set<string>();
    return rows.map((row) => {
      const k = key(row);
      const entry = entries.get(k);
      if (!entry) throw new Error(`inbound ledger: the row for ${row.sourceKind} ${row.sourceKey} was neither stored nor found`);
      // the first of two identical deliveries in one group is the new row; the second its duplicate
      const duplicate = entry.duplicate || seen.has(k);
      seen.add(k);
      return { ...entry, duplicate };
    });
  }
}

/** the ledger's properties a new row sets: `columnValues`' and then `receivedAt` and `autoReply` */
const PROPERTIES = ['sourceKind', 'sourceKey', 'mailbox', 'raw', 'size', 'sha256', 'messageId', 'recipients', 'fallbackModel', 'envelopeFrom', 'clientIp', 'status', 'attempts', 'receivedAt', 'autoReply'];

/** the row's values in the order of `PROPERTIES`, with the defaults the entity would give it */
function columnValues(r: LedgerRowValues): unknown[] {
  const recipients = r.recipients === null ? null : JSON.stringify(r.recipients);
  return [r.sourceKind, r.sourceKey, r.mailbox, r.raw, r.size, r.sha256, r.messageId, recipients, r.fallbackModel, r.envelopeFrom, r.clientIp, 'received', 0];
}
