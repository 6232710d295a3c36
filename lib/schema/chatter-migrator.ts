import type { MikroORM } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { CHATTER_MIGRATIONS, type ChatterPlatform } from '../migrations/index.js';

type MigrationClass = new (driver: AbstractSqlDriver, config: any) => Migration;
const TABLE = 'chatter_migrations';
type AnyOrm = MikroORM<any, any, any>;

/** The platform of an ORM (or an entity manager's), as our migration sets name it. */
export function chatterPlatform(orm: { config: AnyOrm['config'] }): ChatterPlatform {
  const name = orm.config.getDriver().constructor.name.toLowerCase();
  if (name.includes('postgre')) return 'postgresql';
  if (name.includes('sqlite')) return 'sqlite';
  throw new Error(`nestjs-chatter ships migrations for SQLite and PostgreSQL, not for ${orm.config.getDriver().constructor.name}`);
}

/**
 * Applies the chatter's own migrations that have not run yet, each in its own transaction, and records them in
 * `chatter_migrations` (apart from the host's migrations table). Returns the names it applied.
 * Hosts that prefer one migration history can instead add `CHATTER_MIGRATIONS[platform]` to `migrations.migrationsList`.
 */
export async function migrateChatter(orm: AnyOrm): Promise<string[]> {
  const driver = orm.em.getDriver() as unknown as AbstractSqlDriver;
  const connection = driver.getConnection();
  await connection.execute(`create table if not exists ${TABLE} (name varchar(255) primary key, executed_at varchar(32) not null)`);
  const done = new Set((await connection.execute<{ name: string }[]>(`select name from ${TABLE}`)).map((r) => r.name));
  const applied: string[] = [];
  for (const { name, class: MigrationClass } of CHATTER_MIGRATIONS[chatterPlatform(orm)]) {
    if (done.has(name)) continue;
    await connection.transactional(async (tx) => {
      const migration = new (MigrationClass as MigrationClass)(driver, orm.config);
      migration.setTransactionContext(tx);
      await migration.up();
      for (const sql of migration.getQueries()) await driver.execute(sql as string, [], 'run', tx);
      await driver.execute(`insert into ${TABLE} (name, executed_at) values (?, ?)`, [name, new Date().toISOString()], 'run', tx);
    });
    applied.push(name);
  }
  return applied;
}
