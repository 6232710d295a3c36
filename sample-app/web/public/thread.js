// @ts-check
// The thread: messages newest first, one page at a time ("Load older messages"), each type styled its own way.
import { api } from './api.js';
import { avatar, byId, clear, formatDateTime, formatSize, h, icon } from './dom.js';
import { hasBody, messageFrame } from './message-frame.js';

const PAGE_SIZE = 20;
const KIND_LABELS = { email: 'Email', note: 'Note', activity: 'Activity', notification: 'System', tracking: '', comment: '' };

/**
 * @typedef {{ base: string, labels: { fields: Record<string, string>, values: Record<string, Record<string, string>> } }} ChatterContext
 */

/** @param {ChatterContext} ctx */
export function createThread(ctx) {
  const list = byId('thread');
  const older = byId('load-older');
  /** @type {Map<number, HTMLElement>} */
  const shown = new Map();
  let oldest = Infinity;

  function place(messages, where) {
    for (const m of messages) {
      const el = renderMessage(m, ctx);
      const existing = shown.get(m.id);
      if (existing) existing.replaceWith(el);
      else if (where === 'top') list.insertBefore(el, list.querySelector('.message'));
      else list.appendChild(el);
      shown.set(m.id, el);
      oldest = Math.min(oldest, m.id);
    }
    list.querySelector('.thread-empty')?.remove();
    if (shown.size === 0) list.appendChild(h('p', { class: 'thread-empty muted' }, 'No messages yet.'));
  }

  /** the newest page, merged in: new messages on top, known ones redrawn (their delivery status may have changed) */
  async function refresh() {
    const page = await api('GET', `${ctx.base}/messages?limit=${PAGE_SIZE}`);
    if (shown.size > 0 && page.length === PAGE_SIZE && !page.some((m) => shown.has(m.id))) {
      // more new messages than a page: start over rather than leave a gap
      clear(list);
      shown.clear();
      oldest = Infinity;
    }
    const fresh = page.filter((m) => !shown.has(m.id)).reverse(); // oldest of the new first, each inserted on top
    place(page.filter((m) => shown.has(m.id)), 'keep');
    place(fresh, 'top');
    if (shown.size === page.length) older.hidden = page.length < PAGE_SIZE;
  }

  async function loadOlder() {
    const page = await api('GET', `${ctx.base}/messages?limit=${PAGE_SIZE}&before=${oldest}`);
    place(page, 'bottom');
    older.hidden = page.length < PAGE_SIZE;
  }

  return { refresh, loadOlder };
}

/** @param {any} m a message of the API @param {ChatterContext} ctx */
export function renderMessage(m, ctx) {
  const type = m.type === 'comment' && m.isInternal ? 'note' : m.type;
  const name = m.author?.name || m.emailFrom || 'System';
  const head = h(
    'header',
    { class: 'msg-head' },
    h('span', { class: 'msg-author' }, name),
    KIND_LABELS[type] ? h('span', { class: `msg-kind kind-${type}` }, type === 'email' ? icon('envelope') : null, KIND_LABELS[type]) : null,
    h('time', { class: 'msg-date', datetime: m.createdAt, title: m.createdAt }, formatDateTime(m.createdAt)),
    deliveryButton(m),
  );
  const main = h('div', { class: 'msg-main' }, head);
  if (type === 'email' && m.subject) main.appendChild(h('div', { class: 'msg-subject' }, m.subject));
  if (m.tracking?.length) main.appendChild(trackingList(m.tracking, ctx));
  if (hasBody(m.body)) main.appendChild(h('div', { class: 'msg-body' }, messageFrame(m.body, m.id)));
  const files = (m.attachments ?? []).filter((a) => !a.cid);
  if (files.length) main.appendChild(attachmentList(files));
  const delivery = deliveryDetails(m);
  if (delivery) main.appendChild(delivery);
  return h(
    'article',
    { class: `message msg-${type}`, dataset: { messageId: String(m.id), type }, 'aria-label': `${KIND_LABELS[type] || 'Message'} by ${name}` },
    avatar(m.author?.name ?? name, m.author?.email ?? m.emailFrom ?? '', type === 'tracking' || type === 'notification' ? 'sm' : 'md'),
    main,
  );
}

/** "Status: New → In progress" */
function trackingList(tracking, ctx) {
  return h(
    'ul',
    { class: 'tracking' },
    tracking.map((t) => {
      const label = ctx.labels.fields[t.field] ?? t.field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
      return h(
        'li',
        { dataset: { field: t.field } },
        h('span', { class: 'tracking-field' }, `${label}:`),
        ' ',
        h('span', { class: 'tracking-old' }, trackingValue(t.field, t.oldValue, ctx)),
        h('span', { class: 'tracking-arrow', 'aria-label': 'changed to' }, ' → '),
        h('span', { class: 'tracking-new' }, trackingValue(t.field, t.newValue, ctx)),
      );
    }),
  );
}

function trackingValue(field, value, ctx) {
  if (value === null || value === undefined || value === '') return 'None';
  if (typeof value === 'object') return value.name ?? JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return ctx.labels.values[field]?.[String(value)] ?? String(value);
}

/** images shown, every file a download link */
export function attachmentList(files) {
  return h(
    'ul',
    { class: 'msg-files' },
    files.map((a) => {
      const url = `/chatter/attachments/${a.id}`;
      const isImage = /^image\/(png|jpe?g|gif|webp)$/i.test(a.mimetype);
      return h(
        'li',
        { class: isImage ? 'file file-image' : 'file' },
        isImage ? h('img', { src: url, alt: a.name, loading: 'lazy' }) : icon('paperclip'),
        h('a', { href: url, download: a.name, class: 'file-name', title: `Download ${a.name}` }, a.name),
        h('span', { class: 'file-size muted' }, formatSize(a.size)),
      );
    }),
  );
}

function emailNotifications(m) {
  return (m.notifications ?? []).filter((n) => n.type === 'email');
}

function failed(n) {
  return n.status === 'exception' || n.status === 'bounce';
}

/** the envelope: grey when the message went out by email, red when a delivery failed or bounced (Odoo's) */
function deliveryButton(m) {
  const emails = emailNotifications(m);
  if (!emails.length) return null;
  const failures = emails.filter(failed);
  const label = failures.length
    ? `Not delivered to ${failures.map((n) => n.email).join(', ')}`
    : `Sent by email to ${emails.length} recipient${emails.length > 1 ? 's' : ''}`;
  return h(
    'button',
    {
      type: 'button',
      class: `envelope${failures.length ? ' envelope-failed' : ''}`,
      title: label,
      'aria-label': label,
      'aria-expanded': 'false',
      onclick: (/** @type {Event} */ e) => {
        const button = /** @type {HTMLElement} */ (e.currentTarget);
        const details = button.closest('.message')?.querySelector('.delivery');
        if (!(details instanceof HTMLElement)) return;
        details.hidden = !details.hidden;
        button.setAttribute('aria-expanded', String(!details.hidden));
      },
    },
    icon('envelope'),
  );
}

const STATUS_TEXT = { ready: 'queued', sent: 'sent', bounce: 'bounced', exception: 'failed', canceled: 'canceled' };

function deliveryDetails(m) {
  const emails = emailNotifications(m);
  if (!emails.length) return null;
  const el = h(
    'ul',
    { class: 'delivery' },
    emails.map((n) =>
      h(
        'li',
        { class: failed(n) ? 'delivery-failed' : '' },
        h('span', { class: 'delivery-email' }, n.email),
        ': ',
        STATUS_TEXT[n.status] ?? n.status,
        n.failureReason ? h('span', { class: 'muted' }, ` (${n.failureReason})`) : null,
      ),
    ),
  );
  el.hidden = true;
  return el;
}

