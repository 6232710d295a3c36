/**
 * A message body ready for a browser: `<img src="cid:…">` (inline images of an email) pointing at the chatter's
 * inline image route, `{prefix}/messages/{id}/inline/{cid}`. The body is already sanitized; only `src` values that are
 * `cid:` URLs change.
 */
export function resolveInlineImages(body: string, messageId: number, prefix = '/chatter'): string {
  return body.replace(/(<img\b[^>]*?\ssrc=)(["'])cid:([^"']+)\2/gi, (_all, head: string, quote: string, cid: string) =>
    `${head}${quote}${prefix}/messages/${messageId}/inline/${encodeURIComponent(decodeEntities(cid))}${quote}`,
  );
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#64;/g, '@');
}
