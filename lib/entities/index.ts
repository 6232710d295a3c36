import { Attachment } from './attachment.entity.js';
import { Follower } from './follower.entity.js';
import { Message } from './message.entity.js';
import { Notification } from './notification.entity.js';
import { Partner } from './partner.entity.js';
import { Subtype } from './subtype.entity.js';
import { TrackingValue } from './tracking-value.entity.js';

export { Attachment, Follower, Message, Notification, Partner, Subtype, TrackingValue };
export type { MessageType } from './message.entity.js';
export type { NotificationStatus, NotificationType, NotificationFailureType } from './notification.entity.js';
export type { NotificationPreference } from './partner.entity.js';
export type { TrackedFieldType } from './tracking-value.entity.js';
export { BUILTIN_SUBTYPES, type BuiltinSubtype } from './subtype.entity.js';

/** Every entity the chatter owns: add them to the host's MikroORM config (and its CLI config). */
export const CHATTER_ENTITIES = [Partner, Subtype, Follower, Message, Attachment, TrackingValue, Notification] as const;
