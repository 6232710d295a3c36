import { describe, expect, it } from 'vitest';
import { parseInbound } from '../../lib/index.js';

const ctx = { envelope: ['support@example.test'], bounceAddresses: [{ local: 'bounce', domain: 'example.test' }], messageId: '<fallback@example.test>' };

/** a small mail with the given header lines above the usual ones */
function raw(headers: string[], body = 'Thank you for your e-mail.\nI will reply as soon as possible.\n'): Buffer {
  return Buffer.from(
    [...headers, 'From: John Smith <john@outside.test>', 'To: support@example.test', 'Subject: Thank you for your e-mail', 'Message-ID: <r1@outside.test>', '', body].join('\r\n'),
  );
}

describe('auto-reply detection', () => {
  it('takes an empty envelope sender with Precedence: bulk or junk for a responder, even with a plain subject', async () => {
    for (const precedence of ['bulk', 'junk', 'Bulk']) {
      const mail = await parseInbound(raw(['Return-Path: <>', `Precedence: ${precedence}`]), ctx);
      expect(mail.autoReply).toBe(true);
      expect(mail.autoReplyReason).toBe(`Return-Path: <> with Precedence: ${precedence.toLowerCase()}`);
      expect(mail.bounce).toBeUndefined();
    }
  });

  it('does not take either half alone, nor Precedence: list, for one', async () => {
    const cases = [
      ['Return-Path: <>'], // a read receipt or a notice: never answered (null sender), but followers still hear of it
      ['Return-Path: <john@outside.test>', 'Precedence: bulk'], // newsletters and list mail
      ['Return-Path: <>', 'Precedence: list'],
      ['Precedence: junk'],
    ];
    for (const headers of cases) {
      const mail = await parseInbound(raw(headers), ctx);
      expect({ headers, autoReply: mail.autoReply }).toEqual({ headers, autoReply: false });
    }
  });

  it('still reads a delivery report with the same two headers as a bounce', async () => {
    const dsn = Buffer.from(
      [
        'Return-Path: <>',
        'Precedence: bulk',
        'From: Mail Delivery System <MAILER-DAEMON@mx.outside.test>',
        'To: bounce+42@example.test',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <d1@mx.outside.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.outside.test',
        '',
        'Final-Recipient: rfc822; gone@outside.test',
        'Action: failed',
        'Status: 5.1.1',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const mail = await parseInbound(dsn, ctx);
    expect(mail.bounce).toMatchObject({ kind: 'dsn', temporary: false, recipients: [{ email: 'gone@outside.test', action: 'failed', status: '5.1.1' }] });
  });
});
