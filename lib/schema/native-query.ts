import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { chatterPlatform } from './chatter-migrator.js';

/**
 * Runs `sql`, written with `?` placeholders, with `params` bound (numbered `$1…` on PostgreSQL), in `em`'s transaction
 * when it has one; returns the rows as the driver gives them (column names, stored values). Dates and booleans are
 * bound as the ORM stores them (on SQLite a timestamp and an integer). The ORM would inline every value into the
 * statement's text, for the database to parse back, and build and map each query through its metadata.
 */
export async function runNative<T = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  let n = 0;
  const text = chatterPlatform(em) === 'postgresql' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  const platform = em.getPlatform();
  const nativeBoolean = platform.getBooleanTypeDeclarationSQL() === 'boolean';
  const stored = params.map((v) => (v instanceof Date ? platform.processDateProperty(v) : typeof v === 'boolean' && !nativeBoolean ? Number(v) : v));
  const result = await (em as SqlEntityManager).getKysely<any>().executeQuery(CompiledQuery.raw(text, stored));
  return result.rows as T[];
}

/** `?, ?, ?` for a list of values */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}
