import type { EntityManager, EntityMetadata } from '@mikro-orm/core';
import { chatterPlatform } from './chatter-migrator.js';
import { chunkRows, insertParams, unnestRows } from './bulk-insert.js';
import { placeholders, runNative } from './native-query.js';

/** one row's new values, by property (dates and booleans are bound in the platform's form by `runNative`) */
export interface RowUpdate {
  id: number;
  values: Record<string, unknown>;
}

/** rows and bytes per UPDATE (SQLite allows 32,766 parameters) */
const MAX_ROWS = 250;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Updates many rows of one entity, each with its own values, as bound parameters and in `em`'s transaction: one
 * `UPDATE … FROM` per chunk of rows that set the same columns, from `unnest` of one array per column on PostgreSQL
 * (bytes as one binary parameter, as `insertRows` binds them: in an array they went as hex text), from
 * `WITH v(…) AS (VALUES …)` on SQLite. `only`: the rows must also still have these values (else they are left). The
 * ORM would inline every value into the SQL text (bytes as hex, texts through an escape PostgreSQL parses back), and
 * its unit of work would first need the rows loaded; on SQLite an UPDATE per row costs a statement's preparation each
 * (ledger results: ~100 ms per thousand rows, ~45 ms as one UPDATE per batch of 50).
 * On PostgreSQL an `only` condition is written `is not distinct from` (the same for the non-null values it compares):
 * as `=` the planner may read an index on that column instead of the ids' primary key — for the ledger's status, an
 * index holding every claim's and result's dead entries until a vacuum, ~2 ms a batch of 50 where the ids take 0.2.
 */
export async function updateRows(em: EntityManager, meta: EntityMetadata, rows: RowUpdate[], only: Record<string, string> = {}): Promise<void> {
  const postgres = chatterPlatform(em) === 'postgresql';
  const groups = new Map<string, RowUpdate[]>();
  for (const row of rows) {
    const key = Object.keys(row.values).join(',');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, group] of groups) {
    const props = key.split(',');
    // PostgreSQL: one array per column and bytes as one binary parameter (see `insertRows`), the same text for every
    // chunk; SQLite: the rows of a VALUES list named v, put before the UPDATE for each chunk
    const unnested = postgres ? unnestedUpdate(em, meta, props, only) : undefined;
    const names = ['id', ...props].map((prop) => columnName(em, meta, prop));
    const text = unnested?.sql ?? updateSql(em, meta, props, only, names.map((n) => `v.${n}`), 'v');
    for (const rowsOf of chunkRows(group.map((row) => [row.id, ...props.map((p) => row.values[p])]), MAX_BYTES, MAX_ROWS)) {
      const sql = unnested ? text : `with v(${names.join(', ')}) as (values ${rowsOf.map((r) => `(${placeholders(r)})`).join(', ')}) ${text}`;
      const params = unnested ? insertParams(rowsOf, unnested.types) : rowsOf.flat();
      await runNative(em, sql, [...params, ...Object.values(only)]);
    }
  }
}

/**
 * PostgreSQL: the UPDATE `updateRows` sends, for rows of `[id, …props' values, …more values]` bound by `insertParams`
 * with `types` (then `only`'s values). `more` widens it for a caller that writes in the same statement as other
 * writes: the types of values each row has besides its columns, SQL that `join`s other rows to the unnested ones
 * (given every value's expression), and more assignments (`set`) over them.
 */
export function unnestedUpdate(
  em: EntityManager,
  meta: EntityMetadata,
  props: string[],
  only: Record<string, string>,
  more: { types: string[]; join: (values: string[]) => string; set: string[] } = { types: [], join: () => '', set: [] },
): { sql: string; types: string[] } {
  const types = ['integer', ...props.map((p) => meta.properties[p].columnTypes[0]), ...more.types];
  const v = unnestRows(types, 'v');
  return { sql: updateSql(em, meta, props, only, v.values, `${v.from}${more.join(v.values)}`, more.set), types };
}

/** `update … as t set …` from rows in `from`, `values` each column's new value over them (the id first) */
function updateSql(em: EntityManager, meta: EntityMetadata, props: string[], only: Record<string, string>, values: string[], from: string, set: string[] = []): string {
  const postgres = chatterPlatform(em) === 'postgresql';
  const column = (prop: string) => columnName(em, meta, prop);
  const assignments = [...props.map((p, i) => `${column(p)} = ${values[i + 1]}`), ...set];
  const conditions = [`t.${column('id')} = ${values[0]}`, ...Object.keys(only).map((g) => `t.${column(g)} ${postgres ? 'is not distinct from' : '='} ?`)];
  return `update ${em.getPlatform().quoteIdentifier(meta.tableName)} as t set ${assignments.join(', ')} from ${from} where ${conditions.join(' and ')}`;
}

function columnName(em: EntityManager, meta: EntityMetadata, prop: string): string {
  return em.getPlatform().quoteIdentifier(meta.properties[prop].fieldNames[0]);
}
