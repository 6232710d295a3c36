import type { EntityManager, EntityMetadata } from '@mikro-orm/core';
import { chatterPlatform } from './chatter-migrator.js';
import { runNative } from './native-query.js';

/** one row's new values, by property (dates and booleans are bound in the platform's form by `runNative`) */
export interface RowUpdate {
  id: number;
  values: Record<string, unknown>;
}

/** rows and bytes per UPDATE (PostgreSQL allows 65,535 parameters, SQLite 32,766) */
const MAX_ROWS = 250;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Updates many rows of one entity, each with its own values, as bound parameters and in `em`'s transaction: one
 * `WITH v(…) AS (VALUES …) UPDATE … FROM v` per chunk of rows that set the same columns. `only`: the rows must also
 * still have these values (else they are left). The ORM would inline every value into the SQL text (bytes as hex,
 * texts through an escape PostgreSQL parses back), and its unit of work would first need the rows loaded; on SQLite
 * an UPDATE per row costs a statement's preparation each (ledger results: ~100 ms per thousand rows, ~45 ms as one UPDATE
 * per batch of 50).
 */
export async function updateRows(em: EntityManager, meta: EntityMetadata, rows: RowUpdate[], only: Record<string, string> = {}): Promise<void> {
  const q = (name: string) => em.getPlatform().quoteIdentifier(name);
  const column = (prop: string) => q(meta.properties[prop].fieldNames[0]);
  const postgres = chatterPlatform(em) === 'postgresql';
  const groups = new Map<string, RowUpdate[]>();
  for (const row of rows) {
    const key = Object.keys(row.values).join(',');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, group] of groups) {
    const props = key.split(',');
    // on PostgreSQL the first row's values carry their columns' types, and the other rows' get the same
    const types = ['integer', ...props.map((p) => meta.properties[p].columnTypes[0])];
    const names = ['id', ...props].map(column);
    for (let i = 0; i < group.length; ) {
      const params: unknown[] = [];
      const param = (value: unknown) => {
        params.push(value);
        return '?';
      };
      const tuples: string[] = [];
      for (let bytes = 0; i < group.length && tuples.length < MAX_ROWS && (tuples.length === 0 || bytes <= MAX_BYTES); i++) {
        const values = [group[i].id, ...props.map((p) => group[i].values[p])];
        for (const v of values) bytes += typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 8;
        const typed = postgres && tuples.length === 0;
        tuples.push(`(${values.map((v, c) => (typed ? `cast(${param(v)} as ${types[c]})` : param(v))).join(', ')})`);
      }
      const conditions = [`t.${names[0]} = v.${names[0]}`, ...Object.keys(only).map((g) => `t.${column(g)} = ${param(only[g])}`)];
      const text =
        `with v(${names.join(', ')}) as (values ${tuples.join(', ')}) ` +
        `update ${q(meta.tableName)} as t set ${names.slice(1).map((n) => `${n} = v.${n}`).join(', ')} from v where ${conditions.join(' and ')}`;
      await runNative(em, text, params);
    }
  }
}
