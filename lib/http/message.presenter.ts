import type { Follower } from '../entities/follower.entity.js';
import type { ThreadEntry } from '../thread/thread.service.js';

/** The JSON shape of a message in the HTTP API (newest-first pages). */
export interface MessageView {
  id: number;
  type: string;
  subtype: string | null;
  author: { id: number; name: string; email: string } | null;
  emailFrom: string | null;
  subject: string | null;
  body: string;
  isInternal: boolean;
  parentId: number | null;
  messageId: string;
  createdAt: string;
  attachments: { id: number; name: string; mimetype: string; size: number; cid: string | null }[];
  tracking: { field: string; fieldType: string; oldValue: unknown; newValue: unknown }[];
  /** per recipient: how they were notified and whether it worked (a failed email is Odoo's "red envelope") */
  notifications: { partnerId: number; email: string; type: string; status: string; failureType: string | null; failureReason: string | null }[];
}

export function presentMessage({ message: m, attachments, tracking, notifications }: ThreadEntry): MessageView {
  return {
    id: m.id,
    type: m.messageType,
    subtype: m.subtype?.name ?? null,
    author: m.author ? { id: m.author.id, name: m.author.name, email: m.author.email } : null,
    emailFrom: m.emailFrom,
    subject: m.subject,
    body: m.body,
    isInternal: m.isInternal,
    parentId: m.parent?.id ?? null,
    messageId: m.messageId,
    createdAt: m.createdAt.toISOString(),
    attachments: attachments.map((a) => ({ id: a.id, name: a.name, mimetype: a.mimetype, size: a.size, cid: a.cid })),
    tracking: tracking.map((t) => ({ field: t.field, fieldType: t.fieldType, oldValue: t.oldValue, newValue: t.newValue })),
    notifications: notifications.map((n) => ({
      partnerId: n.partner.id,
      email: n.partner.email,
      type: n.notificationType,
      status: n.status,
      failureType: n.failureType,
      failureReason: n.failureReason,
    })),
  };
}

export function presentFollower(f: Follower) {
  return {
    partnerId: f.partner.id,
    name: f.partner.name,
    email: f.partner.email,
    internal: f.partner.isInternal,
    subtypes: f.subtypes.isInitialized() ? f.subtypes.getItems().map((s) => s.name).sort() : [],
  };
}
