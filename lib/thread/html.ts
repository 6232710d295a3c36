import { sanitizeBodyHtml } from './body-sanitizer.js';

/** Sanitizes HTML for storage and display. */
export function sanitizeBody(html: string): string {
  return sanitizeBodyHtml(html).trim();
}

/**
 * Escapes plain text into HTML paragraphs (line breaks kept). Its output is already what `sanitizeBody` makes of it
 * (the same `<br />`, the same escapes; checked over the corpus's texts and random texts of markup, entities, NULs
 * and lone surrogates), so a body made here needs no sanitizing.
 */
export function textToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/\n/g, '<br />')}</p>`)
    .join('');
}

/**
 * `body` if it fits in `maxBytes`; else its text, cut to a quarter of that (UTF-8 takes up to 4 bytes a character),
 * with a note: a message never outgrows the configured limit, and the mail itself stays in the inbound ledger.
 */
export function fitBody(body: string, maxBytes: number): string {
  if (Buffer.byteLength(body) <= maxBytes) return body;
  const text = htmlToPreview(body, Math.floor(maxBytes / 4));
  return textToHtml(`${text}\n\n[message truncated: the full mail is kept in the inbound ledger]`);
}

/** A plain-text excerpt of a sanitized HTML body (or `textToHtml`'s), for lists and notification subjects. */
export function htmlToPreview(html: string, max = 200): string {
  // the first few KB of a long body usually hold its excerpt: the whole body is read only when they do not
  const window = max * 16;
  const head = html.length > window ? plainText(html.slice(0, window)) : '';
  const text = head.length > max ? head : plainText(html);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The text of sanitized HTML. Sanitizing leaves `<` and `>` only around tags and escapes only `& < > " '` in text,
 * so dropping the tags and decoding those five is exact — and much cheaper than parsing the HTML again.
 */
function plainText(html: string): string {
  const text = html
    .replace(/<(br|\/p|\/div|\/li|\/h\d)\s*\/?>/gi, ' ')
    .replace(/<[^>]*(>|$)/g, '') // a window's cut may end inside a tag
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return collapseSpaces(text).trim();
}

/**
 * Every run of whitespace as one space, as `text.replace(/\s+/g, ' ')` — but only the runs that change are replaced:
 * the single spaces between words are most matches of `\s+`, and rebuilding the string around each was most of the
 * cost of a preview or of the quote detector's lines.
 */
export function collapseSpaces(text: string): string {
  return text.replace(/\s{2,}|[^\S ]/g, ' ');
}
