import { htmlToText } from './html-to-text.js';
import type { MailLayoutContext, RenderedBody } from './outgoing.options.js';

/**
 * The default notification email (Odoo's `mail_notification_layout`, in small): the record's name (a link when the
 * host gives a URL), who wrote, the body, the attached files, and a footer with the unfollow link.
 * Inline styles only: mail clients drop `<style>` blocks.
 */
export function defaultLayout(ctx: MailLayoutContext): Required<RenderedBody> {
  const files = ctx.attachments.filter((a) => !a.inline);
  const title = ctx.recordUrl ? `<a href="${esc(ctx.recordUrl)}" style="color:#1a1a1a;text-decoration:none">${esc(ctx.recordName)}</a>` : esc(ctx.recordName);
  const byline = ctx.author ? `${esc(ctx.author.name)} wrote${ctx.message.isInternal ? ' an internal note' : ''}:` : '';
  const list = files.length
    ? `<tr><td style="padding:12px 24px 0 24px;font-size:13px;color:#555">${files.length === 1 ? '1 attachment' : `${files.length} attachments`}: ${files
        .map((f) => `<b>${esc(f.name)}</b> (${size(f.size)})`)
        .join(', ')}</td></tr>`
    : '';
  const footer = [
    ctx.recordUrl ? `<a href="${esc(ctx.recordUrl)}" style="color:#555">View ${esc(ctx.recordName)}</a>` : '',
    ctx.unfollowUrl ? `<a href="${esc(ctx.unfollowUrl)}" style="color:#555">Unfollow</a>` : '',
  ].filter(Boolean);
  const html = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head>',
    '<body style="margin:0;padding:0;background:#f4f4f4">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f4;padding:16px 0"><tr><td align="center">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid #e0e0e0;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a">',
    `<tr><td style="padding:16px 24px;border-bottom:1px solid #e0e0e0;font-size:18px;font-weight:bold">${title}</td></tr>`,
    byline ? `<tr><td style="padding:16px 24px 0 24px;font-size:13px;color:#555">${byline}</td></tr>` : '',
    `<tr><td style="padding:12px 24px;font-size:14px;line-height:1.5">${ctx.bodyHtml}</td></tr>`,
    list,
    `<tr><td style="padding:16px 24px;border-top:1px solid #e0e0e0;font-size:12px;color:#777">Reply to this email to answer in the thread.${
      footer.length ? ` ${footer.join(' · ')}` : ''
    }</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('');
  const text = [
    ctx.recordName,
    '='.repeat(Math.min(60, Math.max(3, ctx.recordName.length))),
    byline ? `${ctx.author!.name} wrote${ctx.message.isInternal ? ' an internal note' : ''}:` : '',
    htmlToText(ctx.bodyHtml),
    files.length ? `Attachments: ${files.map((f) => `${f.name} (${size(f.size)})`).join(', ')}` : '',
    '--',
    'Reply to this email to answer in the thread.',
    ctx.recordUrl ? `View: ${ctx.recordUrl}` : '',
    ctx.unfollowUrl ? `Unfollow: ${ctx.unfollowUrl}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  return { html, text };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
