import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatterModule, ImapIngress, InboundEmail, JobRunner, type ChatterModuleOptions } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { IMAP_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { cleanUp, messageId, rawMail } from './imap-app.js';

/**
 * OAuth2 login (XOAUTH2 / OAUTHBEARER) against a real Dovecot whose oauth2 passdb asks a token introspection
 * endpoint — a small HTTP server here, standing in for the identity provider — whether a token is active.
 * The database plays no part in the login: SQLite only.
 */
describe('IMAP fetch with an OAuth2 access token', () => {
  const active = new Set<string>(['token-1']);
  const introspected: string[] = [];
  let provider: Server;
  let dovecot: DovecotServer;
  let chatter: ChatterTesting;
  let current = 'token-1';
  let asked = 0;

  beforeAll(async () => {
    provider = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        introspected.push(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(active.has(token) ? { active: true, username: IMAP_USERS.test } : { active: false }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const { port } = provider.address() as AddressInfo;
    dovecot = await startDovecot({ oauth2IntrospectionUrl: `http://127.0.0.1:${port}/introspect` });
    const incoming: ChatterModuleOptions['incoming'] = {
      mailboxes: [{
        name: 'oauth',
        host: dovecot.host,
        port: dovecot.port,
        // the host hands out its current token; asked again for every connection
        auth: { user: IMAP_USERS.test, accessToken: async () => { asked++; return current; } },
        intervalMs: 3_600_000,
      }],
    };
    chatter = await startChatter('sqlite', { entities: [Ticket, Lead], imports: [ChatterModule.forFeature([Ticket, Lead])], chatter: { incoming } });
    await chatter.app.get(JobRunner).drain();
  });

  afterAll(async () => {
    await cleanUp(() => chatter?.close(), () => dovecot?.stop(), () => new Promise((resolve) => provider?.close(resolve)));
  });

  it('logs in with the token, fetches, and asks the host for a token on each connection', async () => {
    const ingress = chatter.app.get(ImapIngress);
    await dovecot.append(rawMail({ id: 'oauth-1' }));
    const before = asked;
    expect(await ingress.fetchNow('oauth')).toMatchObject({ received: 1 });
    expect(asked).toBe(before + 1);
    expect(introspected.at(-1)).toBe('token-1');
    const rows = await chatter.em().find(InboundEmail, { mailbox: 'oauth' });
    expect(rows.map((r) => r.messageId)).toEqual([messageId('oauth-1')]);
  });

  it('reports a refused token readably, and works again with the host\'s next token', async () => {
    const ingress = chatter.app.get(ImapIngress);
    active.delete('token-1');
    await dovecot.append(rawMail({ id: 'oauth-2' }));
    await expect(ingress.fetchNow('oauth')).rejects.toThrow(/login refused for test@example.test, check the OAuth2 token/);
    expect((await ingress.health())[0].lastError).toMatch(/check the OAuth2 token/);
    expect(await ingress.testConnection('oauth')).toMatchObject({ ok: false, error: expect.stringMatching(/OAuth2 token/) });

    active.add('token-2');
    current = 'token-2';
    expect(await ingress.fetchNow('oauth')).toMatchObject({ received: 1 });
    expect(introspected.at(-1)).toBe('token-2');
    expect((await ingress.health())[0].lastError).toBeNull();
  });
});
