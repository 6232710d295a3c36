import { randomBytes } from 'node:crypto';
import { buildHeaderValue, encodeWord, encodeWords, foldLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as base64Encode, wrap as base64Wrap } from 'nodemailer/lib/base64';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/** A file of a mail; `cid` makes it an inline part the HTML shows through `cid:` (multipart/related). */
export interface MimeAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  cid?: string;
}

/** Everything a notification mail is made of, ready to serialize. */
export interface MimeMail {
  /** formatted addresses: `"Name" <address>` or `<address>` */
  from: string;
  to: string;
  replyTo?: string | null;
  subject: string;
  /** `<id@domain>` */
  messageId: string;
  /** more headers, one line each, written exactly as given (never folded): In-Reply-To, References… */
  headers: Record<string, string>;
  text: string;
  html: string;
  /** reuse the same objects across mails: their encoded parts are cached per object */
  attachments: MimeAttachment[];
  date?: Date;
}

const CRLF = '\r\n';
/** headers nodemailer would fold but that must stay on one line */
const RAW_HEADERS = new Set(['message-id', 'in-reply-to', 'references']);
const encodedParts = new WeakMap<MimeAttachment, string>();

/**
 * Serializes a mail to RFC 5322 bytes without going through nodemailer's composer: it is the same structure
 * (mixed ⊃ related ⊃ alternative), encoded with nodemailer's own encoders (RFC 2047 words, quoted-printable,
 * base64, RFC 2231 parameters), but built as strings in one pass, and an attachment is encoded once for all the
 * mails that carry it. A 1,000-recipient fan-out spends most of its CPU here, so this is what keeps it near
 * raw-SMTP speed. nodemailer still does SMTP, pooling and DKIM with the result (`sendMail({ raw, envelope })`).
 */
export function composeMime(mail: MimeMail): Buffer {
  const head: string[] = [
    addressHeader('From', mail.from),
    addressHeader('To', mail.to),
    ...(mail.replyTo ? [addressHeader('Reply-To', mail.replyTo)] : []),
    foldLines(`Subject: ${encodeWords(oneLine(mail.subject), 'Q', 52)}`, 76),
    `Message-ID: ${oneLine(mail.messageId)}`,
  ];
  for (const [name, value] of Object.entries(mail.headers)) {
    const line = `${name}: ${oneLine(value)}`;
    head.push(RAW_HEADERS.has(name.toLowerCase()) ? line : foldLines(line, 76));
  }
  head.push(`Date: ${(mail.date ?? new Date()).toUTCString().replace(/GMT/, '+0000')}`, 'MIME-Version: 1.0');

  const boundary = randomBytes(12).toString('hex');
  const inline = mail.attachments.filter((a) => a.cid);
  const files = mail.attachments.filter((a) => !a.cid);
  let body = multipart('alternative', `alt-${boundary}`, [textPart('text/plain', mail.text), textPart('text/html', mail.html)]);
  if (inline.length) body = multipart('related', `rel-${boundary}`, [body, ...inline.map(attachmentPart)], 'type="multipart/alternative"');
  if (files.length) body = multipart('mixed', `mix-${boundary}`, [body, ...files.map(attachmentPart)]);
  return Buffer.from(head.join(CRLF) + CRLF + body);
}

/** a part: its header lines, a blank line, its content (CRLF line endings throughout) */
function multipart(subtype: string, boundary: string, parts: string[], params = ''): string {
  const type = `Content-Type: multipart/${subtype}; boundary="${boundary}"${params ? `; ${params}` : ''}`;
  return `${foldLines(type, 76)}${CRLF}${CRLF}${parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join('')}--${boundary}${CRLF}`;
}

function textPart(type: string, content: string): string {
  const normalized = content.replace(/\r?\n/g, CRLF);
  return `Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${qpWrap(qpEncode(Buffer.from(normalized)), 76)}`;
}

function attachmentPart(file: MimeAttachment): string {
  let part = encodedParts.get(file);
  if (part === undefined) {
    const disposition = file.cid ? 'inline' : 'attachment';
    const lines = [
      foldLines(`Content-Type: ${buildHeaderValue({ value: file.contentType, params: { name: file.filename } })}`, 76),
      'Content-Transfer-Encoding: base64',
      foldLines(`Content-Disposition: ${buildHeaderValue({ value: disposition, params: { filename: file.filename } })}`, 76),
      ...(file.cid ? [`Content-ID: <${oneLine(file.cid).replace(/^<|>$/g, '')}>`] : []),
    ];
    part = `${lines.join(CRLF)}${CRLF}${CRLF}${base64Wrap(base64Encode(file.content), 76)}`;
    encodedParts.set(file, part);
  }
  return part;
}

/** `Name: "Display Name" <address>`, the name quoted or RFC 2047-encoded as needed */
function addressHeader(name: string, formatted: string): string {
  const m = /^\s*(?:"?(.*?)"?\s*)?<([^<>]+)>\s*$/.exec(oneLine(formatted));
  const display = m?.[1]?.trim() ?? '';
  const address = (m?.[2] ?? formatted).trim();
  if (!display) return `${name}: ${address}`;
  const phrase = isPlainText(display) ? (/^[\w !#$%&'*+\-/=?^`{|}~]*$/.test(display) ? display : quoteString(display)) : encodeWord(display, 'Q', 52);
  return foldLines(`${name}: ${phrase} <${address}>`, 76);
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}
