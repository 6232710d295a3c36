import type { EntityManager, EntityName, EntityMetadata } from '@mikro-orm/core';
import { chatterPlatform } from './chatter-migrator.js';
import { placeholders, runNative } from './native-query.js';

/** what writes that follow an insert (`InsertOptions.then`) call its returned rows */
export const INSERTED = 'chatter_inserted';

/** rows per INSERT on SQLite (its statements take at most 32,766 parameters) */
const CHUNK = 500;
/** bytes of values per INSERT on PostgreSQL (one parameter per column, however many rows) */
const MAX_BYTES = 16 << 20;

/** what `insertRows` writes besides the rows */
export interface InsertOptions {
  /** columns to return, by name (the keys of what comes back) */
  returning?: string[];
  /** the columns' SQL types, in the order of `columns`: needed on PostgreSQL (each column is one typed array) */
  types?: string[];
  /** appended after the rows (before `returning`), e.g. `on conflict (a, b) do nothing` */
  onConflict?: string;
  /** PostgreSQL: other writes run by the same statement (its first, when the rows take several) */
  alongside?: Alongside;
  /**
   * PostgreSQL: writes that follow the rows' and read what they return as `chatter_inserted` (needs `returning`), run
   * by the same statement — or, when the rows take several, by one more after them, over all they returned
   */
  then?: Alongside;
}

/**
 * PostgreSQL: writes that ride along another statement as data-modifying `WITH` queries — `ctes` is their list
 * (`a as (insert …), b as (insert …)`, `?` placeholders), `params` their values in order. Independent writes of one
 * transaction go to the server in one round trip instead of one each.
 */
export interface Alongside {
  ctes: string;
  params: unknown[];
}

/**
 * Inserts many rows of one entity, in `em`'s transaction, returning the columns asked for (as `{ property: value }`).
 * This is `em.insertMany` without its per-row metadata processing, which dominated a 1,000-recipient post: values are
 * plain (numbers for relations, Dates, booleans, JSON-able objects for JSON properties) and are bound as parameters —
 * the ORM inlines them into the statement's text, which the database then parses back (50 mail bodies of ~1.7 KB:
 * ~8 ms per INSERT on SQLite). Column names and types come from the ORM's metadata.
 */
export async function bulkInsert<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  rows: Record<string, unknown>[],
  returning: string[] = [],
  writes: Pick<InsertOptions, 'alongside' | 'then'> = {},
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) {
    if (writes.alongside || writes.then) throw new Error('bulkInsert: writes alongside need rows to ride with');
    return [];
  }
  const meta = em.getMetadata().get(entity);
  const properties = Object.keys(rows[0]);
  const columns = properties.map((p) => columnOf(meta, p));
  // dates and booleans are stored by `runNative`; JSON properties are stringified here
  const values = rows.map((row) => properties.map((p, c) => (columns[c].json && row[p] !== null ? JSON.stringify(row[p]) : row[p])));
  const back = returning.map((p) => [columnOf(meta, p).name, p] as const);
  const inserted = await insertRows(em, meta.tableName, columns.map((c) => c.name), values, { returning: back.map(([name]) => name), types: columns.map((c) => c.type), ...writes });
  return inserted.map((raw) => Object.fromEntries(back.map(([name, p]) => [p, raw[name]])));
}

/** a property's column: its name, its SQL type, and whether it holds JSON */
export function columnOf(meta: EntityMetadata, property: string): { name: string; type: string; json: boolean } {
  const prop = meta.properties[property as keyof typeof meta.properties] as { fieldNames: string[]; columnTypes: string[]; type: unknown } | undefined;
  if (!prop) throw new Error(`bulkInsert: ${meta.className} has no property "${property}"`);
  return { name: prop.fieldNames[0], type: prop.columnTypes[0], json: String(prop.type).toLowerCase().includes('json') };
}

/**
 * The same for a table without an entity of its own (a many-to-many pivot table): `values` are stored values, one
 * array per row in the order of `columns`; `returning` are column names, and so are the keys of what comes back.
 *
 * On PostgreSQL the rows go as one array per column, unnested into rows (`insertSql`): the statement's text is the
 * same for 1 row or 500, with a handful of parameters, where a VALUES list has one per value — 1,000 for 50 messages,
 * each parsed, type-checked and planned anew on every INSERT (about as much of the server's time as the INSERT itself).
 */
export async function insertRows(em: EntityManager, table: string, columns: string[], values: unknown[][], options: InsertOptions = {}): Promise<Record<string, unknown>[]> {
  const returning = options.returning?.length ? ` returning ${options.returning.map(quote).join(', ')}` : '';
  const onConflict = options.onConflict ? ` ${options.onConflict}` : '';
  const out: Record<string, unknown>[] = [];
  if (chatterPlatform(em) === 'postgresql') {
    if (!options.types || options.types.length !== columns.length) throw new Error(`insertRows: the types of ${table}'s columns are needed on PostgreSQL`);
    const sql = insertSql(table, columns, { types: options.types }) + onConflict + returning;
    const { alongside, then } = options;
    if (then && !returning) throw new Error('insertRows: writes that follow the rows read what they return: `returning` is needed');
    const chunks = chunkRows(values, MAX_BYTES);
    for (const [i, chunk] of chunks.entries()) {
      const before = i === 0 ? alongside : undefined;
      const after = chunks.length === 1 ? then : undefined;
      const ctes = [...(before ? [before.ctes] : []), ...(after ? [`${INSERTED} as (${sql})`, after.ctes] : [])];
      const text = !ctes.length ? sql : `with ${ctes.join(', ')} ${after ? `select * from ${INSERTED}` : sql}`;
      out.push(...(await runNative(em, text, [...(before?.params ?? []), ...insertParams(chunk, options.types), ...(after?.params ?? [])])));
    }
    if (then && chunks.length > 1) {
      // every row's returned values, as rows of the table, for the writes that follow
      const inserted = `${INSERTED} as (select * from json_populate_recordset(null::${quote(table)}, cast(? as json)))`;
      await runNative(em, `with ${inserted}, ${then.ctes} select 1`, [JSON.stringify(out), ...then.params]);
    }
    return out;
  }
  if (options.alongside || options.then) throw new Error('insertRows: writes alongside are for PostgreSQL');
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const sql = insertSql(table, columns, { rows: chunk.length }) + onConflict + returning;
    out.push(...(await runNative(em, sql, chunk.flat())));
  }
  return out;
}

/**
 * The INSERT of `columns`, without `returning`: `… values (?, ?), (?, ?)…` for `rows` rows, bound row by row; or, with
 * `types` (PostgreSQL), `… select … from unnest(cast(? as type[]), …)`, bound by `insertParams` with one array per
 * column, however many rows. Bytes are the exception: in an array they would travel as hex text for the server to
 * decode (a ledger batch of raw mails: ~40 % slower through the corpus), so a bytes column is one binary parameter,
 * every row's bytes end to end, cut into rows by arrays of offsets and lengths.
 */
export function insertSql(table: string, columns: string[], shape: { rows: number } | { types: string[] }): string {
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')})`;
  if ('types' in shape) {
    const rows = unnestRows(shape.types, 'u');
    return `${head} select ${rows.values.join(', ')} from ${rows.from}`;
  }
  const row = `(${placeholders(columns)})`;
  return `${head} values ${Array.from({ length: shape.rows }, () => row).join(', ')}`;
}

/**
 * PostgreSQL: rows of columns of `types`, bound by `insertParams`, unnested as `alias`: `from` (`unnest(…) as
 * alias(…)`) and each column's value over it. A bytes column is a slice of its binary parameter (its `?` comes in
 * `values`, before those of `from`, as `insertParams` orders them); the others are their array's element.
 */
export function unnestRows(types: string[], alias: string): { values: string[]; from: string } {
  const values = types.map((t, c) => (isBytes(t) ? `substring(cast(? as bytea) from ${alias}.c${c} for ${alias}.l${c})` : `${alias}.c${c}`));
  const arrays = types.flatMap((t) => (isBytes(t) ? ['integer', 'integer'] : [t]));
  const names = types.flatMap((t, c) => (isBytes(t) ? [`c${c}`, `l${c}`] : [`c${c}`]));
  return { values, from: `${unnestSql(arrays)} as ${alias}(${names.join(', ')})` };
}

/** the parameters of `insertSql(…, { types })` for `rows`: the bytes columns' bytes, then each column's array(s) */
export function insertParams(rows: readonly (readonly unknown[])[], types: string[]): unknown[] {
  const arrays = columnArrays(rows, types.length);
  const blobs: Buffer[] = [];
  const out: unknown[] = [];
  for (const [c, type] of types.entries()) {
    if (!isBytes(type)) {
      out.push(arrays[c]);
      continue;
    }
    const parts: Buffer[] = [];
    const at: (number | null)[] = [];
    const lengths: (number | null)[] = [];
    let offset = 1; // substring counts from 1
    for (const value of arrays[c]) {
      if (value === null) {
        at.push(null);
        lengths.push(null);
        continue;
      }
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
      parts.push(bytes);
      at.push(offset);
      lengths.push(bytes.length);
      offset += bytes.length;
    }
    blobs.push(Buffer.concat(parts));
    out.push(at, lengths);
  }
  return [...blobs, ...out];
}

function isBytes(type: string): boolean {
  return type.toLowerCase() === 'bytea';
}

/** PostgreSQL: `unnest(cast(? as t1[]), cast(? as t2[]), …)`, rows from one array parameter per column */
export function unnestSql(types: string[]): string {
  return `unnest(${types.map((t) => `cast(? as ${t}[])`).join(', ')})`;
}

/**
 * Rows as one array per column, for `unnestSql`. The driver writes each array as an array literal (`{"a","b"}`)
 * and PostgreSQL reads the values back in their columns' types; a Date or a boolean goes as the driver writes it on
 * its own.
 */
export function columnArrays(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const arrays = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) for (let c = 0; c < width; c++) arrays[c][r] = rows[r][c] ?? null;
  return arrays;
}

/**
 * The rows in chunks of at most `maxRows` rows and `maxBytes` bytes of strings and bytes (a chunk has one row at
 * least, however big): what one statement binds.
 */
export function chunkRows<T extends readonly unknown[]>(rows: readonly T[], maxBytes: number, maxRows = Infinity): T[][] {
  return chunkBy(rows, rowBytes, maxRows, maxBytes);
}

function rowBytes(row: readonly unknown[]): number {
  let size = 0;
  for (const v of row) size += typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 8;
  return size;
}

/**
 * `items` in order, in chunks of at most `maxCount` items and `maxBytes` by `sizeOf` (an upper bound is enough); an
 * item larger than `maxBytes` is a chunk of its own.
 */
export function chunkBy<T>(items: readonly T[], sizeOf: (item: T) => number, maxCount: number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (chunk.length && (bytes + size > maxBytes || chunk.length >= maxCount)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
