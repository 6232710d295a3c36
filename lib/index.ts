// The whole public API of nestjs-chatter.
export { ChatterModule } from './chatter.module.js';
export { CHATTER_OPTIONS } from './chatter.module-definition.js';
export type { ChatterModuleOptions, ChatterModuleExtras, AliasDomainOptions, ActorRef, UserMappingOptions } from './chatter.options.js';
export { ChatterConfig } from './chatter.config.js';
export { Chatter, getChatterOptions, type ChatterOptions } from './chatter.decorator.js';
export { ModelRegistry, type ChatterModel, type ThreadRef } from './model-registry.js';

export * from './entities/index.js';

export { ThreadService, type PostOptions, type AttachmentInput, type ThreadTarget, type ThreadEntry } from './thread/thread.service.js';
export { PartnerService, type PartnerLike, normalizeEmail, isValidEmail } from './thread/partner.service.js';
export { ChatterEvents, type ChatterEventMap } from './thread/events.js';
export { runAsActor } from './thread/actor.js';
export { sanitizeBody } from './thread/html.js';

export { ChatterController } from './http/chatter.controller.js';
export { presentMessage, presentFollower, type MessageView } from './http/message.presenter.js';

export { JobRunner, type JobHandler, type JobOptions } from './jobs/job-runner.js';

export { migrateChatter, chatterPlatform } from './schema/chatter-migrator.js';
export { CHATTER_MIGRATIONS, type ChatterPlatform } from './migrations/index.js';
