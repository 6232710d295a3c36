import type { ThreadRef } from '../model-registry.js';
import type { Message } from '../entities/message.entity.js';
import { inBatchMessage, type InBatchParent } from '../router/route.js';
import { PLANNED_RECORD_MARK, plannedRecordId, type RoutingLookups } from '../router/routing-lookups.js';
import type { InboundMail } from './inbound-mail.js';
import type { HandledMail, PlannedMail } from './inbound-mail-handler.js';

/**
 * The mails of a batch planned since its last flush: they are routed one after the other and written together. A mail
 * that depends on what a planned one will write — it repeats or reports a bounce of its Message-ID, or comes from a
 * sender it creates or answers, or from an address it bounced — ends the segment first, so every mail is routed
 * exactly as if the mails before it had been written. A reply to a planned mail joins it instead (threads and mailing
 * lists come in runs of replies): it is routed to the planned mail's thread, and `settle` gives it the thread's id
 * once the segment's new records are written.
 */
export class BatchSegment {
  /** `sendersMatter`: some alias admits only known partners or followers (its check reads them from the database) */
  constructor(private readonly sendersMatter: boolean) {}

  readonly mails: { index: number; planned: PlannedMail }[] = [];
  private readonly messageIds = new Set<string>();
  private readonly senders = new Set<string>();
  /** the first mail of the segment that posts under each Message-ID (its position in `mails`): a reply's parent */
  private readonly posting = new Map<string, number>();

  get size(): number {
    return this.mails.length;
  }

  add(index: number, planned: PlannedMail): void {
    this.mails.push({ index, planned });
    this.messageIds.add(planned.mail.messageId);
    this.messageIds.add(planned.row.messageId);
    if (planned.decision.status === 'delivered' && planned.targets.length && !this.posting.has(planned.mail.messageId)) {
      this.posting.set(planned.mail.messageId, this.mails.length - 1);
    }
    // what a mail writes of its sender that the rules read from the database: a new partner and its follow (contact
    // policies), an answer (once a day). The rest is in the batch's look-ups already: the partner, the loop counts.
    const writesSender = (this.sendersMatter && planned.targets.length > 0) || !!planned.decision.answer;
    if (planned.mail.sender && writesSender) this.senders.add(planned.mail.sender);
    for (const r of planned.decision.bounce?.recipients ?? []) if (r.email) this.senders.add(r.email.toLowerCase());
  }

  /** whether `mail` must be routed after this segment is written (a duplicate of a planned mail need not: it is ignored) */
  dependsOn(mail: InboundMail): boolean {
    if (mail.sender && this.senders.has(mail.sender)) return true;
    const ids = [mail.messageId, mail.bounce?.originalMessageId];
    return ids.some((id) => id !== undefined && this.messageIds.has(id));
  }

  /**
   * Once the segment's new records have their ids: each reply to a planned mail takes the real id of the thread it
   * joins (`threadOf`: where a planned mail posts first), in order, so a reply to a reply follows the chain.
   */
  settle(threadOf: (planned: PlannedMail) => ThreadRef | undefined): void {
    for (const [position, { planned }] of this.mails.entries()) {
      for (const { target } of planned.targets) {
        if (target.kind !== 'thread' || !target.inBatch) continue;
        const parent = this.posting.get(target.inBatch.messageId);
        const ref = parent !== undefined && parent < position ? threadOf(this.mails[parent].planned) : undefined;
        if (!ref) throw new Error(`inbound mail ${planned.row.id}: the mail it answers (${target.inBatch.messageId}) is not before it in its batch`);
        if (ref.id !== target.ref.id) target.inBatch.placeholder = target.ref.id;
        target.ref = ref;
      }
    }
  }

  /** the message the mail at `position` answers within the segment, once posted (`handled`: the segment's results) */
  private parentMessage(position: number, handled: HandledMail[]): { inBatch: InBatchParent; message: Message } | undefined {
    const first = this.mails[position].planned.targets[0]?.target;
    if (first?.kind !== 'thread' || !first.inBatch) return undefined;
    const message = handled[this.posting.get(first.inBatch.messageId)!]?.posted[0];
    return message ? { inBatch: first.inBatch, message } : undefined;
  }

  /**
   * Once the segment's mails are delivered, before their messages are written: each reply to a mail of the segment
   * gets its parent message (linked once both have ids, see `ThreadService.writePending`).
   */
  linkParents(handled: HandledMail[]): void {
    for (const [i, done] of handled.entries()) {
      const parent = this.parentMessage(i, handled);
      if (parent && done.posted[0]) done.posted[0].parent = parent.message;
    }
  }

  /**
   * Before the segment's messages are written: whether its results are final but for their messages' ids (reasons
   * name the new records' real ids by then). Not when a reply to a mail of the segment names its parent message in its
   * reason: that id comes with the write.
   */
  resultsBeforeWrite(handled: { id: number; done: HandledMail }[]): boolean {
    const results = handled.map(({ done }) => done);
    if (handled.some((_, i) => this.parentMessage(i, results))) return false;
    this.nameRecords(handled);
    return true;
  }

  /** reasons name the new records' ids instead of their stand-ins */
  private nameRecords(handled: { id: number; done: HandledMail }[]): void {
    const placed = new Map<string, string>();
    for (const [i, { id, done }] of handled.entries()) {
      if (this.mails[i].planned.targets[0]?.created && done.result.resId) placed.set(plannedRecordId(id), done.result.resId);
    }
    if (!placed.size) return;
    for (const { done } of handled) {
      const result = done.result;
      if (!result.reason?.includes(PLANNED_RECORD_MARK)) continue;
      for (const [placeholder, id] of placed) result.reason = result.reason.replaceAll(placeholder, id);
    }
  }

  /**
   * Once written: each result takes its message's id, reasons name the real ids instead of the stand-ins (a reply's
   * parent message, a new record a loop refusal names), and the look-ups learn the messages and move the loop
   * guard's counts from the stand-ins to the records.
   */
  written(handled: { id: number; done: HandledMail }[], lookups: RoutingLookups): void {
    const results = handled.map(({ done }) => done);
    this.nameRecords(handled);
    for (const [i, { done }] of handled.entries()) {
      const { row, mail, targets } = this.mails[i].planned;
      const result = done.result;
      result.postedMessageId = done.posted[0]?.id ?? null;
      for (const m of done.posted) lookups.rememberMessage(m);
      const parent = this.parentMessage(i, results);
      if (parent && result.reason) result.reason = result.reason.replace(inBatchMessage(parent.inBatch.messageId), String(parent.message.id));
      const first = targets[0]?.target;
      const placeholder = targets[0]?.created ? plannedRecordId(row.id) : first?.kind === 'thread' ? first.inBatch?.placeholder : undefined;
      if (result.status === 'delivered' && placeholder && result.resModel && result.resId) {
        lookups.placeDelivery(mail.sender, result.resModel, placeholder, result.resId, result.decision, row.receivedAt);
      }
    }
  }
}
