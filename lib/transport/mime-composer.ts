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
  /** more headers: Message-ID lists (In-Reply-To, References) folded between ids only, others folded and encoded as needed */
  headers: Record<string, string>;
  text: string;
  html: string;
  /** reuse the same objects across mails: their encoded parts are cached per object */
  attachments: MimeAttachment[];
  date?: Date;
}

const CRLF = '\r\n';
/** headers of message ids: folded between ids only (see foldIds), never RFC 2047-encoded */
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
    if (RAW_HEADERS.has(name.toLowerCase())) head.push(foldIds(name, oneLine(value)));
    else head.push(foldLines(`${name}: ${isPlainText(oneLine(value)) ? oneLine(value) : encodeWords(oneLine(value), 'Q', 52)}`, 76));
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
  // the close delimiter is `--boundary--` (RFC 2046 §5.1.1): without it a strict reader sees one more, empty part
  return `${foldLines(type, 76)}${CRLF}${CRLF}${parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join('')}--${boundary}--${CRLF}`;
}

/**
 * `Name: <id> <id> …` folded between ids only, never inside one (a header line should stay within 78 characters and
 * must within 998, and 32 References are longer than that); a lone id stays on its line whatever its length.
 */
function foldIds(name: string, value: string): string {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const id of value.split(/\s+/).filter(Boolean)) {
    if (line.length + 1 + id.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = '';
    }
    line += ` ${id}`;
  }
  lines.push(line);
  return lines.join(CRLF);
}

function textPart(type: string, content: string): string {
  // a bare CR (kept from a malformed inbound body) is a line break too: quoted-printable would pass it through raw
  const normalized = content.replace(/\r\n|\r|\n/g, CRLF);
  return `Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${qpWrap(qpEncode(Buffer.from(normalized)), 76)}`;
}

function attachmentPart(file: MimeAttachment): string {
  let part = encodedParts.get(file);
  if (part === undefined) {
    const disposition = file.cid ? 'inline' : 'attachment';
    const isMessage = MESSAGE_TYPES.test(file.contentType);
    const embedded = isMessage ? asSevenBitMessage(file.content) : undefined;
    // a message/* part may not be base64 (RFC 2046 §5.2): one that is not 7-bit clean travels as a plain file
    const contentType = isMessage && embedded === undefined ? 'application/octet-stream' : file.contentType;
    const lines = [
      foldLines(`Content-Type: ${buildHeaderValue({ value: contentType, params: { name: file.filename } })}`, 76),
      `Content-Transfer-Encoding: ${embedded === undefined ? 'base64' : '7bit'}`,
      foldLines(`Content-Disposition: ${buildHeaderValue({ value: disposition, params: { filename: file.filename } })}`, 76),
      ...(file.cid ? [`Content-ID: <${oneLine(file.cid).replace(/^<|>$/g, '')}>`] : []),
    ];
    part = `${lines.join(CRLF)}${CRLF}${CRLF}${embedded ?? base64Wrap(base64Encode(file.content), 76)}`;
    encodedParts.set(file, part);
  }
  return part;
}

const MESSAGE_TYPES = /^\s*message\/(rfc822|partial|external-body)\s*(;|$)/i;

/** an attached mail as a 7bit body (CRLF line endings, lines within 998 octets), or undefined when it is not one */
function asSevenBitMessage(content: Buffer): string | undefined {
  if (content.some((byte) => byte === 0 || byte > 0x7f)) return undefined;
  const lines = content.toString('latin1').split(/\r\n|\r|\n/);
  if (lines.some((line) => line.length > 998)) return undefined;
  return lines.join(CRLF).replace(/(\r\n)+$/, '');
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
