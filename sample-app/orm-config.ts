import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';

/** `postgres://…` → PostgreSQL; anything else is a SQLite file path (its folder is created). */
export function ormConfigFromUrl(url: string, entities: Function[], extra: Partial<Options> = {}): Options {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { driver: PostgreSqlDriver, clientUrl: url, entities, pool: { min: 0, max: 10 }, ...extra } as Options;
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return { driver: SqliteDriver, dbName: file, entities, ...extra } as Options;
}
