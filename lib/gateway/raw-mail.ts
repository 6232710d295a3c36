import { createHash } from 'node:crypto';

/** sha256 of the raw bytes, hex */
export function sha256(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * sha256 of the mail's canonical form: line endings as LF (SMTP hands over CRLF, a relay or an IMAP server often LF,
 * an old Mac bare CR), without trailing whitespace on lines or at the end. The same mail through two ingresses has one.
 */
export function contentHash(raw: Buffer): string {
  const canonical = raw.toString('latin1').replace(/[ \t]*(\r\n|\r|\n)/g, '\n').replace(/\s+$/, '');
  return createHash('sha256').update(canonical, 'latin1').digest('hex');
}

/** A stable Message-ID for a mail that has none, derived from its content hash (so a redelivery gets the same one). */
export function synthesizeMessageId(hash: string): string {
  return `<${hash.slice(0, 40)}@synthesized.chatter.invalid>`;
}

/**
 * What parsers expect, from what mail servers hand over: drops an mbox `From ` postmark and blank lines before the
 * headers, and turns bare-CR line endings (old Mac) into CRLF. Without this, mailparser silently reads such mails as
 * headerless. The stored raw stays untouched; only the parse input is normalized.
 */
export function normalizeRaw(raw: Buffer): Buffer {
  let start = 0;
  if (raw.length > 5 && raw.toString('latin1', 0, 5) === 'From ') {
    const nl = raw.indexOf(0x0a);
    const cr = raw.indexOf(0x0d);
    const end = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
    start = end === -1 ? raw.length : end + 1;
    if (raw[start] === 0x0a && raw[start - 1] === 0x0d) start++;
  }
  while (start < raw.length && (raw[start] === 0x0a || raw[start] === 0x0d)) start++;
  let out = start === 0 ? raw : raw.subarray(start);
  // bare CR only when the head has no LF at all: a few stray CRs in a normal mail are left alone
  const head = out.subarray(0, 4096);
  if (head.indexOf(0x0a) === -1 && head.indexOf(0x0d) !== -1) {
    out = Buffer.from(out.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1');
  }
  return out;
}

/** the header block of a raw mail as latin1 text (bytes preserved), unfolded */
export function headerBlock(raw: Buffer, limit = 256 * 1024): string {
  const text = raw.subarray(0, limit).toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  return (m ? text.slice(0, m.index) : text).replace(/\r?\n[ \t]+/g, ' ');
}

/** every value of header `name` in an unfolded header block */
export function headerValues(block: string, name: string): string[] {
  const re = new RegExp(`^${name.replace(/[-]/g, '\\-')}[ \\t]*:[ \\t]*(.*)$`, 'gim');
  const out: string[] = [];
  for (const m of block.matchAll(re)) out.push(m[1].replace(/\r$/, '').trim());
  return out;
}

/**
 * Every header of an unfolded header block, by lower-cased name, in order: `headerValues` for all names at once (a
 * parse asks for some twenty of them; a regular expression each cost more than the whole block's split).
 */
export function headerIndex(block: string): Map<string, string[]> {
  const index = new Map<string, string[]>();
  // the line breaks a multiline `^` matches at, as `headerValues` reads them
  for (const line of block.split(/\r\n|[\n\r\u2028\u2029]/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).replace(/[ \t]+$/, '').toLowerCase();
    const values = index.get(name);
    const value = line.slice(colon + 1).trim();
    if (values) values.push(value);
    else index.set(name, [value]);
  }
  return index;
}

/** the `<id>` of a Message-ID header value, or undefined */
export function messageIdOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // an id holding a NUL or another control character is no id (it would fail every write of the mail)
  const m = /<([^<>\s\x00-\x1f\x7f]+)>/.exec(value) ?? /^([^<>\s@\x00-\x1f\x7f]+@[^<>\s\x00-\x1f\x7f]+)$/.exec(value.trim());
  return m ? `<${m[1]}>`.slice(0, 998) : undefined;
}

/** the Message-ID of a raw mail, read from its header block without a full parse */
export function peekMessageId(raw: Buffer): string | undefined {
  return messageIdOf(headerValues(headerBlock(normalizeRaw(raw)), 'message-id')[0]);
}

/** every `<id>` in a References / In-Reply-To value, in order */
export function messageIdList(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return [...text.matchAll(/<([^<>\s\x00-\x1f\x7f]+)>/g)].map((m) => `<${m[1]}>`);
}

/** addresses in a header value: `"Name" <a@b>, c@d` → [a@b, c@d], lower-cased */
export function addressesIn(value: string): string[] {
  const out = new Set<string>();
  for (const m of value.matchAll(/<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)>?/g)) {
    out.add(m[1].toLowerCase());
  }
  return [...out];
}
