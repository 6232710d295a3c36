import { afterAll, describe, expect, it } from 'vitest';
import { parseInbound, type InboundMail } from '../../lib/gateway/inbound-mail.js';
import { ParsePool } from '../../lib/gateway/parse-pool.js';
import { InboundParser } from '../../lib/gateway/inbound-parser.js';
import type { InboundConfig } from '../../lib/gateway/inbound-config.js';
import type { ChatterConfig } from '../../lib/chatter.config.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

const ctx = { envelope: ['support@example.test'], bounceAddresses: [{ local: 'bounce', domain: 'example.test' }], messageId: '<fallback@example.test>' };

/** what processing reads of a parsed mail, with `header()` sampled */
function comparable(mail: InboundMail) {
  const { header, attachments, ...rest } = mail;
  return {
    ...rest,
    attachments: attachments.map((a) => ({ ...a, content: Buffer.isBuffer(a.content) ? a.content.toString('base64') : 'not a Buffer' })),
    headers: ['subject', 'auto-submitted', 'precedence', 'x-autoreply', 'message-id'].map((name) => header(name)),
  };
}

describe('parsing on worker threads', () => {
  const warnings: string[] = [];
  const pool = new ParsePool(2, (message) => warnings.push(message));
  afterAll(async () => {
    await pool.close();
  });

  it('gives exactly what parsing on the main thread gives, for every kind of corpus mail', async () => {
    // every 4th mail of the corpus: bounces, auto-replies, replies, attachments, broken MIME, odd charsets
    const raws = readManifest().filter((_, i) => i % 4 === 0).map((entry) => readCorpusMail(entry));
    const [onWorkers, inline] = await Promise.all([
      Promise.all(raws.map((raw) => pool.parse(raw, ctx))),
      Promise.all(raws.map((raw) => parseInbound(raw, ctx))),
    ]);
    expect(warnings).toEqual([]);
    expect(pool.workerCount).toBe(2);
    expect(onWorkers.map(comparable)).toEqual(inline.map(comparable));
  });

  it('fails a parse that throws with its error, and keeps working', async () => {
    const raw = Buffer.from('From: a@outside.test\r\nTo: b@outside.test\r\nSubject: x\r\n\r\nbody\r\n');
    const broken = { ...ctx, bounceAddresses: null as unknown as typeof ctx.bounceAddresses };
    const inline = await parseInbound(raw, broken).then(() => 'parsed', (error: Error) => error.message);
    await expect(pool.parse(raw, broken)).rejects.toThrow(inline);
    const mail = await pool.parse(Buffer.from('From: a@outside.test\r\nSubject: still here\r\n\r\nbody\r\n'), ctx);
    expect(mail.subject).toBe('still here');
    expect(mail.header('subject')).toBe('still here');
  });

  it('parses a mail something waits for before the mails parsed ahead of need', async () => {
    const single = new ParsePool(1);
    try {
      const raws = readManifest().slice(0, 300).map((entry) => readCorpusMail(entry));
      const order: string[] = [];
      const ahead = raws.map((raw, i) => single.parse(raw, ctx, { ahead: true }).then(() => order.push(`ahead ${i}`)));
      const needed = single.parse(Buffer.from('From: a@outside.test\r\nSubject: now\r\n\r\nbody\r\n'), ctx).then(() => order.push('needed'));
      await Promise.all([...ahead, needed]);
      // the worker was parsing the first mail parsed ahead when the needed one came: at most that one goes first
      expect(order.indexOf('needed')).toBeLessThanOrEqual(1);
      expect(order).toHaveLength(301);
    } finally {
      await single.close();
    }
  });

  it('parses ahead at most 64 MB of mail at a time: past that a mail is left to be read back when processed', async () => {
    const parser = new InboundParser({ parseWorkers: 1 } as InboundConfig, { maxBodyBytes: 1 << 20 } as ChatterConfig);
    try {
      const megabyte = Buffer.from(`From: a@outside.test\r\nSubject: big\r\n\r\n${'0123456789abcde\r\n'.repeat(1 << 16)}`);
      const started = Array.from({ length: 65 }, () => parser.parseAhead(megabyte, ctx));
      expect(started.filter(Boolean)).toHaveLength(Math.floor((64 << 20) / megabyte.length));
      expect(started.at(-1)).toBeUndefined();
      await Promise.all(started);
      // settled and never kept: the budget is free again
      expect(await parser.parseAhead(megabyte, ctx)).toMatchObject({ subject: 'big' });
    } finally {
      await parser.onApplicationShutdown();
    }
  });
});
