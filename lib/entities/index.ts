import { Activity } from './activity.entity.js';
import { ActivityType } from './activity-type.entity.js';
import { Alias } from './alias.entity.js';
import { Attachment } from './attachment.entity.js';
import { InboundEmail } from './inbound-email.entity.js';
import { Follower } from './follower.entity.js';
import { MailTemplate } from './mail-template.entity.js';
import { MailboxState } from './mailbox-state.entity.js';
import { Message } from './message.entity.js';
import { Notification } from './notification.entity.js';
import { OutgoingMail } from './outgoing-mail.entity.js';
import { Partner } from './partner.entity.js';
import { Subtype } from './subtype.entity.js';
import { TrackingValue } from './tracking-value.entity.js';

export { Attachment, Follower, Message, Notification, Partner, Subtype, TrackingValue };
export type { MessageType } from './message.entity.js';
export type { NotificationStatus, NotificationType, NotificationFailureType } from './notification.entity.js';
export type { NotificationPreference } from './partner.entity.js';
export type { TrackedFieldType } from './tracking-value.entity.js';
export { BUILTIN_SUBTYPES, type BuiltinSubtype } from './subtype.entity.js';
export { Activity, ActivityType, MailTemplate };
export { MailboxState };
export { InboundEmail, INBOUND_STATUSES, INBOUND_SOURCE_KINDS, type InboundStatus, type InboundSourceKind, type InboundDecision } from './inbound-email.entity.js';
export { Alias, ALIAS_CONTACT_POLICIES, type AliasContactPolicy } from './alias.entity.js';
export { OutgoingMail, OUTGOING_MAIL_STATES, type OutgoingMailState } from './outgoing-mail.entity.js';
export { BUILTIN_ACTIVITY_TYPES, type BuiltinActivityType } from './activity-type.entity.js';

/** Every entity the chatter owns: add them to the host's MikroORM config (and its CLI config). */
export const CHATTER_ENTITIES = [Partner, Subtype, Follower, Message, Attachment, TrackingValue, Notification, ActivityType, Activity, MailTemplate, OutgoingMail, MailboxState, InboundEmail, Alias] as const;
