import { Inject, Module, type DynamicModule, type OnModuleInit, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ChatterConfig } from './chatter.config.js';
import { getChatterOptions } from './chatter.decorator.js';
import {
  CHATTER_ASYNC_OPTIONS_TYPE,
  CHATTER_OPTIONS,
  CHATTER_OPTIONS_TYPE,
  ChatterConfigurableModule,
} from './chatter.module-definition.js';
import type { ChatterModuleOptions } from './chatter.options.js';
import { ScheduleModule } from '@nestjs/schedule';
import { MikroORM } from '@mikro-orm/core';
import { ActivityDigest } from './activity/activity-digest.js';
import { ActivityTypeService } from './activity/activity-type.service.js';
import { ActivityService } from './activity/activity.service.js';
import { AttachmentFileReaper } from './attachment/attachment-file-reaper.js';
import { AttachmentService } from './attachment/attachment.service.js';
import { InboundConfig } from './gateway/inbound-config.js';
import { InboundGateway } from './gateway/inbound-gateway.js';
import { InboundMailHandler } from './gateway/inbound-mail-handler.js';
import { InboundParser } from './gateway/inbound-parser.js';
import { InboundProcessor } from './gateway/inbound-processor.js';
import { InboundSweep } from './gateway/inbound-sweep.js';
import { ChatterHealth } from './health/chatter-health.js';
import { ActivityController } from './http/activity.controller.js';
import { AttachmentController } from './http/attachment.controller.js';
import { ChatterController } from './http/chatter.controller.js';
import { TemplateController } from './http/template.controller.js';
import { UnfollowController } from './http/unfollow.controller.js';
import { uploadLimitsProvider } from './http/upload-limits.js';
import { HttpRelayController } from './ingress/http-relay.controller.js';
import { ImapFetcher } from './ingress/imap-fetcher.js';
import { ImapIngress } from './ingress/imap-ingress.js';
import { RecipientCheck } from './ingress/recipient-check.js';
import { SmtpListener } from './ingress/smtp-listener.js';
import { InProcessJobRunner } from './jobs/in-process-job-runner.js';
import { JobRunner } from './jobs/job-runner.js';
import { queueModeParts, type ChatterQueueOptions } from './jobs/queue-module.js';
import { ModelRegistry } from './model-registry.js';
import { ChatterOperations } from './operations/chatter-operations.js';
import { MailRenderer } from './outbound/mail-renderer.js';
import { NotificationService } from './outbound/notification.service.js';
import { OutboundConfig } from './outbound/outbound.config.js';
import { OutboxSender } from './outbound/outbox-sender.js';
import { OutboxService } from './outbound/outbox.service.js';
import { INBOUND_ROUTER_PROVIDERS } from './router/providers.js';
import { LargeValueWriter } from './schema/large-value-writer.js';
import { turnOffPreparedStatements } from './schema/prepared-statements.js';
import { TemplateService } from './template/template.service.js';
import { ChatterEvents } from './thread/events.js';
import { FollowerService } from './thread/follower.service.js';
import { PartnerService } from './thread/partner.service.js';
import { RecordLifecycleSubscriber } from './thread/record-lifecycle.subscriber.js';
import { SubtypeService } from './thread/subtype.service.js';
import { ThreadService } from './thread/thread.service.js';

/** the options checked, and what they say about the ORM's connections applied to it */
function chatterConfig(options: ChatterModuleOptions, orm: MikroORM): ChatterConfig {
  const config = new ChatterConfig(options);
  if (!config.preparedStatements) turnOffPreparedStatements(orm.config);
  return config;
}

// grouped as the mail flows: thread → outbound → transport; ingress → gateway → router → thread
const providers: Provider[] = [
  { provide: ChatterConfig, useFactory: chatterConfig, inject: [CHATTER_OPTIONS, MikroORM] },
  ModelRegistry,
  ChatterEvents,
  { provide: JobRunner, useClass: InProcessJobRunner }, // replaced by the Bull runner in queue mode
  // thread
  PartnerService,
  SubtypeService,
  FollowerService,
  ThreadService,
  RecordLifecycleSubscriber,
  LargeValueWriter,
  AttachmentService,
  AttachmentFileReaper,
  ActivityTypeService,
  ActivityService,
  ActivityDigest,
  TemplateService,
  uploadLimitsProvider,
  // outbound
  OutboundConfig,
  NotificationService,
  MailRenderer,
  OutboxService,
  OutboxSender,
  // ingress → gateway → router
  InboundConfig,
  RecipientCheck,
  SmtpListener,
  ImapFetcher,
  ImapIngress,
  InboundParser,
  InboundGateway,
  InboundProcessor,
  InboundMailHandler,
  InboundSweep,
  ...INBOUND_ROUTER_PROVIDERS,
  // operations
  ChatterHealth,
  ChatterOperations,
];

/**
 * The chatter. Needs a MikroORM instance in the app (`MikroOrmModule.forRoot`) whose entities include
 * `CHATTER_ENTITIES` and the host's `@Chatter()` entities.
 */
@Module({
  // SchedulerRegistry for the IMAP fetch intervals; the same forRoot() in the host app is deduplicated by Nest
  imports: [ScheduleModule.forRoot()],
  providers,
  exports: [
    ChatterConfig, ModelRegistry, ChatterEvents, JobRunner,
    PartnerService, ThreadService, AttachmentService, ActivityTypeService, ActivityService, ActivityDigest, TemplateService,
    NotificationService, OutboxService, OutboxSender,
    InboundGateway, SmtpListener, ImapIngress,
    ChatterHealth, ChatterOperations,
  ],
})
export class ChatterModule extends ChatterConfigurableModule {
  static forRoot(options: typeof CHATTER_OPTIONS_TYPE): DynamicModule {
    return withQueue(withHttp(super.forRoot(options), options.http), options.queue);
  }

  static forRootAsync(options: typeof CHATTER_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withQueue(withHttp(super.forRootAsync(options), options.http), options.queue);
  }

  /**
   * Declares the `@Chatter()` entities a feature module uses. Checks now that each one is decorated;
   * the model registry checks at boot that the ORM knows them.
   */
  static forFeature(entities: Function[]): DynamicModule {
    for (const entity of entities) {
      if (typeof entity !== 'function' || !getChatterOptions(entity)) {
        throw new Error(`ChatterModule.forFeature(): ${entity?.name ?? String(entity)} has no @Chatter() decorator`);
      }
    }
    return { module: ChatterFeatureModule, providers: [{ provide: CHATTER_FEATURE_ENTITIES, useValue: entities }] };
  }
}

const CHATTER_FEATURE_ENTITIES = Symbol('CHATTER_FEATURE_ENTITIES');

@Module({})
class ChatterFeatureModule implements OnModuleInit {
  constructor(
    @Inject(CHATTER_FEATURE_ENTITIES) private readonly entities: Function[],
    private readonly moduleRef: ModuleRef,
  ) {}

  /** at init every provider exists; a non-strict look-up finds the registry whether ChatterModule is global or not */
  onModuleInit(): void {
    const registry = this.moduleRef.get(ModelRegistry, { strict: false });
    for (const entity of this.entities) {
      if (!registry.forEntity(entity)) {
        throw new Error(`ChatterModule.forFeature(): ${entity.name} is not among the MikroORM entities; add it to the ORM config`);
      }
    }
  }
}

function withHttp(definition: DynamicModule, http: boolean | undefined): DynamicModule {
  const controllers = [ChatterController, ActivityController, AttachmentController, TemplateController, UnfollowController, HttpRelayController];
  return http ? { ...definition, controllers: [...(definition.controllers ?? []), ...controllers] } : definition;
}

/** queue mode: Bull queues in the given Redis instead of the in-process runner */
function withQueue(definition: DynamicModule, queue: ChatterQueueOptions | undefined): DynamicModule {
  if (!queue) return definition;
  const parts = queueModeParts(queue);
  return { ...definition, imports: [...(definition.imports ?? []), ...parts.imports], providers: [...(definition.providers ?? []), ...parts.providers] };
}
