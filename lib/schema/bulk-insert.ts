import type { EntityManager, EntityName } from '@mikro-orm/core';
import { placeholders, runNative } from './native-query.js';

const CHUNK = 500;

/**
 * Inserts many rows of one entity with one multi-row INSERT per 500 rows, in `em`'s transaction, returning the
 * columns asked for (as `{ property: value }`). This is `em.insertMany` without its per-row metadata processing, which
 * dominated a 1,000-recipient post: values are plain (numbers for relations, Dates, booleans, JSON-able objects for
 * JSON properties) and are bound as parameters — the ORM inlines them into the statement's text, which the database
 * then parses back (50 mail bodies of ~1.7 KB: ~8 ms per INSERT on SQLite). Column names come from the ORM's metadata.
 */
export async function bulkInsert<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  rows: Record<string, unknown>[],
  returning: string[] = [],
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const meta = em.getMetadata().get(entity);
  const props = meta.properties as Record<string, { fieldNames: string[]; type: unknown }>;
  const properties = Object.keys(rows[0]);
  const column = (p: string) => {
    const prop = props[p];
    if (!prop) throw new Error(`bulkInsert: ${meta.className} has no property "${p}"`);
    return { name: prop.fieldNames[0], json: String(prop.type).toLowerCase().includes('json') };
  };
  const columns = properties.map(column);
  // dates and booleans are stored by `runNative`; JSON properties are stringified here
  const values = rows.map((row) => properties.map((p, c) => (columns[c].json && row[p] !== null ? JSON.stringify(row[p]) : row[p])));
  const back = returning.map((p) => [props[p].fieldNames[0], p] as const);
  const inserted = await insertRows(em, meta.tableName, columns.map((c) => c.name), values, back.map(([name]) => name));
  return inserted.map((raw) => Object.fromEntries(back.map(([name, p]) => [p, raw[name]])));
}

/**
 * The same for a table without an entity of its own (a many-to-many pivot table): `values` are stored values, one
 * array per row in the order of `columns`; `returning` are column names, and so are the keys of what comes back.
 */
export async function insertRows(
  em: EntityManager,
  table: string,
  columns: string[],
  values: unknown[][],
  returning: string[] = [],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const sql = insertSql(table, columns, chunk.length) + (returning.length ? ` returning ${returning.map(quote).join(', ')}` : '');
    out.push(...(await runNative(em, sql, chunk.flat())));
  }
  return out;
}

/** `insert into "table" ("a", "b") values (?, ?), (?, ?)…`: `rows` rows of `columns`, to bind in that order */
export function insertSql(table: string, columns: string[], rows: number): string {
  const row = `(${placeholders(columns)})`;
  return `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${Array.from({ length: rows }, () => row).join(', ')}`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
