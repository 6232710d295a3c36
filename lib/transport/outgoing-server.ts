import type { DKIMOptions } from 'nodemailer/lib/dkim';
import type { Transport } from 'nodemailer/lib/mailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';

/** An outgoing mail server (Odoo's `ir.mail_server`). */
export interface OutgoingServerOptions {
  /** unique; stored on each mail it sent */
  name: string;
  /**
   * `smtp://user:pass@host:587` / `smtps://…:465`, nodemailer SMTP options (pooled by default), or any nodemailer
   * transport object (e.g. `new EmlDirectoryTransport({ directory })`).
   */
  transport: string | SMTPPoolOptions | Transport<any>;
  /** addresses and/or domains this server may send as (Odoo's `from_filter`); none: it sends as the notifications address */
  fromFilter?: string | string[];
  /** lower is preferred among equal matches; default 10 */
  priority?: number;
  /** DKIM-sign what this server sends (nodemailer's `dkim` options: domainName, keySelector, privateKey) */
  dkim?: DKIMOptions;
}

/** A server with its filter parsed, as the chooser sees it. */
export interface OutgoingServer extends OutgoingServerOptions {
  /** lower-cased addresses and domains of `fromFilter` */
  filters: string[];
  priority: number;
}

export function normalizeServers(options: OutgoingServerOptions[]): OutgoingServer[] {
  const seen = new Set<string>();
  return options
    .map((o, index) => {
      if (!o?.name || typeof o.name !== 'string') throw new Error(`ChatterModule: outgoing server #${index + 1} needs a name`);
      if (seen.has(o.name)) throw new Error(`ChatterModule: outgoing server name "${o.name}" is used twice`);
      seen.add(o.name);
      const t = o.transport;
      const valid =
        (typeof t === 'string' && /^smtps?:\/\//i.test(t)) ||
        (!!t && typeof t === 'object' && (typeof (t as Transport<any>).send === 'function' || !('send' in t)));
      if (!valid) throw new Error(`ChatterModule: outgoing server "${o.name}": transport must be an smtp:// or smtps:// URL, SMTP options or a nodemailer transport`);
      const raw = Array.isArray(o.fromFilter) ? o.fromFilter : (o.fromFilter ?? '').split(',');
      const filters = raw.map((f) => f.trim().toLowerCase()).filter(Boolean);
      return { ...o, filters, priority: o.priority ?? 10 };
    })
    .sort((a, b) => a.priority - b.priority);
}

/** true when the server's filter names `address` or its domain */
export function allowsFrom(server: OutgoingServer, address: string): boolean {
  const email = address.toLowerCase();
  return server.filters.includes(email) || server.filters.includes(domainOf(email));
}

/**
 * The server for a From address (Odoo's `_find_mail_server`), trying in order: a filter equal to the address → equal to
 * its domain → matching the notifications address → a server without filter → the first by priority.
 * `servers` must be sorted by priority (as `normalizeServers` returns them).
 */
export function chooseServer(servers: OutgoingServer[], fromAddress: string, notificationsAddress: string): OutgoingServer | undefined {
  const from = fromAddress.toLowerCase();
  const notifications = notificationsAddress.toLowerCase();
  return (
    servers.find((s) => s.filters.includes(from)) ??
    servers.find((s) => s.filters.includes(domainOf(from))) ??
    servers.find((s) => allowsFrom(s, notifications)) ??
    servers.find((s) => s.filters.length === 0) ??
    servers[0]
  );
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}
