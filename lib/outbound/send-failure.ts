import type { NotificationFailureType } from '../entities/notification.entity.js';

/** Why a mail was not sent, and whether trying again can help. */
export interface SendFailure {
  /** false: retry later (connection refused, timeout, 4xx); true: give up now (5xx, invalid address) */
  permanent: boolean;
  type: NotificationFailureType;
  /** the server's own words when it answered (e.g. `550 5.1.1 <x@y>: Recipient address rejected`), else the error */
  reason: string;
}

/** network-level trouble: the server may be back in a minute */
const TEMPORARY_CODES = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EAUTH', 'ENOAUTH', 'EOAUTH2', 'EMAXLIMIT', 'EPROXY', 'ECLOSED',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL',
]);

/** Sorts a nodemailer error into retry-later or give-up (Odoo gives up on everything; we retry what can pass later). */
export function classifySendError(error: unknown): SendFailure {
  const e = (error ?? {}) as { code?: string; responseCode?: number; response?: string; command?: string; message?: string };
  const reason = (e.response || e.message || String(error)).replace(/\s+/g, ' ').trim().slice(0, 1000);
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (status !== undefined && status >= 500) {
    // the recipient itself was refused (RCPT TO): the address is the problem, not the server
    const atRecipient = e.code === 'EENVELOPE' && (!e.command || /^RCPT/i.test(e.command));
    return { permanent: true, type: atRecipient ? 'mail_email_invalid' : 'mail_smtp', reason };
  }
  if (status !== undefined && status >= 400) return { permanent: false, type: 'mail_smtp', reason };
  if (e.code === 'EENVELOPE') return { permanent: true, type: 'mail_email_invalid', reason };
  if (e.code && TEMPORARY_CODES.has(e.code)) return { permanent: false, type: 'mail_smtp', reason };
  return { permanent: false, type: 'unknown', reason };
}

/** a failure decided before any server was asked */
export function invalidAddress(address: string): SendFailure {
  return { permanent: true, type: 'mail_email_invalid', reason: `invalid recipient address "${address}"` };
}
