import { Controller, HttpCode, HttpException, HttpStatus, Post, Req } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { InboundConfig } from '../gateway/inbound-config.js';
import { InboundGateway, type InboundReceipt } from '../gateway/inbound-gateway.js';
import { normalizeRaw } from '../gateway/raw-mail.js';
import { RecipientCheck } from './recipient-check.js';

/**
 * The HTTP relay: `POST /chatter/inbound` with the raw RFC 822 mail as the body and `Authorization: Bearer <token>`.
 * 202 once the mail is committed to the ledger; 401 bad token, 400 not a mail, 404 unknown recipient (when the
 * relay names one in `?recipient=` or `X-Chatter-Recipient`), 413 too large, 503 when no token is configured.
 * `chatter-mailgate` (the MTA pipe) talks to it; so can any mail service that forwards raw mail by webhook.
 */
@Controller('chatter')
export class HttpRelayController {
  constructor(
    private readonly config: InboundConfig,
    private readonly gateway: InboundGateway,
    private readonly recipients: RecipientCheck,
  ) {}

  @Post('inbound')
  @HttpCode(HttpStatus.ACCEPTED)
  async inbound(@Req() req: Request): Promise<InboundReceipt & { status: string }> {
    const token = this.config.relayToken;
    if (!token) throw new HttpException({ error: 'relay_disabled', message: 'the inbound relay has no token configured' }, HttpStatus.SERVICE_UNAVAILABLE);
    const given = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '')?.[1]?.trim() ?? '';
    if (!sameSecret(given, token)) throw new HttpException({ error: 'bad_token', message: 'missing or wrong bearer token' }, HttpStatus.UNAUTHORIZED);
    const raw = await readBody(req, this.config.maxBytes);
    if (!looksLikeMail(raw)) throw new HttpException({ error: 'not_a_mail', message: 'the body is not an RFC 822 message (no header block)' }, HttpStatus.BAD_REQUEST);
    const recipient = (req.query.recipient as string | undefined) ?? req.header('x-chatter-recipient');
    if (recipient) {
      const verdict = await this.recipients.check(recipient);
      if (!verdict.ok) throw new HttpException({ error: verdict.code, message: verdict.message }, HttpStatus.NOT_FOUND);
    }
    // the relay is the operator's MTA (it holds the token): what it says of the envelope and the client is believed
    const sender = (req.query.sender as string | undefined) ?? req.header('x-chatter-sender');
    const clientIp = req.header('x-chatter-client-ip');
    const receipt = await this.gateway.receive(raw, {
      kind: req.header('x-chatter-source') === 'pipe' ? 'pipe' : 'http',
      recipients: recipient ? [recipient] : undefined,
      envelopeFrom: typeof sender === 'string' ? sender : undefined,
      clientIp: clientIp || undefined,
    });
    return { ...receipt, status: receipt.duplicate ? 'duplicate' : 'received' };
  }
}

/** constant-time comparison of two secrets of any length */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

async function readBody(req: Request, max: number): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body);
  if (req.readableEnded) throw new HttpException({ error: 'not_a_mail', message: 'send the mail as message/rfc822 or application/octet-stream' }, HttpStatus.BAD_REQUEST);
  const declared = Number(req.header('content-length') ?? 0);
  if (declared > max) throw new HttpException({ error: 'too_large', message: `the mail is larger than ${max} bytes` }, HttpStatus.PAYLOAD_TOO_LARGE);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.destroy();
      throw new HttpException({ error: 'too_large', message: `the mail is larger than ${max} bytes` }, HttpStatus.PAYLOAD_TOO_LARGE);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** a header field in the first line (after an mbox postmark, a byte-order mark, or blank or all-space lines) */
export function looksLikeMail(raw: Buffer): boolean {
  if (raw.length === 0) return false;
  const head = normalizeRaw(raw.subarray(0, 8192)).toString('latin1').replace(/^(?:\xEF\xBB\xBF)?(?:[ \t]*\r?\n)*/, '');
  return /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(head);
}
