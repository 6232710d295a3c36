import type { Pool, PoolClient } from 'pg';

/**
 * Gives a pooled PostgreSQL connection back to the pool as soon as its server connection ends (a PostgreSQL restart,
 * `pg_terminate_backend`), even while it is checked out.
 *
 * Why: Kysely's controlled transactions (what MikroORM's `em.transactional` runs on) never release their connection
 * when `BEGIN` or `ROLLBACK` fails, and both fail on a connection the server has closed. Each such connection stayed
 * checked out for good; after `pool.max` of them every query of the process waited forever (seen after a few
 * restarts of PostgreSQL). Released here with an error, the pool drops the dead client and opens a new one; the
 * holder's own release, if it ever comes, does nothing.
 *
 * Use it as MikroORM's `driverOptions: { onPoolCreated: releaseDeadConnections }`.
 */
export function releaseDeadConnections(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    client.once('end', () => {
      const release = client.release;
      client.release = () => undefined;
      try {
        release?.call(client, new Error('the PostgreSQL connection ended'));
      } catch {
        // released already (it was idle, or its holder gave it back): nothing is held
      }
    });
  });
}
