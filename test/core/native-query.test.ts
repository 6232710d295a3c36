import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { runNative } from '../../lib/schema/native-query.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';

/**
 * `runNative` is how batches write and read without the ORM's query building. Callers rely on two things: it runs in
 * the caller's transaction (on SQLite through statements it keeps prepared), and it throws the ORM's exception types —
 * the inbound processor reruns a batch on a `UniqueConstraintViolationException` (two workers, one new row).
 */
describe.each(DIALECTS)('runNative on %s', (dialect) => {
  let app: ChatterTesting;
  beforeAll(async () => {
    app = await startChatter(dialect);
  });
  afterAll(async () => {
    await app?.close();
  });

  const insert = 'insert into chatter_partner (email, name, notification_preference, bounce_count, blacklisted, active, created_at) values (?, ?, ?, ?, ?, ?, ?)';
  const values = (email: string) => [email, email, 'email', 0, false, true, new Date()];
  const count = async (email: string) => Number((await runNative<{ n: number | string }>(app.orm.em.fork(), 'select count(*) as n from chatter_partner where email = ?', [email]))[0].n);

  it('throws a unique violation as the ORM does, in a transaction and outside one', async () => {
    await expect(
      app.orm.em.fork().transactional(async (em: EntityManager) => {
        await runNative(em, insert, values('twice-tx@native.test'));
        await runNative(em, insert, values('twice-tx@native.test'));
      }),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    const em = app.orm.em.fork();
    await runNative(em, insert, values('twice@native.test'));
    await expect(runNative(em, insert, values('twice@native.test'))).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  it('writes in the caller’s transaction, the same statement again and again: a rollback undoes every row', async () => {
    const emails = ['a@rollback.test', 'b@rollback.test', 'c@rollback.test'];
    await expect(
      app.orm.em.fork().transactional(async (em: EntityManager) => {
        for (const email of emails) await runNative(em, insert, values(email));
        // seen inside the transaction, through the same kept statement with other values
        const seen = await Promise.all(emails.map(async (email) => (await runNative(em, 'select email from chatter_partner where email = ?', [email])).length));
        expect(seen).toEqual([1, 1, 1]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    for (const email of emails) expect(await count(email)).toBe(0);
    await app.orm.em.fork().transactional(async (em: EntityManager) => {
      for (const email of emails) await runNative(em, insert, values(email));
    });
    for (const email of emails) expect(await count(email)).toBe(1);
  });

  it('outside a transaction, waits for the one running: that one’s rollback does not take its row', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held = app.orm.em
      .fork()
      .transactional(async (em: EntityManager) => {
        await runNative(em, insert, values('held@tx.test'));
        entered();
        await hold;
        throw new Error('roll back');
      })
      .catch((error: Error) => error);
    await inside;
    // on SQLite there is one connection, held by the transaction above: this must queue for it, not run inside it
    const outside = runNative(app.orm.em.fork(), insert, values('outside@tx.test'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect(await held).toBeInstanceOf(Error);
    await outside;
    expect(await count('held@tx.test')).toBe(0);
    expect(await count('outside@tx.test')).toBe(1);
  });
});

/**
 * On PostgreSQL a statement the chatter sends again is prepared once per connection: the server keeps it (its
 * `pg_prepared_statements` lists it for that session) instead of parsing and planning the text at every batch.
 */
describe('runNative on postgresql: prepared statements', () => {
  const preparedOnSession = async (em: EntityManager, marker: string) =>
    (await runNative<{ name: string }>(em, 'select name from pg_prepared_statements where statement like ?', [`%${marker}%`])).map((r) => r.name);

  it('prepares a text from its second use on, on the connection that ran it, and gives the same rows', async () => {
    const app = await startChatter('postgresql');
    try {
      await app.orm.em.fork().transactional(async (em: EntityManager) => {
        const sql = "select count(*) as n, 'prepared-once' as marker from chatter_partner where email = ?";
        const first = await runNative(em, sql, ['nobody@prepared.test']);
        expect(await preparedOnSession(em, 'prepared-once')).toEqual([]);
        const again = await runNative(em, sql, ['nobody@prepared.test']);
        const third = await runNative(em, sql, ['other@prepared.test']);
        expect([again, third]).toEqual([first, first]);
        const names = await preparedOnSession(em, 'prepared-once');
        expect(names).toHaveLength(1);
        expect(names[0]).toMatch(/^chatter_[0-9a-f]{32}$/);
      });
    } finally {
      await app.close();
    }
  });

  it('prepares nothing when the host turns it off (a pooler that cannot keep them)', async () => {
    const app = await startChatter('postgresql', { chatter: { preparedStatements: false } });
    try {
      await app.orm.em.fork().transactional(async (em: EntityManager) => {
        const sql = "select count(*) as n, 'never-prepared' as marker from chatter_partner where email = ?";
        for (let i = 0; i < 3; i++) expect(await runNative(em, sql, [`n${i}@prepared.test`])).toEqual([{ n: '0', marker: 'never-prepared' }]);
        expect(await preparedOnSession(em, 'never-prepared')).toEqual([]);
      });
    } finally {
      await app.close();
    }
  });
});
