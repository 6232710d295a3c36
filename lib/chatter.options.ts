import type { ModuleMetadata } from '@nestjs/common';

/** A mail domain the chatter sends from and receives on (Odoo's `mail.alias.domain`). */
export interface AliasDomainOptions {
  /** e.g. `example.test` */
  name: string;
  /** local part of the catch-all address; default `catchall` */
  catchall?: string;
  /** local part of the bounce (VERP) address; default `bounce` */
  bounce?: string;
  /** local part (`notifications`) or a full address that overrides every From */
  defaultFrom?: string;
}

/** Who is acting: a host user, as the host knows it. */
export interface ActorRef {
  /** the host's user id; partners with one are internal users, the others are customers */
  userId?: string | number;
  email: string;
  name?: string;
}

/** How the host's users map to partners. */
export interface UserMappingOptions {
  /** who is acting in the current call (e.g. read from a CLS store); `runAsActor()` takes precedence */
  currentActor?: () => ActorRef | undefined;
  /** resolve the value of an assignee field (an id, an email, an entity) to a user; default: the value is an email */
  resolveUser?: (value: unknown) => ActorRef | undefined | Promise<ActorRef | undefined>;
  /** default notification preference of internal users; customers always get email */
  defaultPreference?: 'email' | 'inbox';
}

export interface ChatterModuleOptions {
  /** mail domains; the first is the default. */
  domains: AliasDomainOptions[];
  /** secret for signed reply addresses and unfollow links (HMAC); at least 16 characters */
  secret: string;
  users?: UserMappingOptions;
  /** largest accepted message body in bytes (sanitized HTML); default 1 MiB */
  maxBodyBytes?: number;
}

/** Module-shaping options: these are read synchronously, even with forRootAsync. */
export interface ChatterModuleExtras {
  /** register the module globally (default true) */
  isGlobal?: boolean;
  /** mount `ChatterController` under `/chatter` (default false) */
  http?: boolean;
}

export type ChatterImports = ModuleMetadata['imports'];
