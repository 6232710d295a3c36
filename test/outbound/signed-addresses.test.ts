import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { bounceAddress, chooseServer, classifySendError, composeMime, parseBounceAddress, signReplyAddress, signUnfollowToken, verifyReplyAddress, verifyUnfollowToken } from '../../lib/index.js';
import { normalizeServers } from '../../lib/transport/outgoing-server.js';
import { readMime } from '../support/mime-conformance.js';

const SECRET = 'a-secret-of-at-least-16-chars';

describe('signed reply addresses', () => {
  it('round-trips model, id, partner and issue day, case-insensitively, from an address, a local part or a bracketed address', () => {
    const issued = new Date('2026-11-30T17:45:00Z');
    const address = signReplyAddress({ model: 'crm.lead', id: '42', partnerId: 1234567 }, 'example.test', SECRET, 'catchall', issued);
    expect(address).toMatch(/^catchall\+[a-z2-7]+@example\.test$/);
    expect(address.split('@')[0].length).toBeLessThanOrEqual(64);
    for (const form of [address, address.split('@')[0], `<${address.toUpperCase()}>`]) {
      expect(verifyReplyAddress(form, SECRET)).toEqual({ model: 'crm.lead', id: '42', partnerId: 1234567, issuedAt: new Date('2026-11-30T00:00:00Z') });
    }
    expect(signReplyAddress({ model: 'ticket', id: '7', partnerId: 3 }, 'example.test', SECRET, 'reply')).toMatch(/^reply\+/);
  });

  it('refuses a token signed with another secret, a changed character, and what is no token at all', () => {
    const address = signReplyAddress({ model: 'ticket', id: '7', partnerId: 3 }, 'example.test', SECRET);
    expect(verifyReplyAddress(address, 'another-secret-0123456789')).toEqual({ error: 'bad signature' });
    const local = address.split('@')[0];
    const flipped = local.slice(0, 12) + (local[12] === 'a' ? 'b' : 'a') + local.slice(13);
    expect(verifyReplyAddress(flipped, SECRET)).toHaveProperty('error');
    expect(verifyReplyAddress('catchall@example.test', SECRET)).toEqual({ error: 'not a signed reply address' });
    expect(verifyReplyAddress('catchall+abc@example.test', SECRET)).toEqual({ error: 'malformed reply token' });
    expect(verifyReplyAddress('catchall+not-base32!@example.test', SECRET)).toEqual({ error: 'not a signed reply address' });
  });
});

describe('VERP bounce addresses', () => {
  it('names the outgoing mail and parses back, with or without brackets and domain', () => {
    const address = bounceAddress(42, 'example.test', SECRET);
    expect(address).toMatch(/^bounce\+42-[0-9a-f]{12}@example\.test$/);
    expect(parseBounceAddress(`<${address.replace('bounce', 'Bounce').toUpperCase()}>`, SECRET)).toEqual({ outgoingMailId: 42 });
    expect(parseBounceAddress(address.replace(/@.*/, ''), SECRET)).toEqual({ outgoingMailId: 42 });
    expect(parseBounceAddress(bounceAddress(42, 'example.test', SECRET, 'bounces'), SECRET, 'bounces')).toEqual({ outgoingMailId: 42 });
    // sequential ids: an unsigned, retagged or re-numbered address is no bounce address of ours
    expect(parseBounceAddress('bounce+42@example.test', SECRET)).toEqual({ error: 'unsigned' });
    expect(parseBounceAddress(address.replace('+42-', '+43-'), SECRET)).toEqual({ error: 'bad signature' });
    expect(parseBounceAddress(address, 'another-secret-0123456789')).toEqual({ error: 'bad signature' });
    expect(parseBounceAddress('bounce+x1@example.test', SECRET)).toEqual({ error: 'malformed' });
    expect(parseBounceAddress('catchall+42@example.test', SECRET)).toBeUndefined();
  });
});

describe('unfollow tokens', () => {
  it('verify only untouched', () => {
    const token = signUnfollowToken({ model: 'ticket', id: '12', partnerId: 5 }, SECRET);
    expect(verifyUnfollowToken(token, SECRET)).toEqual({ model: 'ticket', id: '12', partnerId: 5 });
    expect(verifyUnfollowToken(token.replace(/^5\./, '6.'), SECRET)).toBeUndefined();
    expect(verifyUnfollowToken(token, 'another-secret-0123456789')).toBeUndefined();
    expect(verifyUnfollowToken('garbage', SECRET)).toBeUndefined();
  });
});

describe('outgoing server choice', () => {
  const servers = normalizeServers([
    { name: 'fallback', transport: 'smtp://127.0.0.1:1', priority: 1 },
    { name: 'other', transport: 'smtp://127.0.0.1:2', fromFilter: 'other.test', priority: 2 },
    { name: 'notifications', transport: 'smtp://127.0.0.1:3', fromFilter: 'notifications@example.test', priority: 5 },
    { name: 'boss', transport: 'smtp://127.0.0.1:4', fromFilter: 'boss@other.test', priority: 9 },
  ]);
  const choose = (from: string, notifications = 'notifications@example.test') => chooseServer(servers, from, notifications)?.name;

  it('tries address, then domain, then the notifications address, then no filter, then priority', () => {
    expect(choose('boss@other.test')).toBe('boss');
    expect(choose('anyone@other.test')).toBe('other');
    expect(choose('someone@outside.test')).toBe('notifications');
    expect(choose('someone@outside.test', 'noreply@elsewhere.test')).toBe('fallback');
    const filtered = normalizeServers([
      { name: 'b', transport: 'smtp://127.0.0.1:1', fromFilter: 'b.test', priority: 7 },
      { name: 'a', transport: 'smtp://127.0.0.1:2', fromFilter: 'a.test', priority: 3 },
    ]);
    expect(chooseServer(filtered, 'x@c.test', 'n@c.test')?.name).toBe('a');
  });

  it('refuses a server without a name, twice the same name, or a transport it cannot use', () => {
    expect(() => normalizeServers([{ name: '', transport: 'smtp://x' }])).toThrow(/needs a name/);
    expect(() => normalizeServers([{ name: 'a', transport: 'smtp://x' }, { name: 'a', transport: 'smtp://y' }])).toThrow(/used twice/);
    expect(() => normalizeServers([{ name: 'a', transport: 'http://x' }])).toThrow(/smtp:\/\//);
  });
});

describe('send failures', () => {
  it('retries connection trouble and 4xx, gives up on 5xx and invalid addresses', () => {
    expect(classifySendError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' }))).toMatchObject({ permanent: false, type: 'mail_smtp' });
    expect(classifySendError(Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 452, response: '452 4.2.2 Mailbox full' }))).toMatchObject({ permanent: false, reason: '452 4.2.2 Mailbox full' });
    expect(classifySendError(Object.assign(new Error('x'), { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 unknown' }))).toEqual({ permanent: true, type: 'mail_email_invalid', reason: '550 5.1.1 unknown' });
    expect(classifySendError(Object.assign(new Error('x'), { code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 spam' }))).toMatchObject({ permanent: true, type: 'mail_smtp' });
    expect(classifySendError(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))).toMatchObject({ permanent: true, type: 'mail_email_invalid' });
  });
});

describe('MIME composition', () => {
  const attachment = { filename: 'Übersicht 2024.pdf', content: Buffer.from('%PDF-1.4 report'), contentType: 'application/pdf' };
  const logo = { filename: 'logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png', cid: 'logo@x' };
  const refs = Array.from({ length: 6 }, (_, i) => `<id-number-${i}.1795481400000-chatter-case-1@example.test>`);
  const mail = () => ({
    from: '"Zoë Ågent" <notifications@example.test>',
    to: '"Doe, Alice" <alice@outside.test>',
    replyTo: '"Zoë Ågent" <catchall+abc@example.test>',
    subject: 'Réunion: the printer is on fire again, and this subject is long enough to be folded somewhere',
    messageId: refs[5],
    headers: { 'In-Reply-To': refs[4], References: refs.slice(0, 5).join(' '), 'X-Chatter-Objects': 'case-1', 'Auto-Submitted': 'auto-generated' },
    text: 'Hello\nSecond line with ünïcode and a long line '.padEnd(200, 'x'),
    html: '<p>Hello <img src="cid:logo@x"></p>',
    attachments: [attachment, logo],
  });

  it('writes a message mailparser reads back whole: encoded names and subject, References folded between ids, related and mixed parts', async () => {
    const raw = composeMime(mail());
    const text = raw.toString('latin1');
    const head = text.split('\r\n\r\n')[0];
    expect(/^References:.*(?:\r\n[ \t].*)*/m.exec(head)![0].replace(/\r\n[ \t]/g, ' ')).toBe(`References: ${refs.slice(0, 5).join(' ')}`);
    expect(text.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect(head.split('\r\n').every((line) => line.length <= 78)).toBe(true);
    const parsed = await simpleParser(raw, { keepCidLinks: true });
    expect(parsed.from?.value).toEqual([{ name: 'Zoë Ågent', address: 'notifications@example.test' }]);
    expect((parsed.to as any).value).toEqual([{ name: 'Doe, Alice', address: 'alice@outside.test' }]);
    expect(parsed.subject).toBe(mail().subject);
    expect(parsed.messageId).toBe(refs[5]);
    expect(parsed.inReplyTo).toBe(refs[4]);
    expect(parsed.references).toEqual(refs.slice(0, 5));
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.text?.replace(/\r\n/g, '\n')).toBe(mail().text);
    expect(parsed.html).toBe('<p>Hello <img src="cid:logo@x"></p>');
    expect(parsed.attachments.map((a) => [a.filename, a.contentDisposition, a.cid ?? null, a.content.length])).toEqual([
      ['logo.png', 'inline', 'logo@x', 4],
      ['Übersicht 2024.pdf', 'attachment', null, 15],
    ]);
  });

  it("is read without a defect by Python's strict parser, in every shape: closed multiparts, the text part whole", async () => {
    const shapes = [mail(), { ...mail(), attachments: [] }, { ...mail(), attachments: [logo] }, { ...mail(), attachments: [attachment] }];
    const readings = await readMime(shapes.map(composeMime));
    expect(readings.map((r) => r.defects)).toEqual([[], [], [], []]);
    expect(readings.map((r) => r.structure.join(' '))).toEqual([
      'multipart/mixed multipart/related multipart/alternative text/plain text/html image/png application/pdf',
      'multipart/alternative text/plain text/html',
      'multipart/related multipart/alternative text/plain text/html image/png',
      'multipart/mixed multipart/alternative text/plain text/html application/pdf',
    ]);
    // exactly the text given (a part that is never closed reads as one more, empty part in neomutt)
    for (const r of readings) expect(r.text?.replace(/\r\n/g, '\n')).toBe(mail().text);
    expect(readings[0].attachments).toEqual(['Übersicht 2024.pdf']);
  });

  it('attaches a mail as message/rfc822 in 7bit (never base64), or as a plain file when it is not 7-bit clean', async () => {
    const forwarded = { filename: 'original.eml', contentType: 'message/rfc822', content: Buffer.from('From: a@example.org\nSubject: Hi\n\nHello\rthere\n') };
    const eightBit = { filename: 'latin.eml', contentType: 'message/rfc822', content: Buffer.from('From: a@example.org\nSubject: Grüße\n\nÜ\n') };
    const raws = [composeMime({ ...mail(), attachments: [forwarded] }), composeMime({ ...mail(), attachments: [eightBit] })];
    const readings = await readMime(raws);
    expect(readings.map((r) => r.defects)).toEqual([[], []]);
    expect(readings[0].structure.slice(4)).toEqual(['message/rfc822', 'text/plain']);
    expect(raws[0].toString()).toMatch(/Content-Type: message\/rfc822; name=original\.eml\r\nContent-Transfer-Encoding: 7bit\r\n/);
    expect(readings[1].structure.slice(4)).toEqual(['application/octet-stream']);
    const parsed = await simpleParser(raws[1]);
    expect(parsed.attachments.map((a) => [a.filename, a.content.equals(eightBit.content)])).toEqual([['latin.eml', true]]);
  });

  it('leaves out the related and mixed layers when there is nothing to put in them', async () => {
    const raw = composeMime({ ...mail(), attachments: [] }).toString();
    expect(raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).not.toMatch(/multipart\/(mixed|related)/);
  });
});
