import type { MailLayout, MailLayoutContext } from '../outbound/outgoing.options.js';
import { TemplateEngine, templateData } from './template-engine.js';

/**
 * A notification email layout written as a Liquid template instead of code, for `outgoing.layout` or
 * `outgoing.layouts[model]`: `{ layout: templateLayout({ html: '<h1>{{ recordName }}</h1>{{ bodyHtml | raw }}…' }) }`.
 * The template sees the layout context (recordName, subject, bodyHtml, author, recipient, attachments, recordUrl,
 * unfollowUrl, message, model, resId) as JSON, in the same sandbox as the email templates; values are escaped, so the
 * already sanitized body goes through `| raw`. The text part is derived from the HTML unless `text` is given.
 * The sources are checked now: a broken layout fails the boot, not every mail.
 */
export function templateLayout(source: { html: string; text?: string }, engine: TemplateEngine = new TemplateEngine()): MailLayout {
  engine.parse(source.html, 'html');
  if (source.text !== undefined) engine.parse(source.text, 'text');
  return async (ctx: MailLayoutContext) => {
    const data = templateData(ctx) as Record<string, unknown>;
    const html = await engine.render(source.html, 'html', data);
    const text = source.text === undefined ? undefined : await engine.render(source.text, 'text', data);
    return text === undefined ? { html } : { html, text };
  };
}
