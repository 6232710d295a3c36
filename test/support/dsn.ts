import { randomBytes } from 'node:crypto';

export interface DsnFields {
  /** where the report goes (a VERP bounce address, or the original sender) */
  to: string;
  /** the recipient whose delivery failed */
  failed: string;
  /** the bounced mail's Message-ID, quoted in the report's headers part */
  originalMessageId?: string;
  status?: string;
  action?: string;
  /** the domain the bounced mail came from */
  domain?: string;
}

/** A delivery status notification (RFC 3464), as a mail server sends it back for a failed delivery. */
export function deliveryStatusNotification(fields: DsnFields): string {
  const b = 'dsn-boundary-42';
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.outside.test>',
    `To: ${fields.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn.${randomBytes(8).toString('hex')}@mx.outside.test>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain',
    '',
    'I am sorry to have to inform you that your message could not be delivered.',
    '',
    `--${b}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.outside.test',
    '',
    `Final-Recipient: rfc822; ${fields.failed}`,
    `Action: ${fields.action ?? 'failed'}`,
    `Status: ${fields.status ?? '5.1.1'}`,
    'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    `From: notifications@${fields.domain ?? 'example.test'}`,
    `To: ${fields.failed}`,
    ...(fields.originalMessageId ? [`Message-ID: ${fields.originalMessageId}`] : []),
    'Subject: Re: your ticket',
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
}
