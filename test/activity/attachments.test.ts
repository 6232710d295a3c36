import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attachment, resolveInlineImages } from '../../lib/index.js';
import type { ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { Deal, agent, createDeal, startDeals } from './fixtures.js';

const LIMIT = 4096;
// a 1×1 transparent PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

async function upload(t: ChatterTesting, path: string, content: Buffer | string, name: string, type = 'text/plain', field = 'file') {
  const form = new FormData();
  form.append(field, new Blob([content], { type }), name);
  const res = await fetch(t.url + path, { method: 'POST', body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

describe.each(DIALECTS)('attachments over HTTP, database storage (%s)', (dialect) => {
  let t: ChatterTesting;

  beforeAll(async () => {
    t = await startDeals(dialect, { http: true, attachments: { maxBytes: LIMIT } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uploads, then serves the file back with its type and an RFC 8187 file name', async () => {
    const deal = await createDeal(t);
    const name = 'Résumé «final» "v2".txt';
    const up = await upload(t, `/chatter/deal/${deal.id}/attachments`, 'héllo wörld', name, 'text/plain');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name, mimetype: 'text/plain', size: Buffer.byteLength('héllo wörld'), messageId: null, url: `/chatter/attachments/${up.body.id}` });
    const res = await fetch(`${t.url}/chatter/attachments/${up.body.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="R_sum_ _final_ _v2_.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB%20%22v2%22.txt`,
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('héllo wörld');
    const row = await t.em().findOne(Attachment, up.body.id, { populate: ['content'] as never });
    expect(row).toMatchObject({ storageKey: null, resModel: 'deal', resId: String(deal.id) });
    expect(Buffer.from(row!.content!).toString()).toBe('héllo wörld');
  });

  it('refuses a file over the size limit with 413, and a request without a file with 400', async () => {
    const deal = await createDeal(t);
    expect((await upload(t, `/chatter/deal/${deal.id}/attachments`, Buffer.alloc(LIMIT), 'exact.bin', 'application/octet-stream')).status).toBe(201);
    const big = await upload(t, `/chatter/deal/${deal.id}/attachments`, Buffer.alloc(LIMIT + 1), 'big.bin', 'application/octet-stream');
    expect(big.status).toBe(413);
    expect((await upload(t, `/chatter/deal/${deal.id}/attachments`, 'x', 'a.txt', 'text/plain', 'other')).status).toBe(400);
    const empty = await fetch(`${t.url}/chatter/deal/${deal.id}/attachments`, { method: 'POST', body: new FormData() });
    expect(empty.status).toBe(400);
    expect((await upload(t, '/chatter/deal/999999/attachments', 'x', 'a.txt')).status).toBe(404);
    expect((await fetch(`${t.url}/chatter/attachments/999999`)).status).toBe(404);
    expect(await t.em().count(Attachment, { name: 'big.bin' })).toBe(0);
  });

  it('attaches uploads to a posted message, once, and only on their own record', async () => {
    const deal = await createDeal(t);
    const other = await createDeal(t, { name: 'Other' });
    const up = await upload(t, `/chatter/deal/${deal.id}/attachments`, PNG, 'pixel.png', 'image/png');
    const foreign = await upload(t, `/chatter/deal/${other.id}/attachments`, 'x', 'other.txt');
    const posted = await t.http('POST', `/chatter/deal/${deal.id}/messages`, { body: 'see attached', attachmentIds: [up.body.id], authorEmail: agent.email });
    expect(posted.status).toBe(201);
    expect(posted.body.attachments).toEqual([{ id: up.body.id, name: 'pixel.png', mimetype: 'image/png', size: PNG.length, cid: null }]);
    expect((await t.http('POST', `/chatter/deal/${deal.id}/messages`, { body: 'again', attachmentIds: [up.body.id] })).status).toBe(400);
    expect((await t.http('POST', `/chatter/deal/${deal.id}/messages`, { body: 'steal', attachmentIds: [foreign.body.id] })).status).toBe(400);
    expect((await t.http('POST', `/chatter/deal/${deal.id}/messages`, { body: 'bad', attachmentIds: ['1'] })).status).toBe(400);
    const list = await t.http('GET', `/chatter/deal/${deal.id}/attachments`);
    expect(list.body.map((a: any) => [a.name, a.messageId])).toEqual([['pixel.png', posted.body.id]]);
  });

  it('serves inline images by their Content-ID', async () => {
    const deal = await createDeal(t);
    const message = await t.threads.post(deal, {
      body: '<p>logo: <img src="cid:logo@mail.example.test"></p>',
      attachments: [{ name: 'logo.png', content: PNG, mimetype: 'image/png', cid: '<logo@mail.example.test>' }],
      author: agent,
    });
    expect(message.body).toContain('src="cid:logo@mail.example.test"');
    const res = await fetch(`${t.url}/chatter/messages/${message.id}/inline/${encodeURIComponent('logo@mail.example.test')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await fetch(`${t.url}/chatter/messages/${message.id}/inline/nope`)).status).toBe(404);
    // what a page shows: the cid: URL turned into the route above
    const shown = resolveInlineImages(message.body, message.id);
    expect(shown).toBe(`<p>logo: <img src="/chatter/messages/${message.id}/inline/logo%40mail.example.test" /></p>`);
    expect((await fetch(t.url + /src="([^"]+)"/.exec(shown)![1])).status).toBe(200);
  });

  it('keeps each attachment of one post its own bytes (they are written together after the inserts), binary intact', async () => {
    const deal = await createDeal(t);
    const contents = [PNG, Buffer.from([0, 255, 0x27, 0x5c, 0]), Buffer.from('third ✓'), Buffer.alloc(0)];
    const message = await t.threads.post(deal, {
      body: 'four files',
      attachments: contents.map((content, i) => ({ name: `f${i}.bin`, content })),
      author: agent,
    });
    const rows = await t.em().find(Attachment, { message: message.id }, { populate: ['content'] as never, orderBy: { name: 'asc' } });
    expect(rows.map((r) => [r.name, r.size])).toEqual(contents.map((c, i) => [`f${i}.bin`, c.length]));
    for (const [i, row] of rows.entries()) {
      const res = await fetch(`${t.url}/chatter/attachments/${row.id}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(contents[i])).toBe(true);
    }
  });
});

describe.each(DIALECTS)('attachments on the file system (%s)', (dialect) => {
  let t: ChatterTesting;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatter-files-'));
    t = await startDeals(dialect, { http: true, attachments: { storage: { directory: dir }, maxBytes: LIMIT } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the bytes in files, serves them back, and removes them with the attachment', async () => {
    const deal = await createDeal(t);
    const up = await upload(t, `/chatter/deal/${deal.id}/attachments`, 'on disk', 'disk.txt');
    expect(up.status).toBe(201);
    const row = await t.em().findOne(Attachment, up.body.id, { populate: ['content'] as never });
    expect(row!.content).toBeNull();
    expect(row!.storageKey).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{40}-[0-9a-f]{12}$/);
    expect(existsSync(join(dir, row!.storageKey!))).toBe(true);
    const res = await fetch(`${t.url}/chatter/attachments/${up.body.id}`);
    expect(await res.text()).toBe('on disk');
    expect((await fetch(`${t.url}/chatter/attachments/${up.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(existsSync(join(dir, row!.storageKey!))).toBe(false);
  });

  it('stores files of posted messages (e.g. inbound mail) through the same storage', async () => {
    const deal = await createDeal(t);
    const message = await t.threads.post(deal, { body: 'file', attachments: [{ name: 'a.bin', content: Buffer.from([1, 2, 3]) }], author: agent });
    const row = await t.em().findOne(Attachment, { message: message.id });
    expect(row!.storageKey).toBeTruthy();
    expect(files(dir).some((f) => f.endsWith(row!.storageKey!.split('/')[1]))).toBe(true);
  });

  it("removes a deleted record's files after the delete commits", async () => {
    const deal = await createDeal(t, { name: 'Doomed' });
    const keep = await createDeal(t, { name: 'Kept' });
    const doomed = await upload(t, `/chatter/deal/${deal.id}/attachments`, 'bye', 'bye.txt');
    const kept = await upload(t, `/chatter/deal/${keep.id}/attachments`, 'stay', 'stay.txt');
    const keyOf = async (id: number) => (await t.em().findOne(Attachment, id))!.storageKey!;
    const [doomedKey, keptKey] = [await keyOf(doomed.body.id), await keyOf(kept.body.id)];
    const em = t.em();
    await em.remove(em.getReference(Deal, deal.id)).flush();
    expect(await t.em().count(Attachment, { id: doomed.body.id })).toBe(0);
    expect(existsSync(join(dir, doomedKey))).toBe(false);
    expect(existsSync(join(dir, keptKey))).toBe(true);
  });
});
