import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/core';
import { InboundEmail } from '../../lib/index.js';
import { bulkInsert } from '../../lib/schema/bulk-insert.js';
import { updateRows } from '../../lib/schema/row-updates.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';

/**
 * `bulkInsert` and `updateRows` write a batch's rows with bound values: on PostgreSQL one array per column (an array
 * literal the driver writes and the server reads back), on SQLite a VALUES list. Whatever a mail puts in a value must
 * come back byte for byte: quotes, backslashes, braces and commas (an array literal's syntax), the word NULL, empty
 * strings, non-ASCII text, arbitrary bytes, JSON, dates, booleans, nulls.
 */
const AWKWARD = ['plain', '', 'NULL', 'null', '"quoted" and \\back\\slashed\\', '{braces},{commas}', "it's", 'tab\tnew\nline\r\n', 'ünïcödé ✉ 你好 😀', ' padded  '];

describe.each(DIALECTS)('bulk writes on %s', (dialect) => {
  let app: ChatterTesting;
  beforeAll(async () => {
    app = await startChatter(dialect);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('store and update every kind of value as it was given', async () => {
    const received = new Date('2026-03-04T05:06:07.000Z');
    const raw = (i: number) => Buffer.from([0, 1, 2, 0x5c, 0x22, 0x7b, 0x7d, 0x2c, 0xff, 0xfe, i]);
    const rows = AWKWARD.map((text, i) => ({
      sourceKind: 'http',
      sourceKey: `bulk-${dialect}-${i}`,
      mailbox: text,
      raw: i % 3 === 2 ? null : raw(i),
      size: i * 1000,
      sha256: `${i}`.padStart(64, '0'),
      messageId: `<${i}.${text.length}@bulk.test>`,
      recipients: i % 2 ? [text, `r${i}@bulk.test`] : null,
      fallbackModel: i % 4 === 0 ? null : text,
      status: 'received',
      attempts: 0,
      receivedAt: received,
      autoReply: i % 2 === 1,
    }));
    const ids = (await bulkInsert(app.em(), InboundEmail, rows, ['id', 'sourceKey'])).map((r) => ({ id: Number(r.id), key: r.sourceKey as string }));
    expect(ids.map((r) => r.key).sort()).toEqual(rows.map((r) => r.sourceKey).sort());

    const stored = async () => {
      const found = await app.em().find(InboundEmail, { sourceKey: { $like: `bulk-${dialect}-%` } }, { populate: ['raw'], orderBy: { id: 'asc' } });
      return new Map(found.map((row) => [row.sourceKey, row]));
    };
    let byKey = await stored();
    for (const [i, row] of rows.entries()) {
      const got = byKey.get(row.sourceKey)!;
      expect(got.mailbox).toBe(row.mailbox);
      expect(got.raw ? Buffer.from(got.raw).toString('hex') : null).toBe(row.raw ? row.raw.toString('hex') : null);
      expect(got.size).toBe(row.size);
      expect(got.recipients).toEqual(row.recipients);
      expect(got.fallbackModel).toBe(row.fallbackModel);
      expect(got.receivedAt.getTime()).toBe(received.getTime());
      expect(got.autoReply).toBe(i % 2 === 1);
    }

    const processed = new Date('2026-05-06T07:08:09.000Z');
    await app.orm.em.fork().transactional(async (em: EntityManager) => {
      await updateRows(
        em,
        em.getMetadata().get(InboundEmail),
        ids.map(({ id }, i) => ({
          id,
          // bytes between the other values, and a null among the bytes (on PostgreSQL, slices of one binary parameter)
          values: { status: 'delivered', raw: i % 3 === 1 ? null : Buffer.concat([raw(i), raw(i + 1)]), reason: AWKWARD[(i + 1) % AWKWARD.length], subject: i % 2 ? null : AWKWARD[i], autoReply: i % 2 === 0, processedAt: processed },
        })),
        { status: 'received' },
      );
    });
    byKey = await stored();
    for (const [i, { key }] of ids.entries()) {
      const got = byKey.get(key)!;
      expect(got.status).toBe('delivered');
      expect(got.raw ? Buffer.from(got.raw).toString('hex') : null).toBe(i % 3 === 1 ? null : Buffer.concat([raw(i), raw(i + 1)]).toString('hex'));
      expect(got.reason).toBe(AWKWARD[(i + 1) % AWKWARD.length]);
      expect(got.subject).toBe(i % 2 ? null : AWKWARD[i]);
      expect(got.autoReply).toBe(i % 2 === 0);
      expect(got.processedAt?.getTime()).toBe(processed.getTime());
    }

    // `only`: a row that no longer has the value is left as it is
    await app.orm.em.fork().transactional(async (em: EntityManager) => {
      await updateRows(em, em.getMetadata().get(InboundEmail), [{ id: ids[0].id, values: { reason: 'overwritten' } }], { status: 'received' });
    });
    expect((await stored()).get(ids[0].key)!.reason).toBe(AWKWARD[1]);
  });
});

describe('an insert with writes that follow it, on postgresql', () => {
  let app: ChatterTesting;
  beforeAll(async () => {
    app = await startChatter('postgresql');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('runs the writes that follow an insert over what it returned, in its statement or, when the rows take several, in one more', async () => {
    const received = new Date('2026-03-04T05:06:07.000Z');
    const row = (key: string, raw: Buffer) => ({ sourceKind: 'http', sourceKey: key, raw, size: raw.length, sha256: '0'.repeat(64), messageId: `<${key}@bulk.test>`, status: 'received', attempts: 0, receivedAt: received });
    // rows inserted by a statement are not visible to its other parts: the writes that follow mark rows written before
    const then = {
      ctes: "chatter_marks as (update chatter_inbound_email as t set reason = ? || i.id from chatter_inserted as i where t.source_key = 'before-' || i.source_key)",
      params: ['after '],
    };
    for (const [label, size] of [['small', 10], ['large', 9 << 20]] as const) {
      const keys = [1, 2].map((n) => `then-${label}-${n}`);
      await bulkInsert(app.em(), InboundEmail, keys.map((key) => row(`before-${key}`, Buffer.alloc(1))));
      // two rows of 9 MB are two statements (16 MB each at most)
      const inserted: Record<string, unknown>[] = await app.orm.em.fork().transactional((em: EntityManager) =>
        bulkInsert(em, InboundEmail, keys.map((key) => row(key, Buffer.alloc(size, 7))), ['id', 'sourceKey'], { then }),
      );
      expect(inserted.map((r) => r.sourceKey)).toEqual(keys);
      const marked = await app.em().find(InboundEmail, { sourceKey: { $in: keys.map((key) => `before-${key}`) } }, { orderBy: { sourceKey: 'asc' } });
      expect(marked.map((r) => r.reason)).toEqual(inserted.map((r) => `after ${r.id}`));
    }
  });
});
