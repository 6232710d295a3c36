import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import type { InboundResult } from './inbound-mail-handler.js';

/** the ledger columns a processed mail ends with */
const RESULT_FIELDS = [
  'status', 'decision', 'reason', 'error', 'processedAt', 'sender', 'subject', 'autoReply', 'resModel', 'resId', 'postedMessageId', 'answeredAt',
] as const satisfies readonly (keyof InboundResult)[];

/** rows per UPDATE on PostgreSQL: 13 parameters each, well under its limit of 65,535 */
const CHUNK = 250;

/**
 * Writes a batch's final values onto its ledger rows, inside the caller's transaction: on PostgreSQL one
 * `UPDATE … FROM (VALUES …)` per chunk of rows (one round trip); on SQLite, in process, one small UPDATE per row. Only rows still `processing` change: when the batch outlived its claims,
 * another worker may have taken a mail over and finished it first, and its result stands. Native, not through the
 * unit of work: loading the rows to change them cost a round trip and a change set per row, for values already known.
 */
export async function writeLedgerResults(em: EntityManager, results: { id: number; result: InboundResult }[]): Promise<void> {
  const meta = em.getMetadata().get(InboundEmail);
  const column = (field: string) => meta.properties[field as keyof InboundEmail].fieldNames[0];
  const platform = em.getPlatform();
  const nativeBoolean = platform.getBooleanTypeDeclarationSQL() === 'boolean';
  // the values as the ORM would store them: a date is a timestamp on SQLite, a boolean an integer
  const stored = (value: unknown) => (value instanceof Date ? platform.processDateProperty(value) : typeof value === 'boolean' && !nativeBoolean ? Number(value) : value);
  const kysely = (em as SqlEntityManager).getKysely<any>();
  const q = (name: string) => platform.quoteIdentifier(name);
  const [id, status] = [q(column('id')), q(column('status'))];
  if (chatterPlatform(em) === 'sqlite') {
    const text = `update ${q(meta.tableName)} set ${RESULT_FIELDS.map((f) => `${q(column(f))} = ?`).join(', ')} where ${id} = ? and ${status} = 'processing'`;
    for (const row of results) await kysely.executeQuery(CompiledQuery.raw(text, [...RESULT_FIELDS.map((f) => stored(row.result[f])), row.id]));
    return;
  }
  // the first row's values carry their columns' types; PostgreSQL gives the other rows' the same
  const types = ['id', ...RESULT_FIELDS].map((f) => meta.properties[f as keyof InboundEmail].columnTypes[0]);
  const names = ['id', ...RESULT_FIELDS].map((f) => q(column(f)));
  for (let i = 0; i < results.length; i += CHUNK) {
    const params: unknown[] = [];
    const rows = results.slice(i, i + CHUNK).map((row, r) => {
      const values = [row.id, ...RESULT_FIELDS.map((f) => stored(row.result[f]))];
      return `(${values.map((value, c) => (params.push(value), r === 0 ? `cast($${params.length} as ${types[c]})` : `$${params.length}`)).join(', ')})`;
    });
    const text =
      `update ${q(meta.tableName)} as t set ${names.slice(1).map((n) => `${n} = v.${n}`).join(', ')} ` +
      `from (values ${rows.join(', ')}) as v(${names.join(', ')}) where t.${id} = v.${id} and t.${status} = 'processing'`;
    await kysely.executeQuery(CompiledQuery.raw(text, params));
  }
}
