import type { EntityManager } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { replyPolicyRefusal, type SenderLookups } from '../../lib/router/reply-policy.js';
import { generateMessageId, parseMessageId } from '../../lib/thread/message-id.js';

const SECRET = 'test-secret-0123456789';

/** partners by email (id, userId); `followers` are partner ids that follow ticket 1 */
function senders(partners: Record<string, { id: number; userId?: string }>, followers: number[] = []): SenderLookups {
  return {
    partner: async (email) => (partners[email] ? { id: partners[email].id, active: true, userId: partners[email].userId ?? null } : null),
    follows: async (_ref, id) => followers.includes(id),
  };
}
// with no stored parent the policy reads nothing else from the database
const noDatabase = {} as EntityManager;
const claim = (sender: string | null, parentInternal = false) => ({ ref: { model: 'ticket', id: '1' }, parentId: null, parentInternal, sender });

describe('the reply policy of a model', () => {
  const known = senders({ 'cust@x.test': { id: 1 }, 'fan@x.test': { id: 2 }, 'agent@x.test': { id: 3, userId: 'agent' } }, [2]);

  it('recipients (default): internal users and followers; a known partner who is neither is refused', async () => {
    expect(await replyPolicyRefusal(noDatabase, known, undefined, claim('agent@x.test'))).toBeUndefined();
    expect(await replyPolicyRefusal(noDatabase, known, undefined, claim('fan@x.test'))).toBeUndefined();
    expect(await replyPolicyRefusal(noDatabase, known, undefined, claim('cust@x.test'))).toBe(
      'refused: cust@x.test neither follows ticket 1 nor wrote or received a message of it (replies: policy recipients)',
    );
    expect(await replyPolicyRefusal(noDatabase, known, undefined, claim(null))).toMatch(/no sender address/);
  });

  it('partners: any known partner; everyone: anyone', async () => {
    expect(await replyPolicyRefusal(noDatabase, known, { from: 'partners' }, claim('cust@x.test'))).toBeUndefined();
    expect(await replyPolicyRefusal(noDatabase, known, { from: 'partners' }, claim('eve@x.test'))).toBe('refused: eve@x.test is not a known partner (replies into ticket 1: policy partners)');
    expect(await replyPolicyRefusal(noDatabase, known, { from: 'everyone' }, claim('eve@x.test'))).toBeUndefined();
  });

  it("an outsider's reply to an internal note: refused by default, even under everyone; allowed when the model says so", async () => {
    expect(await replyPolicyRefusal(noDatabase, known, { from: 'everyone' }, claim('fan@x.test', true))).toMatch(/is not an internal user, and the message answered is an internal note/);
    expect(await replyPolicyRefusal(noDatabase, known, undefined, claim('agent@x.test', true))).toBeUndefined();
    expect(await replyPolicyRefusal(noDatabase, known, { outsidersOnNotes: 'allow' }, claim('fan@x.test', true))).toBeUndefined();
  });

  it('a mail of the same batch: its author and its To/Cc may answer it, nobody else', async () => {
    const planned = { ...claim('cc@x.test'), plannedParent: { sender: 'opener@x.test', recipients: ['support@x.test', 'cc@x.test'] } };
    expect(await replyPolicyRefusal(noDatabase, known, undefined, planned)).toBeUndefined();
    expect(await replyPolicyRefusal(noDatabase, known, undefined, { ...planned, sender: 'eve@x.test' })).toMatch(/eve@x\.test is not a known partner/);
  });
});

describe('our Message-IDs', () => {
  const models = ['ticket', 'ticket-line', 'crm.lead'];

  it('name their thread, with a tag that verifies; model names with - and . parse to the longest that fits', () => {
    for (const [model, id] of [['ticket', '12'], ['ticket-line', '7'], ['crm.lead', 'a1b2-c3d4']]) {
      const messageId = generateMessageId({ model, id }, 'example.test', SECRET);
      expect(messageId).toMatch(/^<[A-Za-z0-9_-]+\.\d+-chatter-.+-[0-9a-f]{20}@example\.test>$/);
      expect(parseMessageId(messageId, SECRET, models)).toEqual({ model, id, domain: 'example.test' });
    }
  });

  it('refuse a guessed, retagged, resigned or untagged id', () => {
    const real = generateMessageId({ model: 'ticket', id: '12' }, 'example.test', SECRET);
    expect(parseMessageId('<anything-chatter-ticket-2@example.test>', SECRET, models)).toBeUndefined();
    expect(parseMessageId(real.replace('-ticket-12-', '-ticket-13-'), SECRET, models)).toBeUndefined();
    expect(parseMessageId(real, 'another-secret-0123456789', models)).toBeUndefined();
    expect(parseMessageId(real.replace('@example.test', '@evil.test'), SECRET, models)).toBeUndefined();
    expect(parseMessageId(real.replace(/-[0-9a-f]{20}@/, '@'), SECRET, models)).toBeUndefined();
  });
});
