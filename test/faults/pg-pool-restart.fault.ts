import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../support/test-entities.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { ormConfigFromUrl } from '../../sample-app/orm-config.js';

const POOL_MAX = 2;
const RESTARTS = 3;

/**
 * The sample app's ORM config against PostgreSQL restarts: transactions in flight lose their connection, their
 * ROLLBACK fails too, and Kysely then never gives the connection back to the pool. Without `releaseDeadConnections`
 * (lib/database/pg-pool-guard.ts) two such transactions fill a pool of two and every later query waits forever.
 */
describe('the ORM pool across PostgreSQL restarts', () => {
  let postgres: PrivatePostgres;
  let orm: MikroORM;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    orm = await MikroORM.init(ormConfigFromUrl(postgres.url, [Project], { allowGlobalContext: true, debug: false, pool: { min: 0, max: POOL_MAX } }));
  }, 60_000);

  afterAll(async () => {
    // a pool that kept dead connections never finishes closing
    await Promise.race([orm?.close(true).catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    await postgres?.destroy();
  }, 60_000);

  const sql = (em = orm.em.fork()) => em.getConnection() as AbstractSqlConnection;

  it(`answers queries after ${RESTARTS} restarts that cut transactions in flight`, { timeout: 60_000 }, async () => {
    let stop = false;
    /** transactions whose connection the shutdown ended mid-query; `refused` ones found the server down or starting */
    let cut = 0;
    let refused = 0;
    // more transactions than connections, each holding its connection a while: every restart finds all of them busy
    const workers = Array.from({ length: POOL_MAX * 2 }, async () => {
      while (!stop) {
        await orm.em.fork().transactional(async (em) => {
          await sql(em).execute('select pg_sleep(0.2)', [], 'run', em.getTransactionContext());
        }).catch(async (error: { code?: string }) => {
          if (error.code === '57P01') cut++;
          else refused++;
          await new Promise((r) => setTimeout(r, 50));
        });
      }
    });
    for (let i = 0; i < RESTARTS; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await postgres.restart(300);
    }
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    const finished = await Promise.race([Promise.all(workers).then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    const answer = await Promise.race([
      sql().execute<{ n: number }[]>('select 1 as n').then((rows) => rows[0].n),
      new Promise((r) => setTimeout(() => r('no answer in 5 s: the pool is full of dead connections'), 5_000)),
    ]);
    console.log(`[faults] ${RESTARTS} PostgreSQL restarts cut ${cut} transaction(s) in flight (${refused} more refused while it was down); pool of ${POOL_MAX} still answers: ${answer === 1}`);
    expect({ finished, answer }).toEqual({ finished: true, answer: 1 });
    expect(cut).toBeGreaterThanOrEqual(RESTARTS);
  });
});
