import type { EntityManager } from '@mikro-orm/core';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { INSERTED, columnOf, insertParams, unnestRows, type Alongside } from '../schema/bulk-insert.js';
import { updateRows } from '../schema/row-updates.js';
import type { InboundResult } from './inbound-mail-handler.js';

/** the ledger columns a processed mail ends with */
const RESULT_FIELDS = [
  'status', 'decision', 'reason', 'error', 'processedAt', 'sender', 'subject', 'autoReply', 'resModel', 'resId', 'postedMessageId', 'answeredAt',
] as const satisfies readonly (keyof InboundResult)[];

/**
 * Writes a batch's final values onto its ledger rows, in the caller's transaction (see `updateRows`). Only rows still
 * `processing` change: when the batch outlived its claims, another worker may have taken a mail over and finished
 * it first, and its result stands. Native, not through the unit of work: loading the rows to change them cost a
 * round trip and a change set per row, for values already known.
 */
export async function writeLedgerResults(em: EntityManager, results: { id: number; result: InboundResult }[]): Promise<void> {
  const rows = results.map(({ id, result }) => ({ id, values: Object.fromEntries(RESULT_FIELDS.map((f) => [f, result[f]])) }));
  await updateRows(em, em.getMetadata().get(InboundEmail), rows, { status: 'processing' });
}

/** the results but the posted message's id, which comes from the messages' INSERT */
const FIELDS_BEFORE_POSTING = RESULT_FIELDS.filter((f) => f !== 'postedMessageId');

/**
 * PostgreSQL: the same UPDATE as `writeLedgerResults`, as a write that follows the messages' INSERT in its statement
 * (`InsertOptions.then`) — one round trip fewer in a batch's chain. Each row's posted message is found among the
 * inserted ones by its Message-ID (`posted`, null when the mail posted nothing); the rest of each result must be final.
 */
export function ledgerResultsAfterMessages(em: EntityManager, results: { id: number; result: InboundResult; posted: string | null }[]): Alongside {
  const meta = em.getMetadata().get(InboundEmail);
  const q = (name: string) => em.getPlatform().quoteIdentifier(name);
  const columns = FIELDS_BEFORE_POSTING.map((f) => columnOf(meta, f));
  const types = ['integer', ...columns.map((c) => c.type), 'text'];
  const v = unnestRows(types, 'v');
  const set = columns.map((c, i) => `${q(c.name)} = ${v.values[i + 1]}`);
  set.push(`${q(columnOf(meta, 'postedMessageId').name)} = i.id`);
  const rows = results.map(({ id, result, posted }) => [id, ...FIELDS_BEFORE_POSTING.map((f) => result[f] ?? null), posted]);
  return {
    ctes:
      `chatter_ledger_results as (update ${q(meta.tableName)} as t set ${set.join(', ')} ` +
      `from ${v.from} left join ${INSERTED} as i on i.message_id = ${v.values.at(-1)} ` +
      `where t.id = ${v.values[0]} and t.status is not distinct from ?)`,
    params: [...insertParams(rows, types), 'processing'],
  };
}
