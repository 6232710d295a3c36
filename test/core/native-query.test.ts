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
