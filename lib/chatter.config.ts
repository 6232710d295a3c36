import type { AliasDomainOptions, ChatterModuleOptions, UserMappingOptions } from './chatter.options.js';
import type { MailTemplateOptions } from './chatter.options.js';
import { resolveActivityOptions, type ResolvedActivityOptions } from './activity/activity-options.js';
import { resolveAttachmentOptions, type ResolvedAttachmentOptions } from './attachment/attachment-options.js';

export interface ResolvedAliasDomain extends Required<AliasDomainOptions> {}

/** The module options with defaults filled in and checked once, at boot. */
export class ChatterConfig {
  readonly domains: ResolvedAliasDomain[];
  readonly secret: string;
  readonly users: UserMappingOptions;
  readonly maxBodyBytes: number;
  readonly activities: ResolvedActivityOptions;
  readonly attachments: ResolvedAttachmentOptions;
  readonly templates: MailTemplateOptions[];
  readonly preparedStatements: boolean;

  constructor(options: ChatterModuleOptions) {
    if (!options || !Array.isArray(options.domains) || options.domains.length === 0) {
      throw new Error('ChatterModule: `domains` needs at least one mail domain, e.g. [{ name: "example.test" }]');
    }
    this.domains = options.domains.map((d) => {
      if (!d?.name || !/^[a-z0-9.-]+\.[a-z0-9-]+$/i.test(d.name)) throw new Error(`ChatterModule: "${d?.name}" is not a domain name`);
      return { name: d.name.toLowerCase(), catchall: d.catchall ?? 'catchall', bounce: d.bounce ?? 'bounce', defaultFrom: d.defaultFrom ?? 'notifications' };
    });
    if (typeof options.secret !== 'string' || options.secret.length < 16) {
      throw new Error('ChatterModule: `secret` must be a string of at least 16 characters (it signs reply addresses and unfollow links)');
    }
    this.secret = options.secret;
    this.users = options.users ?? {};
    this.maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
    this.activities = resolveActivityOptions(options.activities);
    this.attachments = resolveAttachmentOptions(options.attachments);
    this.templates = options.templates ?? [];
    this.preparedStatements = options.preparedStatements ?? true;
  }

  get defaultDomain(): ResolvedAliasDomain {
    return this.domains[0];
  }
}
