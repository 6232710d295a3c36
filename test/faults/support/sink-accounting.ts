import type { SmtpSink } from '../../outbound/support/smtp-sink.js';

/** what the fault tests query the outbox with (a pg Client or Pool) */
interface Sql {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** `Name <a@b>` → `a@b`, lower case */
export function address(formatted: string): string {
  return (/<([^>]+)>\s*$/.exec(formatted)?.[1] ?? formatted).trim().toLowerCase();
}

/**
 * The mails a SIGKILLed sender left in flight: accepted by the sink, their row still `sending` (a live replica records
 * a send within milliseconds; call this a second after the kill). SMTP has no two-phase commit: these, and only these,
 * may arrive twice. Keys are `Message-ID|recipient`.
 */
export async function inFlightAtKill(sql: Sql, sink: SmtpSink): Promise<Set<string>> {
  const sending = (await sql.query(
    `select m.message_id as mid, o.email_to as rcpt from chatter_outgoing_mail o join chatter_message m on m.id = o.message_id where o.state = 'sending'`,
  )).rows as { mid: string; rcpt: string }[];
  const atTheSink = new Set(sink.mails.flatMap((m) => m.rcptTo.map((r) => `${m.messageId}|${r.toLowerCase()}`)));
  return new Set(sending.map((r) => `${r.mid}|${address(r.rcpt)}`).filter((key) => atTheSink.has(key)));
}

/** Every mail of the outbox against what the sink received, by Message-ID and recipient. */
export interface SinkCount {
  /** mails the outbox holds */
  expected: number;
  /** of them, received at least once */
  sent: number;
  /** never received */
  lost: number;
  /** extra copies of mails outside the SIGKILL's in-flight window */
  duplicates: number;
  /** extra copies of mails in it */
  killedWindow: number;
  /** given up by the outbox */
  failed: number;
  /** received, not in the outbox */
  unexpected: string[];
}

export async function countAtSink(sql: Sql, sink: SmtpSink, inFlight: Set<string>): Promise<SinkCount> {
  const outbox = (await sql.query(
    `select m.message_id as mid, o.email_to as rcpt, o.state from chatter_outgoing_mail o join chatter_message m on m.id = o.message_id`,
  )).rows as { mid: string; rcpt: string; state: string }[];
  const received = new Map<string, number>();
  for (const row of outbox) received.set(`${row.mid}|${address(row.rcpt)}`, 0);
  const unexpected: string[] = [];
  for (const mail of sink.mails) {
    for (const rcpt of mail.rcptTo) {
      const key = `${mail.messageId}|${rcpt.toLowerCase()}`;
      if (received.has(key)) received.set(key, received.get(key)! + 1);
      else unexpected.push(key);
    }
  }
  const extra = (pick: (key: string) => boolean) => [...received].filter(([key]) => pick(key)).reduce((sum, [, n]) => sum + Math.max(0, n - 1), 0);
  return {
    expected: received.size,
    sent: [...received.values()].filter((n) => n > 0).length,
    lost: [...received.values()].filter((n) => n === 0).length,
    duplicates: extra((key) => !inFlight.has(key)),
    killedWindow: extra((key) => inFlight.has(key)),
    failed: outbox.filter((r) => r.state === 'exception').length,
    unexpected,
  };
}
