import { Module, type DynamicModule } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { CHATTER_ENTITIES, ChatterModule, EmlDirectoryTransport } from '../lib/index.js';
import { HealthController } from './health.controller.js';
import { Lead } from './lead.entity.js';
import { ormConfigFromUrl } from './orm-config.js';
import type { Settings } from './settings.js';
import { Ticket } from './ticket.entity.js';
import { TicketsController } from './tickets.controller.js';
import { currentUser } from './current-user.js';
import { WebModule } from './web/web.module.js';

export const SAMPLE_ENTITIES = [Ticket, Lead];

@Module({})
export class AppModule {
  static forSettings(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MikroOrmModule.forRoot(ormConfigFromUrl(settings.databaseUrl, [...CHATTER_ENTITIES, ...SAMPLE_ENTITIES])),
        ChatterModule.forRoot({
          http: true,
          // REDIS_URL=redis://127.0.0.1:6379: the jobs run on Bull queues shared by every replica; in-process without it
          queue: settings.redisUrl ? { redis: settings.redisUrl, prefix: settings.queuePrefix, worker: settings.queueWorker } : undefined,
          domains: [{ name: settings.domain }],
          secret: settings.secret,
          users: { currentActor: currentUser },
          attachments: { storage: settings.attachmentDir ? { directory: settings.attachmentDir } : 'database', maxBytes: settings.maxAttachmentBytes },
          outgoing: {
            // SMTP_URL=smtp://user:pass@host:587; without it every mail lands as an .eml file in ./var/outbox/
            servers: [{ name: settings.smtpUrl ? 'smtp' : 'outbox-dir', transport: settings.smtpUrl ?? new EmlDirectoryTransport({ directory: settings.outboxDir }) }],
            baseUrl: settings.publicUrl,
            // every notification links to the record's page (leads have none in this app)
            recordUrl: (ref) => (ref.model === 'ticket' && settings.publicUrl ? `${settings.publicUrl}/web/tickets/${encodeURIComponent(ref.id)}` : undefined),
            claimTimeoutMs: settings.outboxClaimTimeoutMs,
            sweepIntervalMs: settings.outboxSweepMs,
            retry: settings.outboxRetryMs ? { delayMs: settings.outboxRetryMs, maxDelayMs: settings.outboxRetryMs * 5 } : undefined,
          },
          incoming: {
            // IMAP_URL=imap://user:pass@host:143/INBOX: fetched every 5 minutes, and at once through IDLE unless ?idle=false
            mailboxes: settings.imapUrl ? [{ name: 'imap', url: settings.imapUrl, idle: !/[?&]idle=(false|0|no)(&|$)/i.test(settings.imapUrl) }] : [],
            // POST /chatter/inbound (and the chatter-mailgate pipe) with CHATTER_INBOUND_TOKEN; off without one
            relayToken: settings.inboundToken,
            processingLeaseMs: settings.inboundLeaseMs,
            loop: settings.inboundLoopLimit ? { limit: settings.inboundLoopLimit } : undefined,
            // an SMTP MX for support@ and sales@ on SMTP_LISTEN (default 127.0.0.1:2525; "off" for none, port 0 for any)
            smtpListen: /^(off|false|no|none)$/i.test(settings.smtpListen) ? false : settings.smtpListen,
          },
        }),
        ChatterModule.forFeature(SAMPLE_ENTITIES),
        WebModule,
      ],
      controllers: [TicketsController, HealthController],
    };
  }
}
