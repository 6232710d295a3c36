import type { EntityManager } from '@mikro-orm/core';
import type { InboundDecision, InboundEmail, InboundStatus } from '../entities/inbound-email.entity.js';
import type { Message } from '../entities/message.entity.js';
import type { BounceReport } from '../gateway/bounce-detector.js';
import type { InboundMail } from '../gateway/inbound-mail.js';
import type { ThreadRef } from '../model-registry.js';
import type { RoutingLookups } from './routing-lookups.js';

/** What a rule sees: the ledger row, the parsed mail, the processing transaction, and the batch's look-ups. */
export interface RoutingContext {
  em: EntityManager;
  row: InboundEmail;
  mail: InboundMail;
  lookups: RoutingLookups;
}

/** the message a reply answers: its id, and whether it was an internal note */
export type ParentMessage = Pick<Message, 'id' | 'isInternal'>;

/**
 * The parent of a reply is a mail of the same batch, routed but not written yet: the reply joins it in the same write.
 * Until then `ref.id` may be a planned record's placeholder and the parent message has no id; the batch settles
 * both once they are written (see `BatchSegment`).
 */
export interface InBatchParent {
  messageId: string;
  isInternal: boolean;
  /** the planned record's stand-in id the reply was routed (and loop-counted) on, once settled to the real one */
  placeholder?: string;
}

/** how a reason names the parent message of a reply in the batch until it has an id (then replaced by its id) */
export function inBatchMessage(messageId: string): string {
  return `(in this batch: ${messageId})`;
}

/** Where a mail goes: an existing thread (or the thread a mail of the batch is creating), or a new record. */
export type RouteTarget =
  | { kind: 'thread'; ref: ThreadRef; parent: ParentMessage | null; internal: boolean; via: string; inBatch?: InBatchParent }
  | { kind: 'new'; model: string; defaults: Record<string, unknown>; via: string; forcedThread?: ThreadRef };

/** A rule's verdict. A rule that does not apply returns undefined and the next one runs. */
export interface RouteDecision {
  rule: InboundDecision;
  status: Exclude<InboundStatus, 'received' | 'processing' | 'failed'>;
  /** why, in words; stored on the ledger row */
  reason: string;
  targets?: RouteTarget[];
  bounce?: BounceReport;
  /** answer the sender with this text (a refusal), at most once per sender per day */
  answer?: string;
}

/** One step of DESIGN §3's routing order. */
export interface RoutingRule {
  route(ctx: RoutingContext): Promise<RouteDecision | undefined>;
}
