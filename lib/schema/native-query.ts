import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { chatterPlatform } from './chatter-migrator.js';
import { statementFor } from './prepared-statements.js';

/**
 * Runs `sql`, written with `?` placeholders, with `params` bound (numbered `$1…` on PostgreSQL), in `em`'s transaction
 * when it has one; returns the rows as the driver gives them (column names, stored values). Dates and booleans are
 * bound as the ORM stores them (on SQLite a timestamp and an integer). The ORM would inline every value into the
 * statement's text, for the database to parse back, and build and map each query through its metadata. Errors are
 * the ORM's (`UniqueConstraintViolationException`…), as from its own queries. A text used again is a statement
 * prepared once per connection (PostgreSQL: `statementFor`; SQLite: `transactionStatement`).
 */
export async function runNative<T = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  try {
    return await execute<T>(em, sql, params);
  } catch (error) {
    // the ORM's exception types (a unique violation, a deadlock), as its own queries throw them: callers retry on them
    throw em.getDriver().convertException(error as Error);
  }
}

async function execute<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const platform = em.getPlatform();
  const nativeBoolean = platform.getBooleanTypeDeclarationSQL() === 'boolean';
  const stored = params.map((v) => (v instanceof Date ? platform.processDateProperty(v) : typeof v === 'boolean' && !nativeBoolean ? Number(v) : v));
  if (chatterPlatform(em) === 'postgresql') {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    // Kysely hands the statement to node-postgres as it is: a named one (a query config) is prepared once per connection
    const statement = statementFor(em.config, text) as string;
    return (await (em as SqlEntityManager).getKysely<any>().executeQuery(CompiledQuery.raw(statement, stored))).rows as T[];
  }
  const statement = transactionStatement(em, sql);
  if (statement) return (statement.reader ? statement.all(...stored) : (statement.run(...stored), [])) as T[];
  return (await (em as SqlEntityManager).getKysely<any>().executeQuery(CompiledQuery.raw(sql, stored))).rows as T[];
}

/**
 * Waits for independent statements sent together (on PostgreSQL the driver starts each as soon as the one before it is
 * answered) and returns their results; if any failed, throws the first failure — but only once all have settled, so
 * that none is still running when the caller's transaction rolls back (on SQLite it would run in the next one).
 */
export async function together<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** `?, ?, ?` for a list of values */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/** prepared statements per SQLite database, by text; at most this many (then the cache starts over) */
const STATEMENT_CACHE = 256;
const statements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/**
 * On SQLite inside a transaction: `sql` prepared once on the connection's `better-sqlite3` database and kept. Preparing
 * was ~5 % of an inbound batch's main thread (the driver prepares every query anew; a batch's statements repeat).
 * Only inside a transaction: that transaction holds the one connection, so running on it directly is running in it —
 * outside one, the query must queue for the connection like any other.
 */
function transactionStatement(em: EntityManager, sql: string): SqliteStatement | undefined {
  if (!em.getTransactionContext()) return undefined;
  const database = (em.getConnection() as unknown as { database?: SqliteDatabase }).database;
  if (!database || typeof database.prepare !== 'function') return undefined;
  let cache = statements.get(database);
  if (!cache) statements.set(database, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= STATEMENT_CACHE) cache.clear();
    statement = database.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
