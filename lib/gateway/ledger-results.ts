import type { EntityManager } from '@mikro-orm/core';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { INSERTED, columnOf, insertParams, type Alongside } from '../schema/bulk-insert.js';
import { unnestedUpdate, updateRows } from '../schema/row-updates.js';
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
const FIELDS_BEFORE_POSTING: string[] = RESULT_FIELDS.filter((f) => f !== 'postedMessageId');

/**
 * PostgreSQL: the same UPDATE as `writeLedgerResults`, as a write that follows the messages' INSERT in its statement
 * (`InsertOptions.then`) — one round trip fewer in a batch's chain. Each row's posted message is found among the
 * inserted ones by its Message-ID (`posted`, null when the mail posted nothing); the rest of each result must be final.
 */
export function ledgerResultsAfterMessages(em: EntityManager, results: { id: number; result: InboundResult; posted: string | null }[]): Alongside {
  const meta = em.getMetadata().get(InboundEmail);
  const only = { status: 'processing' };
  const { sql, types } = unnestedUpdate(em, meta, FIELDS_BEFORE_POSTING, only, {
    types: ['text'],
    join: (values) => ` left join ${INSERTED} as i on i.message_id = ${values.at(-1)}`,
    set: [`${em.getPlatform().quoteIdentifier(columnOf(meta, 'postedMessageId').name)} = i.id`],
  });
  const rows = results.map(({ id, result, posted }) => [id, ...FIELDS_BEFORE_POSTING.map((f) => result[f as keyof InboundResult] ?? null), posted]);
  return { ctes: `chatter_ledger_results as (${sql})`, params: [...insertParams(rows, types), ...Object.values(only)] };
}
