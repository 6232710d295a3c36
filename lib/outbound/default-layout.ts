import { htmlToText } from './html-to-text.js';
import type { MailLayoutContext, RenderedBody } from './outgoing.options.js';

/**
 * The default notification email (Odoo's `mail_notification_layout`, in small): the record's name (a link when the
 * host gives a URL), who wrote or did what, the body, the attached files, and a footer with the record's link and the
 * unfollow link — behind `-- ` in the text part and marked in the HTML, so that replies leave it out.
 * Inline styles only: mail clients drop `<style>` blocks.
 */
export function defaultLayout(ctx: MailLayoutContext): Required<RenderedBody> {
  const files = ctx.attachments.filter((a) => !a.inline);
  const title = ctx.recordUrl ? `<a href="${esc(ctx.recordUrl)}" style="color:#1a1a1a;text-decoration:none">${esc(ctx.recordName)}</a>` : esc(ctx.recordName);
  const byline = ctx.author ? `${ctx.author.name} ${authorAction(ctx.message)}:` : '';
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
    byline ? `<tr><td style="padding:16px 24px 0 24px;font-size:13px;color:#555">${esc(byline)}</td></tr>` : '',
    `<tr><td style="padding:12px 24px;font-size:14px;line-height:1.5">${ctx.bodyHtml}</td></tr>`,
    list,
    // marked so that the quote trimmer leaves it out of a reply (it holds this recipient's own unfollow link)
    `<tr><td ${FOOTER_ATTRIBUTE} style="padding:16px 24px;border-top:1px solid #e0e0e0;font-size:12px;color:#777">Reply to this email to answer in the thread.${
      footer.length ? ` ${footer.join(' · ')}` : ''
    }</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('');
  const text = [
    `${ctx.recordName}\n${'='.repeat(Math.min(60, Math.max(3, ctx.recordName.length)))}`,
    byline,
    htmlToText(ctx.bodyHtml),
    files.length ? `Attachments: ${files.map((f) => `${f.name} (${size(f.size)})`).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  // behind the signature marker: mail clients leave it out of a reply's quote
  const footerText = [
    'Reply to this email to answer in the thread.',
    ctx.recordUrl ? `View ${ctx.recordName}: ${ctx.recordUrl}` : '',
    ctx.unfollowUrl ? `Unfollow: ${ctx.unfollowUrl}` : '',
  ].filter(Boolean);
  return { html, text: `${text}\n\n${SIGNATURE_MARKER}\n${footerText.join('\n')}` };
}

/** the line that starts a signature (RFC 3676 §4.3): "-- " with its space */
export const SIGNATURE_MARKER = '-- ';
/** the attribute of the default layout's footer cell, for the quote trimmer */
export const FOOTER_ATTRIBUTE = 'data-chatter-footer';

/** what the author did, for the byline ("Agent wrote:", "Agent logged an internal note:") */
function authorAction(message: MailLayoutContext['message']): string {
  switch (message.type) {
    case 'activity':
      return 'completed an activity';
    case 'tracking':
      return 'updated the record';
    case 'notification':
      return 'posted an update';
    case 'note':
      return 'logged an internal note';
    default:
      return message.isInternal ? 'logged an internal note' : 'wrote';
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
