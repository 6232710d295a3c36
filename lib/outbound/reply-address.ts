import { createHmac, timingSafeEqual } from 'node:crypto';

/** Who a signed reply address was given to, about which record. */
export interface ReplyAddressClaims {
  model: string;
  id: string;
  partnerId: number;
}

/** A verified address: its claims, and the day it was issued. */
export type ReplyAddressCheck = (ReplyAddressClaims & { issuedAt: Date }) | { error: string };

/** 2 added the issue day; version 1 tokens (no date, never expiring) are no longer accepted */
const VERSION = 2;
const DAY_MS = 86_400_000;
const MAC_BYTES = 10; // 80 bits: forging one by guessing takes ~2^79 tries against a server that answers each
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // RFC 4648 base32, lower case: survives MTAs that fold case

/**
 * A reply address bound to a thread and a recipient, checkable without a database look-up:
 * `catchall+<token>@domain`, the token being base32 of (version, partner, model, id) and an HMAC-SHA256 over them.
 * It also carries the day it was issued, so a reply to a very old notification can be refused (`replyTokenMaxAgeDays`).
 * Holding one names the thread, nothing more: whether its sender may post there is the model's reply policy.
 */
export function signReplyAddress(claims: ReplyAddressClaims, domain: string, secret: string, localPart = 'catchall', issuedAt = new Date()): string {
  if (!Number.isSafeInteger(claims.partnerId) || claims.partnerId < 0) throw new Error('signReplyAddress: partnerId must be a non-negative integer');
  const day = Math.floor(issuedAt.getTime() / DAY_MS);
  const payload = Buffer.concat([Buffer.from([VERSION]), varint(claims.partnerId), varint(day), Buffer.from(claims.model), Buffer.from([0]), Buffer.from(String(claims.id))]);
  return `${localPart}+${base32(Buffer.concat([payload, mac(payload, secret)]))}@${domain}`;
}

/**
 * Checks a signed reply address: accepts `local+token@domain`, `local+token` or the token alone (case-insensitive).
 * Returns the thread and partner it was made for, or `{ error }` saying why not.
 */
export function verifyReplyAddress(localPartOrAddress: string, secret: string): ReplyAddressCheck {
  const trimmed = localPartOrAddress.trim().replace(/^<|>$/g, '');
  const local = trimmed.replace(/@[^@]*$/, '');
  const plus = local.indexOf('+');
  // an address needs its `+token`; a bare token is accepted as it is
  if (plus < 0 && trimmed.includes('@')) return { error: 'not a signed reply address' };
  const token = (plus < 0 ? local : local.slice(plus + 1)).toLowerCase();
  if (!token || !/^[a-z2-7]+$/.test(token)) return { error: 'not a signed reply address' };
  const bytes = unbase32(token);
  if (!bytes || bytes.length < MAC_BYTES + 4) return { error: 'malformed reply token' };
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  const given = bytes.subarray(bytes.length - MAC_BYTES);
  if (!timingSafeEqual(given, mac(payload, secret))) return { error: 'bad signature' };
  if (payload[0] !== VERSION) return { error: `unknown reply token version ${payload[0]}` };
  const partner = readVarint(payload, 1);
  if (!partner) return { error: 'malformed reply token' };
  const day = readVarint(payload, partner.next);
  if (!day) return { error: 'malformed reply token' };
  const start = day.next;
  const sep = payload.indexOf(0, start);
  if (sep < 0) return { error: 'malformed reply token' };
  const model = payload.subarray(start, sep).toString();
  const id = payload.subarray(sep + 1).toString();
  if (!model || !id) return { error: 'malformed reply token' };
  return { model, id, partnerId: partner.value, issuedAt: new Date(day.value * DAY_MS) };
}

function mac(payload: Buffer, secret: string): Buffer {
  return createHmac('sha256', secret).update('chatter-reply-address\0').update(payload).digest().subarray(0, MAC_BYTES);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 8; i++) {
    value += (buf[i] & 0x7f) * scale;
    scale *= 128;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

function base32(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
