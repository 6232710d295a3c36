import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { describe, expect, it } from 'vitest';
import { CHATTER_ENTITIES, CHATTER_MIGRATIONS, chatterPlatform, migrateChatter } from '../../lib/index.js';
import { ormConfigFromUrl } from '../../sample-app/orm-config.js';
import { createTestDatabase, DIALECTS, type Dialect } from '../support/database.js';

/** an ORM on a fresh database, closed and dropped after `work` */
async function withOrm(dialect: Dialect, extra: object, work: (orm: MikroORM<any, any, any>) => Promise<void>): Promise<void> {
  const db = await createTestDatabase(dialect);
  const orm = await MikroORM.init(ormConfigFromUrl(db.url, [...CHATTER_ENTITIES], extra));
  try {
    await work(orm);
  } finally {
    await orm.close(true);
    await db.drop();
  }
}

/** what MikroORM would still change to match CHATTER_ENTITIES: empty when the migrations are complete */
async function schemaDifference(orm: MikroORM<any, any, any>): Promise<string[]> {
  const sql: string = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false });
  return sql.split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('--'));
}

describe.each(DIALECTS)('chatter migrations on %s', (dialect) => {
  it('migrateChatter builds the whole CHATTER_ENTITIES schema on a fresh database, and a second run applies nothing', async () => {
    await withOrm(dialect, {}, async (orm) => {
      expect(chatterPlatform(orm)).toBe(dialect);
      const applied = await migrateChatter(orm);
      expect(applied).toEqual(CHATTER_MIGRATIONS[dialect].map((m) => m.name));
      expect(await schemaDifference(orm)).toEqual([]);
      expect(await migrateChatter(orm)).toEqual([]);
      if (dialect === 'postgresql') {
        // the large columns compress with lz4 (PostgreSQL 14+, as here), not pglz
        const rows: { column: string; compression: string }[] = await orm.em.getConnection().execute(
          `select attrelid::regclass::text || '.' || attname as column, attcompression as compression from pg_attribute
           where attrelid::regclass::text in ('chatter_inbound_email', 'chatter_attachment', 'chatter_message') and attname in ('raw', 'content', 'body', 'trimmed_body')
           order by 1`,
        );
        expect(rows.map((r) => `${r.column}=${r.compression}`)).toEqual([
          'chatter_attachment.content=l',
          'chatter_inbound_email.raw=l',
          'chatter_message.body=l',
          'chatter_message.trimmed_body=l',
        ]);
      }
    });
  });

  it('CHATTER_MIGRATIONS run through the host’s own MikroORM migrator, with the same result', async () => {
    await withOrm(dialect, { extensions: [Migrator], migrations: { migrationsList: CHATTER_MIGRATIONS[dialect], silent: true, snapshot: false } }, async (orm) => {
      const applied = await orm.migrator.up();
      expect(applied.map((m: { name: string }) => m.name)).toEqual(CHATTER_MIGRATIONS[dialect].map((m) => m.name));
      expect(await schemaDifference(orm)).toEqual([]);
      expect(await orm.migrator.up()).toEqual([]);
    });
  });
});
