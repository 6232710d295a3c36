import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundEmail, Message, Notification } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { comparableText, readCorpusMail, readManifest, type CorpusEntry } from '../support/corpus.js';
import { startInboundHost, type InboundHost } from './support/inbound-host.js';

const AGENT = 'agent@example.test';
const FINAL = ['delivered', 'bounced', 'rejected', 'ignored', 'failed'];

interface Check {
  name: string;
  ok: boolean;
}

/** the bounced recipients named in a ledger reason ("bounce (dsn) for a@x, b@y: …" / "delivery delayed for a@x (…") */
function reasonRecipients(reason: string): string[] {
  const m = /(?:bounce \(\w+\) for|delivery delayed for) (.+?)(?::| \()/.exec(reason);
  if (!m || m[1].startsWith('an unnamed')) return [];
  return m[1].split(', ').map((s) => s.trim().toLowerCase());
}

describe.each(DIALECTS)('the real-world corpus through the gateway on %s', (dialect) => {
  let host: InboundHost;
  const entries = readManifest();
  const rows = new Map<string, InboundEmail>();
  const checks = new Map<string, Check[]>();

  beforeAll(async () => {
    host = await startInboundHost(dialect, {
      incoming: {
        // every mail that is not a reply, bounce or alias mail becomes a ticket assigned to the agent (who follows it),
        // so "nobody notified" is a real claim for auto-replies
        fallbackModel: 'ticket',
        answerRefusals: false,
        loop: { limit: 10_000 },
        models: { ticket: { onMessageNew: (_mail, defaults) => ({ ...defaults, assignee: AGENT }) } },
      },
    });
    for (const entry of entries) {
      const receipt = await host.gateway.receive(readCorpusMail(entry), { kind: 'pipe' });
      await host.settle();
      rows.set(entry.path, await host.em().findOneOrFail(InboundEmail, receipt.id));
    }
  }, 600_000);

  afterAll(async () => {
    await host?.close();
  });

  it('ends every mail with a final status and a reason, none failed', () => {
    const failed = [...rows.entries()].filter(([, r]) => r.status === 'failed').map(([p, r]) => `${p}: ${r.reason}`);
    expect(failed).toEqual([]);
    for (const [, row] of rows) {
      expect(FINAL).toContain(row.status);
      expect(row.reason).toBeTruthy();
    }
    expect(rows.size).toBe(entries.length);
  });

  it('holds the manifest facts it implements; prints the pass rate per category', async () => {
    const em = host.em();
    for (const entry of entries) {
      const own = rows.get(entry.path)!;
      const list: Check[] = [{ name: 'status+reason', ok: FINAL.includes(own.status) && own.status !== 'failed' && !!own.reason }];
      // the corpus holds the same mail twice (sisimai's CRLF and bare-CR copies share their Message-ID): a duplicate
      // is judged by the row it duplicates
      const original = /duplicate of inbound mail (\d+)/.exec(own.reason ?? '')?.[1];
      const row = original ? [...rows.values()].find((r) => r.id === Number(original)) ?? own : own;
      const f = entry.facts;
      const isReport = row.decision === 'bounce';
      if (f.is_bounce === 'true') list.push({ name: 'is_bounce', ok: isReport });
      if (f.is_bounce === 'false') list.push({ name: 'not_bounce', ok: row.status !== 'bounced' });
      if (f.bounced_recipients && !f.bounced_recipients.startsWith('(')) {
        const want = f.bounced_recipients.toLowerCase().split(',').sort().join(',');
        list.push({ name: 'bounced_recipients', ok: [...new Set(reasonRecipients(row.reason ?? ''))].sort().join(',') === want });
      }
      if (f.recipients && f.sisimai_reason && !['vacation', 'delivered', 'feedback'].includes(f.sisimai_reason)) {
        list.push({ name: 'recipient_count', ok: new Set(reasonRecipients(row.reason ?? '')).size === Number(f.recipients) });
      }
      if (f.sisimai_reason === 'vacation' || (entry.category === 'autoreply' && f.is_bounce === 'false')) {
        list.push({ name: 'autoreply_detected', ok: row.autoReply && row.status !== 'bounced' });
      }
      if (f.is_auto_generated === 'true' && !/Precedence: list/.test(readCorpusMail(entry).toString('latin1'))) {
        // DESIGN §3: `Precedence: list` alone is not an auto-reply (Discourse's 2016 policy said it was): not counted
        list.push({ name: 'autoreply_detected', ok: row.autoReply });
      }
      if (row.autoReply && row.postedMessageId) {
        list.push({ name: 'autoreply_not_notified', ok: (await em.count(Notification, { message: row.postedMessageId })) === 0 });
      }
      if (!row.autoReply && row.postedMessageId && row.decision === 'fallback') {
        list.push({ name: 'others_notified', ok: (await em.count(Notification, { message: row.postedMessageId, partner: { email: AGENT } })) === 1 });
      }
      const expected = f.reply_text ?? f.reply_text_starts;
      // the body is this file's own: a duplicate (same Message-ID, maybe another text) posted nothing to compare
      if (expected && !expected.startsWith('(') && own.postedMessageId) {
        const message = await em.findOneOrFail(Message, own.postedMessageId);
        const got = comparableText(message.body);
        const want = comparableText(expected);
        list.push({ name: 'reply_text', ok: f.reply_text ? got === want : got.startsWith(want) });
      }
      if (f.parent && own.postedMessageId) {
        const parentPosted = await em.findOne(Message, { messageId: f.parent });
        if (parentPosted && parentPosted.id < own.postedMessageId) {
          const message = await em.findOneOrFail(Message, own.postedMessageId, { populate: ['parent'] });
          list.push({ name: 'thread_parent', ok: message.resModel === parentPosted.resModel && message.resId === parentPosted.resId });
        }
      }
      checks.set(entry.path, list);
    }

    const table = rateTable(entries, checks);
    console.log(`\ncorpus on ${dialect}: ${entries.length} mails\n${table.text}`);
    const rate = (name: string) => table.byCheck.get(name)!;
    // what we claim, measured on this corpus (see docs-draft/inbound.md for the misses and why)
    expect(rate('status+reason').pass).toBe(entries.length);
    expect(rate('is_bounce').pass / rate('is_bounce').total).toBeGreaterThanOrEqual(0.95);
    expect(rate('not_bounce').pass / rate('not_bounce').total).toBeGreaterThanOrEqual(0.8);
    expect(rate('bounced_recipients').pass / rate('bounced_recipients').total).toBeGreaterThanOrEqual(0.8);
    expect(rate('recipient_count').pass / rate('recipient_count').total).toBeGreaterThanOrEqual(0.75);
    // 9/13: the 4 misses are challenge/response mails (Bluebottle, Boxbe ×2) and a real DSN (whitelist.msg) that only
    // vendor-specific text tells apart; BounceParser matches those sentences literally
    expect(rate('autoreply_detected').pass / rate('autoreply_detected').total).toBeGreaterThanOrEqual(0.69);
    expect(rate('autoreply_not_notified').pass).toBe(rate('autoreply_not_notified').total);
    expect(rate('others_notified').pass).toBe(rate('others_notified').total);
    // 18/23: Discourse's own notification footers and "---" signature, a Big5-labelled UTF-8 body, and two talon
    // fixtures whose fact is about the text part while the HTML part (which we keep) differs
    expect(rate('reply_text').pass / rate('reply_text').total).toBeGreaterThanOrEqual(0.78);
  });
});

function rateTable(entries: CorpusEntry[], checks: Map<string, Check[]>) {
  const byCategory = new Map<string, { mails: number; passed: number }>();
  const byCheck = new Map<string, { pass: number; total: number }>();
  for (const entry of entries) {
    const list = checks.get(entry.path) ?? [];
    const c = byCategory.get(entry.category) ?? { mails: 0, passed: 0 };
    c.mails++;
    if (list.every((x) => x.ok)) c.passed++;
    byCategory.set(entry.category, c);
    for (const x of list) {
      const k = byCheck.get(x.name) ?? { pass: 0, total: 0 };
      k.total++;
      if (x.ok) k.pass++;
      byCheck.set(x.name, k);
    }
  }
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
  const lines = ['| category | mails | all facts hold | pass rate |', '|---|---|---|---|'];
  let mails = 0;
  let passed = 0;
  for (const [category, c] of [...byCategory.entries()].sort()) {
    lines.push(`| ${category} | ${c.mails} | ${c.passed} | ${pct(c.passed, c.mails)} |`);
    mails += c.mails;
    passed += c.passed;
  }
  lines.push(`| **total** | ${mails} | ${passed} | ${pct(passed, mails)} |`, '', '| fact | holds | checked | rate |', '|---|---|---|---|');
  for (const [name, k] of byCheck) lines.push(`| ${name} | ${k.pass} | ${k.total} | ${pct(k.pass, k.total)} |`);
  return { text: lines.join('\n'), byCheck };
}
