import type { Response } from 'express';

/**
 * The page's Content-Security-Policy. Message bodies are sanitized on the server and shown in sandboxed
 * `srcdoc` iframes (no scripts); this policy is the second wall: only our own script files run (no inline script,
 * no eval), nothing loads from elsewhere (remote images in mails are tracking pixels), no plugins, no framing of the
 * page, and Trusted Types make every HTML sink go through the one policy that feeds those iframes.
 * `srcdoc` frames inherit this policy.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types chatter-message',
].join('; ');

export function setPageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-store');
}
