import type { EntityManager } from '@mikro-orm/core';
import { InboundEmail } from '../entities/inbound-email.entity.js';
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
