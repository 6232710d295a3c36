import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { isValidEmail, normalizeEmail } from '../thread/email-address.js';
import { fitBody, htmlToPreview, sanitizeBody } from '../thread/html.js';
import type { AttachmentInput } from '../thread/thread.service.js';
import { detectAutoReply } from './auto-reply.js';
import { bounceIn, isDaemon, type BounceReport } from './bounce-detector.js';
import { withoutUnfollowLinks } from './own-footer.js';
import { trimQuotes } from './quote-trimmer.js';
import { addressesIn, headerBlock, headerIndex, messageIdList, messageIdOf, normalizeRaw } from './raw-mail.js';

/** A parsed inbound mail: everything the router and the delivery need, computed once. */
export interface InboundMail {
  messageId: string;
  /** normalized sender address, or null when the From has none usable */
  sender: string | null;
  senderName: string | null;
  /** the From header as received */
  from: string | null;
  /** a sender that is a mail system (mailer-daemon, postmaster) */
  fromDaemon: boolean;
  /** `Return-Path: <>`: the mail itself must never be answered */
  nullReturnPath: boolean;
  subject: string;
  to: string[];
  cc: string[];
  /** every address the mail was delivered to: To, Cc, Delivered-To, X-Original-To, Resent-*, envelope */
  recipients: string[];
  inReplyTo: string[];
  references: string[];
  /** sanitized HTML of what the sender wrote */
  body: string;
  /** plain-text excerpt of `body` (a message's preview) */
  preview: string;
  /** sanitized HTML of the quoted history trimmed from it; null when none */
  trimmedBody: string | null;
  attachments: AttachmentInput[];
  autoReply: boolean;
  autoReplyReason?: string;
  bounce?: BounceReport;
  /** a header of the top-level message, first value */
  header(name: string): string | undefined;
  date: Date | null;
}

/**
 * An InboundMail as plain data (what a parse worker sends back): the top-level header block instead of `header()`.
 * `inboundMail()` turns it into an InboundMail.
 */
export type InboundMailData = Omit<InboundMail, 'header'> & {
  /** the top-level header block, unfolded, latin1 */
  headerBlock: string;
};

export interface ParseContext {
  /** envelope recipients from the ingress */
  envelope: string[];
  bounceAddresses: { local: string; domain: string }[];
  messageId: string;
  /** the largest message body: a longer one is cut (off the main thread) */
  maxBodyBytes?: number;
}

const ENVELOPE_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'resent-to', 'resent-cc', 'x-rcpt-to'];

export async function parseInbound(raw: Buffer, ctx: ParseContext): Promise<InboundMail> {
  return inboundMail(await parseInboundData(raw, ctx));
}

/** the mail with its `header()` look-up */
export function inboundMail(data: InboundMailData): InboundMail {
  const { headerBlock: block, ...mail } = data;
  let index: Map<string, string[]> | undefined;
  return { ...mail, header: (name: string) => (index ??= headerIndex(block)).get(name.toLowerCase())?.[0] };
}

/** parses a raw mail into plain, structured-cloneable data */
export async function parseInboundData(raw: Buffer, ctx: ParseContext): Promise<InboundMailData> {
  const input = normalizeRaw(raw);
  const parsed = await simpleParser(input, PARSE_OPTIONS);
  const block = headerBlock(input);
  const index = headerIndex(block);
  const headerValues = (name: string) => index.get(name.toLowerCase()) ?? [];
  const header = (name: string) => headerValues(name)[0];
  const fromAddress = first(parsed.from);
  const sender = fromAddress?.address && isValidEmail(fromAddress.address) ? normalizeEmail(fromAddress.address) : null;
  const subject = (parsed.subject ?? '').replace(/\0/g, '').trim();
  const to = addresses(parsed.to);
  const cc = addresses(parsed.cc);
  const recipients = unique([...to, ...cc, ...ENVELOPE_HEADERS.flatMap((h) => headerValues(h).flatMap(addressesIn)), ...ctx.envelope.map(normalizeEmail)]);
  const returnPath = headerValues('return-path');
  const nullReturnPath = returnPath.length > 0 && returnPath.every((v) => /^<\s*>$/.test(v.trim()));
  const verdict = detectAutoReply(header, subject);
  const bounce = bounceIn(input.toString('latin1'), {
    recipients,
    bounceAddresses: ctx.bounceAddresses,
    fromAddress: sender ?? undefined,
    fromName: fromAddress?.name,
    subject,
    returnPathEmpty: nullReturnPath,
  });
  const { body: whole, trimmed } = await content(parsed, input);
  const body = ctx.maxBodyBytes ? fitBody(whole, ctx.maxBodyBytes) : whole;
  return {
    messageId: messageIdOf(parsed.messageId) ?? ctx.messageId,
    sender,
    senderName: noNul(fromAddress?.name?.trim() ?? '') || null,
    from: noNul(parsed.from?.text ?? '').slice(0, 512) || null,
    fromDaemon: isDaemon({ fromAddress: sender ?? undefined, fromName: fromAddress?.name }),
    nullReturnPath,
    subject,
    to,
    cc,
    recipients,
    inReplyTo: messageIdList(parsed.inReplyTo),
    references: messageIdList(parsed.references),
    body,
    preview: htmlToPreview(body, 250),
    trimmedBody: trimmed,
    attachments: parsed.attachments.map((a, i) => ({
      name: noNul(a.filename || defaultName(a.contentType, i)).slice(0, 512),
      content: a.content,
      mimetype: (a.contentType || 'application/octet-stream').slice(0, 255),
      cid: a.contentId ? a.contentId.replace(/^<|>$/g, '').slice(0, 255) : undefined,
    })),
    autoReply: verdict.autoReply,
    autoReplyReason: verdict.reason,
    bounce,
    headerBlock: block,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
  };
}

/**
 * mailparser's work the body does not use: its HTML made of the text parts (we make our own), links found in text,
 * and the text it makes of an HTML-only part (`html-to-text`: a second parse of the HTML, needed only when that HTML
 * sanitizes to nothing — `content` converts it then)
 */
const PARSE_OPTIONS = { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, skipHtmlToText: true } as const;

/** the body: HTML when there is one, else the text; quoted history trimmed; sanitized */
async function content(parsed: ParsedMail, input: Buffer): Promise<{ body: string; trimmed: string | null }> {
  const html = typeof parsed.html === 'string' ? withoutUnfollowLinks(parsed.html) : '';
  if (!html) {
    let text = withoutUnfollowLinks(parsed.text ?? '');
    // a multipart whose boundary never appears (trimmed fixtures, broken senders) parses to nothing: keep its body text
    if (!text.trim() && parsed.attachments.length === 0) {
      const split = /\r?\n\r?\n/.exec(input.toString('latin1', 0, Math.min(input.length, 2 << 20)));
      text = split ? input.subarray(split.index + split[0].length).toString('utf8') : '';
    }
    return fromText(text);
  }
  const { body, trimmed } = trimQuotes({ html });
  const clean = noNul(sanitizeBody(body));
  const cleanTrimmed = trimmed ? noNul(sanitizeBody(trimmed)) || null : null;
  if (clean) return { body: clean, trimmed: cleanTrimmed };
  // an HTML part that sanitizes to nothing (images only, scripts): the text instead — the text parts, and the text
  // mailparser makes of the HTML parts
  const text = withoutUnfollowLinks((await simpleParser(input, { ...PARSE_OPTIONS, skipHtmlToText: false })).text ?? '');
  return text.trim() ? fromText(text) : { body: clean, trimmed: cleanTrimmed };
}

/** a text body as HTML, quoted history trimmed: `textToHtml` writes safe HTML, so there is nothing to sanitize */
function fromText(text: string): { body: string; trimmed: string | null } {
  const { body, trimmed } = trimQuotes({ text });
  return { body: noNul(body), trimmed: trimmed ? noNul(trimmed) : null };
}

/** NUL bytes are legal in a broken mail and illegal in database text */
function noNul(text: string): string {
  return text.includes('\0') ? text.replace(/\0/g, '') : text;
}

function first(value: AddressObject | AddressObject[] | undefined): { address?: string; name?: string } | undefined {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  for (const obj of list) for (const v of obj.value) if (v.address) return v;
  for (const obj of list) for (const v of obj.value) for (const g of v.group ?? []) if (g.address) return g;
  return list[0]?.value[0];
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const out: string[] = [];
  for (const obj of list) {
    for (const v of obj.value) {
      for (const a of [v, ...(v.group ?? [])]) if (a.address && isValidEmail(a.address)) out.push(normalizeEmail(a.address));
    }
  }
  return unique(out);
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

function defaultName(contentType: string, index: number): string {
  if (contentType === 'message/rfc822') return `message-${index + 1}.eml`;
  const ext = /\/([a-z0-9.+-]+)$/i.exec(contentType)?.[1]?.replace(/^(x-|vnd\.)/, '') ?? 'bin';
  return `attachment-${index + 1}.${ext.slice(0, 10)}`;
}
