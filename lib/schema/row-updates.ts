import type { EntityManager, EntityMetadata } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { chatterPlatform } from './chatter-migrator.js';

/** one row's new values, by property, as stored (dates and booleans already in the platform's form) */
export interface RowUpdate {
  id: number;
  values: Record<string, unknown>;
}

/** rows and bytes per UPDATE on PostgreSQL (its parameter limit is 65,535) */
const MAX_ROWS = 250;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Updates many rows of one entity, each with its own values, as bound parameters and in `em`'s transaction: on
 * PostgreSQL one `UPDATE … FROM (VALUES …)` per chunk of rows that set the same columns (one round trip); on SQLite,
 * in process, one small UPDATE per row. `only`: the rows must also still have these values (else they are left).
 * The ORM would inline every value into the SQL text (bytes as hex, texts through an escape PostgreSQL parses back),
 * and its unit of work would first need the rows loaded.
 */
export async function updateRows(em: EntityManager, meta: EntityMetadata, rows: RowUpdate[], only: Record<string, string> = {}): Promise<void> {
  const q = (name: string) => em.getPlatform().quoteIdentifier(name);
  const column = (prop: string) => q(meta.properties[prop].fieldNames[0]);
  const kysely = (em as SqlEntityManager).getKysely<any>();
  const table = q(meta.tableName);
  const guards = Object.keys(only);
  if (chatterPlatform(em) === 'sqlite') {
    const texts = new Map<string, string>();
    for (const { id, values } of rows) {
      const props = Object.keys(values);
      const key = props.join(',');
      let text = texts.get(key);
      if (!text) {
        text = `update ${table} set ${props.map((p) => `${column(p)} = ?`).join(', ')} where ${[`${column('id')} = ?`, ...guards.map((g) => `${column(g)} = ?`)].join(' and ')}`;
        texts.set(key, text);
      }
      await kysely.executeQuery(CompiledQuery.raw(text, [...props.map((p) => values[p]), id, ...guards.map((g) => only[g])]));
    }
    return;
  }
  const groups = new Map<string, RowUpdate[]>();
  for (const row of rows) {
    const key = Object.keys(row.values).join(',');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, group] of groups) {
    const props = key.split(',');
    // the first row's values carry their columns' types; PostgreSQL gives the other rows' the same
    const types = ['integer', ...props.map((p) => meta.properties[p].columnTypes[0])];
    const names = ['id', ...props].map(column);
    for (let i = 0; i < group.length; ) {
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (let bytes = 0; i < group.length && tuples.length < MAX_ROWS && (tuples.length === 0 || bytes <= MAX_BYTES); i++) {
        const values = [group[i].id, ...props.map((p) => group[i].values[p])];
        for (const v of values) bytes += typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 8;
        tuples.push(`(${values.map((v, c) => (params.push(v), tuples.length ? `$${params.length}` : `cast($${params.length} as ${types[c]})`)).join(', ')})`);
      }
      const conditions = [`t.${names[0]} = v.${names[0]}`, ...guards.map((g) => (params.push(only[g]), `t.${column(g)} = $${params.length}`))];
      const text =
        `update ${table} as t set ${names.slice(1).map((n) => `${n} = v.${n}`).join(', ')} ` +
        `from (values ${tuples.join(', ')}) as v(${names.join(', ')}) where ${conditions.join(' and ')}`;
      await kysely.executeQuery(CompiledQuery.raw(text, params));
    }
  }
}
