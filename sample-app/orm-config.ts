import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { CompiledQuery } from 'kysely';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { releaseDeadConnections } from '../lib/index.js';

/** `postgres://…` → PostgreSQL; anything else is a SQLite file path (its folder is created). */
export function ormConfigFromUrl(url: string, entities: Function[], extra: Partial<Options> = {}): Options {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // a PostgreSQL restart must not leave the pool full of dead, never-released connections (see lib/database/pg-pool-guard.ts)
    return { driver: PostgreSqlDriver, clientUrl: url, entities, pool: { min: 0, max: 10 }, driverOptions: { onPoolCreated: releaseDeadConnections }, ...extra } as Options;
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return { driver: SqliteDriver, dbName: file, entities, onCreateConnection: sqliteTuning, ...extra } as Options;
}

/**
 * WAL lets readers run while a write commits, and `synchronous = NORMAL` syncs the log at checkpoints instead of at
 * every commit: each commit is otherwise a disk sync that blocks the event loop (better-sqlite3 is synchronous).
 */
async function sqliteTuning(connection: { executeQuery(query: CompiledQuery): Promise<unknown> }): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw('pragma journal_mode = WAL'));
  await connection.executeQuery(CompiledQuery.raw('pragma synchronous = NORMAL'));
  await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 5000'));
}
