import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ChatterConfig } from './chatter.config.js';
import { getChatterOptions } from './chatter.decorator.js';
import {
  CHATTER_ASYNC_OPTIONS_TYPE,
  CHATTER_OPTIONS,
  CHATTER_OPTIONS_TYPE,
  ChatterConfigurableModule,
} from './chatter.module-definition.js';
import type { ChatterModuleOptions } from './chatter.options.js';
import { ChatterController } from './http/chatter.controller.js';
import { InProcessJobRunner } from './jobs/in-process-job-runner.js';
import { JobRunner } from './jobs/job-runner.js';
import { ModelRegistry } from './model-registry.js';
import { NotificationService } from './outbound/notification.service.js';
import { ChatterEvents } from './thread/events.js';
import { FollowerService } from './thread/follower.service.js';
import { PartnerService } from './thread/partner.service.js';
import { RecordLifecycleSubscriber } from './thread/record-lifecycle.subscriber.js';
import { SubtypeService } from './thread/subtype.service.js';
import { ThreadService } from './thread/thread.service.js';

const providers: Provider[] = [
  { provide: ChatterConfig, useFactory: (options: ChatterModuleOptions) => new ChatterConfig(options), inject: [CHATTER_OPTIONS] },
  ModelRegistry,
  ChatterEvents,
  PartnerService,
  SubtypeService,
  FollowerService,
  NotificationService,
  ThreadService,
  RecordLifecycleSubscriber,
  { provide: JobRunner, useClass: InProcessJobRunner },
];

/**
 * The chatter. Needs a MikroORM instance in the app (`MikroOrmModule.forRoot`) whose entities include
 * `CHATTER_ENTITIES` and the host's `@Chatter()` entities.
 */
@Module({
  providers,
  exports: [ChatterConfig, ModelRegistry, ChatterEvents, PartnerService, ThreadService, NotificationService, JobRunner],
})
export class ChatterModule extends ChatterConfigurableModule {
  static forRoot(options: typeof CHATTER_OPTIONS_TYPE): DynamicModule {
    return withHttp(super.forRoot(options), options.http);
  }

  static forRootAsync(options: typeof CHATTER_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withHttp(super.forRootAsync(options), options.http);
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
    return {
      module: ChatterFeatureModule,
      providers: [
        {
          provide: `CHATTER_FEATURE_${entities.map((e) => e.name).join('_')}`,
          useFactory: (registry: ModelRegistry) => {
            for (const entity of entities) {
              if (!registry.forEntity(entity)) {
                throw new Error(`ChatterModule.forFeature(): ${entity.name} is not among the MikroORM entities; add it to the ORM config`);
              }
            }
            return entities;
          },
          inject: [ModelRegistry],
        },
      ],
    };
  }
}

@Module({})
class ChatterFeatureModule {}

function withHttp(definition: DynamicModule, http: boolean | undefined): DynamicModule {
  return http ? { ...definition, controllers: [...(definition.controllers ?? []), ChatterController] } : definition;
}
