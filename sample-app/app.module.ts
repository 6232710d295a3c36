import { Module, type DynamicModule } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { CHATTER_ENTITIES, ChatterModule } from '../lib/index.js';
import { HealthController } from './health.controller.js';
import { Lead } from './lead.entity.js';
import { ormConfigFromUrl } from './orm-config.js';
import type { Settings } from './settings.js';
import { Ticket } from './ticket.entity.js';
import { TicketsController } from './tickets.controller.js';
import { currentUser } from './current-user.js';

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
          domains: [{ name: settings.domain }],
          secret: settings.secret,
          users: { currentActor: currentUser },
        }),
        ChatterModule.forFeature(SAMPLE_ENTITIES),
      ],
      controllers: [TicketsController, HealthController],
    };
  }
}
