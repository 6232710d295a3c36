// The whole public API of nestjs-chatter.
export { ChatterModule } from './chatter.module.js';
export { CHATTER_OPTIONS } from './chatter.module-definition.js';
export type { ChatterModuleOptions, ChatterModuleExtras, AliasDomainOptions, ActorRef, UserMappingOptions } from './chatter.options.js';
export type { ActivityOptions, ActivityTypeOptions, AttachmentOptions, MailTemplateOptions } from './chatter.options.js';
export { ChatterConfig } from './chatter.config.js';
export { Chatter, getChatterOptions, type ChatterOptions, type ReplyPolicy } from './chatter.decorator.js';
export { ModelRegistry, type ChatterModel, type ThreadRef } from './model-registry.js';

export * from './entities/index.js';

export { ThreadService, type PostOptions, type BodyFormat, type AttachmentInput, type ThreadTarget, type ThreadEntry } from './thread/thread.service.js';
export { PartnerService, type PartnerLike, normalizeEmail, isValidEmail } from './thread/partner.service.js';
export { ChatterEvents, type ChatterEventMap } from './thread/events.js';
export { runAsActor } from './thread/actor.js';
export { sanitizeBody } from './thread/html.js';
export { parseMentions, type Mentions } from './thread/mentions.js';

export { ActivityService, type ScheduleOptions, type PlannedActivity, type ActivityClock } from './activity/activity.service.js';
export { ActivityTypeService, type ActivityTypeRef } from './activity/activity-type.service.js';
export { ActivityDigest, ACTIVITY_DIGEST_JOB, type ActivityDigestEntry } from './activity/activity-digest.js';
export { activityState, todayIn, type ActivityState } from './activity/activity-dates.js';
export { TemplateService, type RenderedMail, type SendWithTemplateOptions } from './template/template.service.js';
export { TemplateEngine, TemplateError } from './template/template-engine.js';
export { templateLayout } from './template/template-layout.js';
export { AttachmentStorage } from './attachment/attachment-storage.js';
export { DatabaseAttachmentStorage } from './attachment/database-attachment-storage.js';
export { FileSystemAttachmentStorage } from './attachment/filesystem-attachment-storage.js';
export { AttachmentService, type NewAttachment } from './attachment/attachment.service.js';
export { contentDisposition } from './attachment/content-disposition.js';
export { resolveInlineImages } from './attachment/inline-images.js';

export type { OutgoingOptions, MailLayout, MailLayoutContext, RenderedBody } from './outbound/outgoing.options.js';
export { NotificationService } from './outbound/notification.service.js';
export { OutboxService, type StandaloneMail } from './outbound/outbox.service.js';
export { OutboxSender, OUTBOX_SEND_JOB } from './outbound/outbox-sender.js';
export { outboxRow, type OutboxRow } from './outbound/outbox-store.js';
export { MailRenderer, type RenderedOutgoingMail } from './outbound/mail-renderer.js';
export { defaultLayout } from './outbound/default-layout.js';
export { htmlToText } from './outbound/html-to-text.js';
export { signReplyAddress, verifyReplyAddress, type ReplyAddressClaims, type ReplyAddressCheck } from './outbound/reply-address.js';
export { bounceAddress, parseBounceAddress, verifyVerpId } from './outbound/bounce-address.js';
export { signUnfollowToken, verifyUnfollowToken, type UnfollowClaims } from './outbound/unfollow-token.js';
export { classifySendError, type SendFailure } from './outbound/send-failure.js';
export { EmlDirectoryTransport, type EmlDirectoryTransportOptions, type EmlSentMessageInfo } from './transport/eml-directory-transport.js';
export { MailTransports, SMTP_POOL_DEFAULTS, type Envelope } from './transport/mail-transports.js';
export { composeMime, type MimeMail, type MimeAttachment } from './transport/mime-composer.js';
export { chooseServer, type OutgoingServerOptions } from './transport/outgoing-server.js';

export { ChatterController } from './http/chatter.controller.js';
export { presentMessage, presentFollower, type MessageView } from './http/message.presenter.js';
export { ActivityController } from './http/activity.controller.js';
export { AttachmentController } from './http/attachment.controller.js';
export { TemplateController } from './http/template.controller.js';
export { UnfollowController } from './http/unfollow.controller.js';
export { presentActivity, type ActivityView } from './http/activity.presenter.js';

// inbound mail: ledger → gateway → router → thread
export type { IncomingOptions, InboundModelHooks } from './chatter.options.js';
export { InboundGateway, INBOUND_PROCESS_JOB, type InboundSource, type InboundReceipt, type InboundDelivery } from './gateway/inbound-gateway.js';
export { InboundConfig } from './gateway/inbound-config.js';
export { parseInbound, type InboundMail } from './gateway/inbound-mail.js';
export { detectBounce, type BounceReport, type BouncedRecipient } from './gateway/bounce-detector.js';
export { detectAutoReply } from './gateway/auto-reply.js';
export { trimQuotes } from './gateway/quote-trimmer.js';
export { AliasResolver, type ResolvedAlias } from './router/alias-resolver.js';
export { HttpRelayController } from './ingress/http-relay.controller.js';
export { SmtpListener } from './ingress/smtp-listener.js';
export { ImapIngress, MAILBOX_FETCH_JOB, type ImapMailboxHealth } from './ingress/imap-ingress.js';
export type { ImapFetchResult } from './ingress/imap-fetcher.js';
export type { ImapConnectionCheck } from './ingress/imap-connection.js';
export type { ImapMailboxOptions, ImapAuth } from './ingress/imap-mailbox-config.js';

export { JobRunner, type JobHandler, type JobOptions } from './jobs/job-runner.js';
export { BullJobRunner, type QueueCounts } from './jobs/bull-job-runner.js';
export { InProcessJobRunner } from './jobs/in-process-job-runner.js';
export { CHATTER_JOB_NAMES, type ChatterJobName } from './jobs/job-names.js';
export type { ChatterQueueOptions } from './jobs/queue-module.js';
export { ChatterHealth, type ChatterHealthReport, type MailboxHealthReport } from './health/chatter-health.js';
export { ChatterOperations, type FailedInbound, type OperationProgress } from './operations/chatter-operations.js';

export { migrateChatter, chatterPlatform } from './schema/chatter-migrator.js';
export { releaseDeadConnections } from './database/pg-pool-guard.js';
export { CHATTER_MIGRATIONS, type ChatterPlatform } from './migrations/index.js';
