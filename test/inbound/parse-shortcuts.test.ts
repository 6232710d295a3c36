import { describe, expect, it } from 'vitest';
import { bounceIn, detectBounce, type BounceContext } from '../../lib/gateway/bounce-detector.js';
import { parseMimeTree } from '../../lib/gateway/mime-tree.js';
import { addressesIn, headerBlock, headerIndex, normalizeRaw } from '../../lib/gateway/raw-mail.js';
import { simpleParser } from 'mailparser';
import { parseInboundData } from '../../lib/gateway/inbound-mail.js';
import { collapseSpaces, sanitizeBody, textToHtml } from '../../lib/thread/html.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

/**
 * The parse skips work whose answer it already knows; each shortcut must give exactly what the long way gives, on
 * every real mail of the corpus.
 */
describe('parse shortcuts', () => {
  it('bounceIn finds what detectBounce finds in the full MIME tree, for every corpus mail', () => {
    let bounces = 0;
    let skipped = 0;
    for (const entry of readManifest()) {
      const raw = normalizeRaw(readCorpusMail(entry));
      const headers = headerIndex(headerBlock(raw));
      const first = (name: string) => headers.get(name)?.[0] ?? '';
      const from = first('from');
      const ctx: BounceContext = {
        recipients: ['to', 'cc', 'delivered-to'].flatMap((h) => addressesIn(first(h))),
        bounceAddresses: [{ local: 'bounce', domain: 'example.test' }],
        fromAddress: addressesIn(from)[0],
        fromName: from.replace(/<[^>]*>/, '').replace(/"/g, '').trim(),
        subject: first('subject'),
        returnPathEmpty: /^<\s*>$/.test(first('return-path')),
      };
      const latin1 = raw.toString('latin1');
      const expected = detectBounce(parseMimeTree(latin1), ctx);
      expect(bounceIn(latin1, ctx), entry.path).toEqual(expected);
      if (expected) bounces++;
      if (!/delivery-status|feedback-report|multipart\/report|message\/(rfc822|global)/i.test(latin1) && !expected) skipped++;
    }
    // both paths are exercised: the corpus has its bounces, and ordinary mails that skip the tree
    expect(bounces).toBeGreaterThan(200);
    expect(skipped).toBeGreaterThan(200);
  });

  it('bounceIn still reads a VERP address, a daemon sender and a bounce subject without a report part', () => {
    const raw = 'From: x@y.test\r\nSubject: hi\r\n\r\nThe following address failed: <gone@outside.test>\r\n';
    const base: BounceContext = { recipients: [], bounceAddresses: [{ local: 'bounce', domain: 'example.test' }], subject: 'hi', returnPathEmpty: false, fromAddress: 'x@y.test' };
    expect(bounceIn(raw, base)).toBeUndefined();
    expect(bounceIn(raw, { ...base, recipients: ['bounce+42@example.test'] })?.verpId).toBe('42');
    expect(bounceIn(raw, { ...base, fromAddress: 'mailer-daemon@y.test' })?.kind).toBe('text');
  });

  it('bounceIn builds the tree for each kind of report part, from an ordinary-looking sender', () => {
    const ctx: BounceContext = { recipients: ['support@example.test'], bounceAddresses: [], subject: 'hi', returnPathEmpty: false, fromAddress: 'abuse@isp.test' };
    const dsn = 'Reporting-MTA: dns; mx.isp.test\r\n\r\nFinal-Recipient: rfc822; gone@outside.test\r\nAction: failed\r\nStatus: 5.1.1\r\n';
    // a feedback report outside a multipart/report
    const feedback = [
      'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'a complaint', '--b',
      'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', '', '--b--', '',
    ].join('\r\n');
    // a DSN inside a base64-encoded enclosed message: no marker is readable in the raw bytes but "message/rfc822"
    const enclosed = `Content-Type: multipart/report; report-type=delivery-status; boundary="i"\r\n\r\n--i\r\nContent-Type: message/delivery-status\r\n\r\n${dsn}--i--\r\n`;
    const forwarded = [
      'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '',
      Buffer.from(enclosed, 'latin1').toString('base64'), '--b--', '',
    ].join('\r\n');
    for (const raw of [feedback, forwarded]) {
      const expected = detectBounce(parseMimeTree(raw), ctx);
      expect(expected).toBeDefined();
      expect(bounceIn(raw, ctx)).toEqual(expected);
    }
  });

  it('collapseSpaces is `replace(/\\s+/g, " ")`', () => {
    const spaces = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
    const samples = ['', ' ', 'a', 'a b', ' a  b ', 'a\u00a0b', ...spaces.flatMap((s) => [s, `a${s}b`, `${s}${s}`, `a ${s}b`, `a${s} b`])];
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      samples.push(Array.from({ length: 1 + Math.floor(random() * 12) }, () => (random() < 0.5 ? spaces[Math.floor(random() * spaces.length)] : 'x')).join(''));
    }
    for (const entry of readManifest().slice(0, 200)) samples.push(readCorpusMail(entry).toString('utf8'));
    for (const text of samples) expect(collapseSpaces(text), JSON.stringify(text.slice(0, 80))).toBe(text.replace(/\s+/g, ' '));
  });

  it('textToHtml writes what sanitizeBody keeps as it is, so a text body skips sanitizing: every corpus text, and texts of markup, entities and control characters', async () => {
    const samples: string[] = [];
    for (const entry of readManifest()) samples.push((await simpleParser(readCorpusMail(entry), { skipHtmlToText: true })).text ?? '');
    const pieces = ['a', ' ', '\n', '\n\n', '\r', '\t', '<', '>', '&', '"', "'", '\0', '&amp;', '&#x41;', '&lt;', '<script>alert(1)</script>', '<p>', '</p>',
      '<br>', 'é', '😀', '\u00a0', '\u2028', '\x0b', '\x1b', '<!--', '-->', '<![CDATA[', ']]>', '`', 'javascript:', '\ufeff', '\ud800'];
    const random = seededRandom(11);
    for (let i = 0; i < 20_000; i++) samples.push(Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join(''));
    for (const text of samples) {
      const html = textToHtml(text);
      expect(sanitizeBody(html), JSON.stringify(text.slice(0, 80))).toBe(html);
    }
  });

  it('an HTML part that sanitizes to nothing still falls back to the text mailparser makes of it (a conversion skipped otherwise)', async () => {
    const mail = (contentType: string, body: string) =>
      Buffer.from(`From: a@outside.test\r\nTo: support@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}\r\n`);
    const context = { envelope: [], bounceAddresses: [], messageId: '<x@outside.test>' };
    // textarea text is dropped by sanitizing, kept by html-to-text
    const htmlOnly = await parseInboundData(mail('text/html; charset=utf-8', '<html><body><textarea>Reply YES to confirm</textarea></body></html>'), context);
    expect(htmlOnly.body).toBe('<p>Reply YES to confirm</p>');
    const scriptOnly = await parseInboundData(mail('text/html; charset=utf-8', '<html><body><script>x()</script></body></html>'), context);
    expect(scriptOnly.body).toBe('');
    // a text part beside it is the fallback, as before
    const alternative = [
      '--b', 'Content-Type: text/plain; charset=utf-8', '', 'The text part', '--b', 'Content-Type: text/html; charset=utf-8', '',
      '<script>x()</script>', '--b--',
    ].join('\r\n');
    expect((await parseInboundData(mail('multipart/alternative; boundary="b"', alternative), context)).body).toBe('<p>The text part</p>');
  });
});

/** the same pseudo-random numbers in [0, 1) on every run, from `seed` */
function seededRandom(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}
