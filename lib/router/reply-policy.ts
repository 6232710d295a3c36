import type { EntityManager } from '@mikro-orm/core';
import type { ReplyPolicy } from '../chatter.decorator.js';
import { Follower } from '../entities/follower.entity.js';
import { Message } from '../entities/message.entity.js';
import { Notification } from '../entities/notification.entity.js';
import { Partner } from '../entities/partner.entity.js';
import type { ThreadRef } from '../model-registry.js';

export const DEFAULT_REPLY_POLICY: Required<ReplyPolicy> = { from: 'recipients', outsidersOnNotes: 'refuse' };

/** What a reply claims: the thread, the message it answers (stored, or a mail of the batch not written yet), who sent it. */
export interface ReplyClaim {
  ref: ThreadRef;
  /** the stored message answered, if the reply names one */
  parentId: number | null;
  /** the answered message is an internal note */
  parentInternal: boolean;
  /** the answered message is a mail of this batch, not written yet: its sender and To/Cc */
  plannedParent?: { sender: string | null; recipients: string[] };
  sender: string | null;
}

/** How the policy reads who a sender is: the batch's look-ups first (they hold what the batch wrote), else the database. */
export interface SenderLookups {
  partner(email: string): Promise<Pick<Partner, 'id' | 'active' | 'userId'> | null>;
  follows(ref: ThreadRef, partnerId: number): Promise<boolean>;
}

/**
 * Whether `claim.sender` may post into `claim.ref` under the model's reply policy. Knowing a Message-ID or holding a
 * reply address proves nothing (both travel in every copy of a mail); what is checked is who the sender is to the
 * thread. Returns the refusal in words, or undefined when allowed.
 */
export async function replyPolicyRefusal(em: EntityManager, senders: SenderLookups, configured: ReplyPolicy | undefined, claim: ReplyClaim): Promise<string | undefined> {
  const policy = { ...DEFAULT_REPLY_POLICY, ...configured };
  const { ref, sender } = claim;
  const thread = `${ref.model} ${ref.id}`;
  if (!sender) return `refused: the mail has no sender address (replies into ${thread}: policy ${policy.from})`;
  const partner = await senders.partner(sender);
  const known = !!partner?.active;
  const internal = known && partner!.userId !== null;
  if (claim.parentInternal && !internal && policy.outsidersOnNotes === 'refuse') {
    return `refused: ${sender} is not an internal user, and the message answered is an internal note of ${thread}`;
  }
  if (policy.from === 'everyone' || internal) return undefined;
  const planned = claim.plannedParent;
  // a mail of the batch creates its partners when it is written: its author and recipients may answer it
  if (planned && (planned.sender === sender || planned.recipients.includes(sender))) return undefined;
  if (policy.from === 'partners') return known ? undefined : `refused: ${sender} is not a known partner (replies into ${thread}: policy partners)`;
  if (claim.parentId !== null && (await receivedMessage(em, claim.parentId, known ? partner!.id : null, sender))) return undefined;
  if (known && partner!.id && (await senders.follows(ref, partner!.id))) return undefined;
  if (!known) return `refused: ${sender} is not a known partner (replies into ${thread}: policy recipients)`;
  const answered = claim.parentId !== null ? `message ${claim.parentId}` : 'a message of it';
  return `refused: ${sender} neither follows ${thread} nor wrote or received ${answered} (replies: policy recipients)`;
}

/** whether the partner wrote the message, was notified of it, or was among the To/Cc of the mail it came in by */
async function receivedMessage(em: EntityManager, messageId: number, partnerId: number | null, email: string): Promise<boolean> {
  const message = await em.findOne(Message, { id: messageId }, { fields: ['id', 'author', 'incomingTo', 'incomingCc'] });
  if (!message) return false;
  if ([...(message.incomingTo ?? []), ...(message.incomingCc ?? [])].some((a) => a.toLowerCase() === email)) return true;
  if (partnerId === null) return false;
  if ((message.author as { id: number } | null)?.id === partnerId) return true;
  return (await em.count(Notification, { message: messageId, partner: partnerId })) > 0;
}
