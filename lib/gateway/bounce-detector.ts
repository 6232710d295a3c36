import { addressesIn, messageIdOf } from './raw-mail.js';
import { decodedBody, header, headersNamed, parseHeaderLines, parseMimeTree, walk, type MimeNode } from './mime-tree.js';

export type BounceAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface BouncedRecipient {
  email: string;
  action: BounceAction;
  /** RFC 3463 status, e.g. `5.1.1` */
  status?: string;
  diagnostic?: string;
}

/** What a delivery report says: who failed, why, and which mail of ours it was about. */
export interface BounceReport {
  /** how it was recognised */
  kind: 'dsn' | 'feedback' | 'text' | 'verp';
  recipients: BouncedRecipient[];
  /** true when nothing failed for good (delay warnings, success notices) */
  temporary: boolean;
  /** the Message-ID of the mail that bounced, from the enclosed original */
  originalMessageId?: string;
  /** `bounce+<id>@` of our VERP Return-Path, when the report came back to one */
  verpId?: string;
  /** the first diagnostic, for the notification's failure reason */
  reason: string;
}

export interface BounceContext {
  /** every recipient of the mail (To, Cc, Delivered-To, envelope…), lower-cased */
  recipients: string[];
  /** local parts of our bounce addresses per domain: `bounce@example.test` */
  bounceAddresses: { local: string; domain: string }[];
  fromAddress?: string;
  fromName?: string;
  subject: string;
  returnPathEmpty: boolean;
}

const DAEMON_LOCAL = /^(mailer[-_.]?daemon|post[-_]?master|mail[-_.]?daemon|mmdf|mail[-_.]?delivery(?:[-_.]subsystem)?|bounces?|returned|qmail-send|mdaemon|mail[-_]?admin|mail[-_]?system|mail[-_]?router)$/i;
const DAEMON_NAME = /mail delivery (subsystem|system|service)|mailer[- ]daemon|post ?master|delivery status notification|mail administrator|internet mail delivery|mail system/i;
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (status )?notification|delivery status|returned mail|return(ed)? to sender|failure notice|delivery fail|mail delivery failed|non[- ]?delivery|nondeliverable|could not be delivered|couldn't be delivered|not (be )?delivered|delivery has failed|delivery problem|mail system error|message (was )?not delivered|unzustellbar|nicht zustellbar|zustellung|unable to deliver|delivery report|mail failure|failed mail|bounced? mail|warning: could not send|delayed mail|delivery delay|permanent (error|failure)|user unknown|no such user|rejected:|error sending message|message status|配信|未達|エラー|returned|failed delivery|problem delivering|not reachable|warning: message|not yet been delivered|delayed \d+ hours|mailbox (is )?(full|unavailable)/i;
const DELAY_HINT = /will (continue to )?(re)?try|not yet been delivered|still (being )?(re)?tr(y|ying)|no action is required|will be retried|delivery attempts will continue|retry timeout not reached|has not been delivered yet|is still in the queue|will keep trying/i;
const PERMANENT_HINT = /permanent|gave up|giving up|could not be delivered|has been returned|user unknown|does not exist|no such/i;
const ORIGINAL_MARKER =
  /^[ \t]*(-{2,}.*(original message|copy of the message|returned message|undelivered message|message follows|unsent message|headers of|message header|forwarded message|attached message)|-{3,} ?(Below this line|The header of|Original message)|original message follows|unsent message below|Below this line is a copy|Your message reads|The original message was received|message was:|------ This is a copy)/im;

/**
 * What a report's MIME structure needs somewhere in the raw mail: a DSN or feedback part, a `multipart/report`, or an
 * enclosed message (whose encoded body may hide one). Types and parameters are matched as `parseContentType` reads them.
 */
const REPORT_MARKER = /delivery-status|feedback-report|multipart\/report|message\/(rfc822|global)/i;

/**
 * `detectBounce` on a raw mail (latin1). Most mails are no report and come from no mail system: for them the MIME
 * tree is not built (it was a tenth of a parse's own work), and the answer is the same — without a report marker,
 * `detectBounce` looks only at the sender, the subject, the Return-Path and a VERP address.
 */
export function bounceIn(raw: string, ctx: BounceContext): BounceReport | undefined {
  if (!REPORT_MARKER.test(raw) && !verpIdOf(ctx) && !isDaemon(ctx) && !ctx.returnPathEmpty && !BOUNCE_SUBJECT.test(ctx.subject)) return undefined;
  return detectBounce(parseMimeTree(raw), ctx);
}

/** Recognises a bounce (DSN, feedback report, or an MTA's plain-text notice) from the MIME tree; undefined if not one. */
export function detectBounce(tree: MimeNode, ctx: BounceContext): BounceReport | undefined {
  const verpId = verpIdOf(ctx);
  const dsn = [...walk(tree)].find((n) => n.type === 'message/delivery-status' || n.type === 'message/global-delivery-status');
  const reportType = (tree.type === 'multipart/report' ? tree.params['report-type'] : '')?.toLowerCase() ?? '';
  if (dsn) return fromDsn(tree, dsn, verpId);
  const feedback = [...walk(tree)].find((n) => n.type === 'message/feedback-report');
  if (feedback || reportType === 'feedback-report') return fromFeedback(tree, feedback, verpId);
  if (reportType === 'delivery-status') return fromText(tree, ctx, verpId, 'dsn');
  if (reportType === 'disposition-notification') return undefined; // a read receipt, not a bounce
  const daemon = isDaemon(ctx);
  const bouncy = BOUNCE_SUBJECT.test(ctx.subject);
  if (daemon || (ctx.returnPathEmpty && (bouncy || !ctx.fromAddress))) {
    return fromText(tree, ctx, verpId, 'text');
  }
  // a bounce-looking subject from an ordinary address: only with a failed recipient named and not as a reply
  if (bouncy && !/^\s*(re|fwd?|aw|tr|sv)\s*:/i.test(ctx.subject)) {
    const report = fromText(tree, ctx, verpId, 'text');
    if (report.recipients.length > 0) return report;
  }
  if (verpId) return { ...fromText(tree, ctx, verpId, 'verp'), kind: 'verp' };
  return undefined;
}

export function isDaemon(ctx: Pick<BounceContext, 'fromAddress' | 'fromName'>): boolean {
  const local = ctx.fromAddress?.split('@')[0] ?? '';
  return DAEMON_LOCAL.test(local) || DAEMON_NAME.test(ctx.fromName ?? '') || (!ctx.fromAddress && /daemon|postmaster/i.test(ctx.fromName ?? ''));
}

/** `bounce+42@example.test` among the recipients → "42" */
export function verpIdOf(ctx: Pick<BounceContext, 'recipients' | 'bounceAddresses'>): string | undefined {
  for (const address of ctx.recipients) {
    const [local, domain] = address.split('@');
    for (const b of ctx.bounceAddresses) {
      if (domain !== b.domain || !local.startsWith(`${b.local}+`)) continue;
      const id = local.slice(b.local.length + 1);
      if (/^[A-Za-z0-9._=-]{1,200}$/.test(id)) return id;
    }
  }
  return undefined;
}

function fromDsn(tree: MimeNode, dsn: MimeNode, verpId: string | undefined): BounceReport {
  const text = decodedBody(dsn).replace(/\r\n/g, '\n');
  const blocks = text.split(/\n[ \t]*\n/).map((b) => parseHeaderLines(b)).filter((h) => h.length > 0);
  const recipients: BouncedRecipient[] = [];
  for (const fields of blocks) {
    const get = (k: string) => fields.find(([key]) => key === k)?.[1];
    const raw = get('original-recipient') ?? get('final-recipient') ?? get('x-actual-recipient');
    if (!raw) continue;
    const email = addressesIn(raw.replace(/^[\w-]+;\s*/, ''))[0] ?? addressesIn(get('final-recipient') ?? '')[0];
    if (!email || recipients.some((r) => r.email === email)) continue;
    const status = /\d\.\d{1,3}\.\d{1,3}/.exec(get('status') ?? '')?.[0];
    const actionText = (get('action') ?? '').toLowerCase();
    const action: BounceAction = (['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const).find((a) => actionText.includes(a))
      ?? (status?.startsWith('4') ? 'delayed' : status?.startsWith('2') ? 'delivered' : 'failed');
    recipients.push({ email, action, status, diagnostic: get('diagnostic-code')?.replace(/^[\w-]+;\s*/, '') });
  }
  const found = recipients.length ? recipients : recipientsFromText(humanText(tree)).map((email) => ({ email, action: 'failed' as const }));
  const failed = found.filter((r) => r.action === 'failed');
  return {
    kind: 'dsn',
    recipients: found,
    temporary: failed.length === 0 && found.length > 0,
    originalMessageId: originalMessageId(tree),
    verpId,
    reason: describe(failed[0] ?? found[0]),
  };
}

function fromFeedback(tree: MimeNode, part: MimeNode | undefined, verpId: string | undefined): BounceReport {
  const fields = part ? parseHeaderLines(decodedBody(part)) : [];
  const get = (k: string) => fields.find(([key]) => key === k)?.[1];
  const emails = [get('original-rcpt-to'), get('removal-recipient')].filter(Boolean).flatMap((v) => addressesIn(v!));
  const type = get('feedback-type') ?? 'abuse';
  return {
    kind: 'feedback',
    recipients: emails.map((email) => ({ email, action: 'failed' as const, diagnostic: `complaint (${type})` })),
    temporary: false,
    originalMessageId: originalMessageId(tree),
    verpId,
    reason: `feedback report: ${type}`,
  };
}

function fromText(tree: MimeNode, ctx: BounceContext, verpId: string | undefined, kind: BounceReport['kind']): BounceReport {
  const text = humanText(tree);
  const temporary = DELAY_HINT.test(text.slice(0, 1500)) && !PERMANENT_HINT.test(text.slice(0, 1500));
  const own = new Set([ctx.fromAddress, ...ctx.recipients].filter(Boolean) as string[]);
  const emails = recipientsFromText(text).filter((e) => !own.has(e));
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
  const diagnostic = /\b(5\d\d|4\d\d)[ -].{0,160}/.exec(text)?.[0]?.trim();
  return {
    kind,
    recipients: emails.map((email) => ({ email, action: temporary ? ('delayed' as const) : ('failed' as const), status, diagnostic })),
    temporary,
    originalMessageId: originalMessageId(tree) ?? textOriginalMessageId(tree),
    verpId,
    reason: diagnostic ?? (temporary ? 'delivery delayed' : ctx.subject || 'delivery failed'),
  };
}

function describe(r: BouncedRecipient | undefined): string {
  if (!r) return 'delivery failed';
  return [r.status, r.diagnostic].filter(Boolean).join(' ').slice(0, 500) || `delivery ${r.action}`;
}

function hasEnclosedOriginal(tree: MimeNode): boolean {
  return [...walk(tree)].some((n) => n.type === 'message/rfc822' || n.type === 'text/rfc822-headers');
}

/** the explanation a human (or an MTA) wrote: the first text part, up to where the original message is quoted */
function humanText(tree: MimeNode): string {
  const leaf = [...walk(tree)].find((n) => n.children.length === 0 && (n.type === 'text/plain' || n.type === 'text/html') && n.body.trim());
  let text = leaf ? decodedBody(leaf) : '';
  if (leaf?.type === 'text/html') text = text.replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>/gi, '\n').replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  text = text.replace(/\r\n?/g, '\n');
  const cut = ORIGINAL_MARKER.exec(text);
  if (cut && cut.index > 0) text = text.slice(0, cut.index);
  const headersStart = /\n(Received|Return-Path|Message-I[dD]|From|Date|Subject|To): .*\n(?:[ \t].*\n)*(Received|Return-Path|Message-I[dD]|From|Date|Subject|To|X-[\w-]+|MIME-Version|Content-Type): /.exec(text);
  if (headersStart) text = text.slice(0, headersStart.index);
  return text.slice(0, 20_000);
}

/**
 * Addresses a plain-text bounce names as failed. MTAs write them in a few shapes: `<a@b>:` (qmail, Postfix),
 * `a@b... User unknown` (Sendmail), an address opening a line (Exim, Exchange), or on a line that says what failed.
 * Lines that quote the original's headers (`To:`, `From:` …) are not recipients.
 */
export function recipientsFromText(text: string): string[] {
  const out: string[] = [];
  const add = (e: string | undefined) => {
    const email = e?.toLowerCase().replace(/^(mailto:|rfc822;)/, '').replace(/[.>)\]'",;:]+$/, '');
    if (email && /^[^@\s<>]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(email) && !/^(mailer-daemon|postmaster)@/i.test(email) && !out.includes(email)) out.push(email);
  };
  const lines = text.split('\n').filter((l) => !HEADER_SUMMARY.test(l));
  const body = lines.join('\n');
  const ADDR = "([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})";
  const passes: RegExp[] = [
    new RegExp(`^\\s*<${ADDR}>\\s*:`, 'gm'),
    new RegExp(`^\\s*<?${ADDR}>?\\.\\.\\.`, 'gm'),
    new RegExp(`^[ \\t]*(?:rcpt to:|recipient:|failed recipient:|original-recipient:|final-recipient:)?[ \\t]*(?:rfc822;)?[ \\t]*<?${ADDR}>?(?=[ \\t]*$|[ \\t]*[:(]|[ \\t]+on[ \\t]|[ \\t]+-)`, 'gim'),
  ];
  for (const re of passes) {
    for (const m of body.matchAll(re)) add(m[1]);
    if (out.length) return out;
  }
  const addr = new RegExp(ADDR, 'g');
  for (const line of lines) {
    if (!FAILURE_WORDS.test(line)) continue;
    for (const m of line.matchAll(addr)) add(m[1]);
  }
  return out;
}

const HEADER_SUMMARY = /^\s*(to|from|cc|bcc|subject|sent|date|reply-to|return-path|sender|errors-to|message-id|received|by|for)\s*:/i;
const FAILURE_WORDS =
  /fail|unknown|not found|no such|does not exist|doesn't exist|full|quota|invalid|unavailable|unrouteable|rejected|refused|undeliver|not deliver|could not|couldn't|unable|disabled|inactive|bad (destination|address)|not (a )?valid|permanent|error|recipient|not reach|expired|gave up|giving up|user/i;

function originalMessageId(tree: MimeNode): string | undefined {
  for (const node of walk(tree)) {
    if (node.type === 'message/rfc822' || node.type === 'message/global') {
      const inner = node.children[0];
      const id = inner && messageIdOf(header(inner, 'message-id'));
      if (id) return id;
    }
    if (node.type === 'text/rfc822-headers' || node.type === 'message/rfc822-headers') {
      const id = messageIdOf(parseHeaderLines(decodedBody(node)).find(([k]) => k === 'message-id')?.[1]);
      if (id) return id;
    }
  }
  return undefined;
}

function textOriginalMessageId(tree: MimeNode): string | undefined {
  const own = headersNamed(tree, 'message-id')[0];
  for (const node of walk(tree)) {
    if (node.children.length) continue;
    const m = /^Message-I[dD]:\s*(<[^>\s]+>)/m.exec(decodedBody(node));
    if (m && m[1] !== messageIdOf(own)) return m[1];
  }
  return undefined;
}
