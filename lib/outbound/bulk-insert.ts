import type { EntityManager, EntityName } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';

const CHUNK = 500;

/**
 * Inserts many rows of one entity with one multi-row INSERT per 500 rows, in `em`'s transaction, returning the
 * columns asked for (as `{ property: value }`). This is `em.insertMany` without its per-row metadata processing, which
 * dominated a 1,000-recipient post: values are plain (numbers for relations, Dates, JSON-able objects for JSON
 * properties) and go through the driver's parameter escaping as usual. Column names come from the ORM's metadata.
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
  const platform = em.getPlatform();
  const properties = Object.keys(rows[0]);
  const column = (p: string) => {
    const prop = props[p];
    if (!prop) throw new Error(`bulkInsert: ${meta.className} has no property "${p}"`);
    return { name: quote(prop.fieldNames[0]), json: String(prop.type).toLowerCase().includes('json') };
  };
  const columns = properties.map(column);
  const back = returning.map((p) => [props[p].fieldNames[0], p] as const);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const params: unknown[] = [];
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (const row of chunk) {
      properties.forEach((p, c) => {
        const value = row[p];
        params.push(value instanceof Date ? platform.processDateProperty(value) : columns[c].json && value !== null ? JSON.stringify(value) : value);
      });
    }
    const sql =
      `insert into ${quote(meta.tableName)} (${columns.map((c) => c.name).join(', ')}) values ${chunk.map(() => tuple).join(', ')}` +
      (back.length ? ` returning ${back.map(([name]) => quote(name)).join(', ')}` : '');
    const result = await (em as SqlEntityManager).execute<Record<string, unknown>[]>(sql, params, back.length ? 'all' : 'run');
    if (back.length) for (const raw of result) out.push(Object.fromEntries(back.map(([name, p]) => [p, raw[name]])));
  }
  return out;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
