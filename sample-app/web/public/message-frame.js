// @ts-check
// A message body is HTML from outside (an inbound email, a pasted note). The server sanitizes it when it is stored;
// here it is shown in an iframe sandboxed WITHOUT allow-scripts, from `srcdoc`, so even a body that slipped past the
// sanitizer runs no script, submits no form, cannot navigate this page, and its CSS stays inside its own box.
// allow-same-origin only lets this page measure the frame's height (scripts stay off: the two together are unsafe
// only with allow-scripts). Links open in a new tab (allow-popups), outside the sandbox.

const MAX_HEIGHT = 640;

/** The one place HTML strings become DOM; the page's CSP (trusted-types chatter-message) allows no other. */
const policy = /** @type {any} */ (window).trustedTypes?.createPolicy('chatter-message', { createHTML: (html) => html });

/** `<img src="cid:…">` of an email → the chatter's inline image route (as resolveInlineImages does on the server) */
function withInlineImages(body, messageId) {
  if (messageId === undefined) return body;
  return body.replace(/(<img\b[^>]*?\ssrc=)(["'])cid:([^"']+)\2/gi, (_all, head, quote, cid) =>
    `${head}${quote}/chatter/messages/${messageId}/inline/${encodeURIComponent(cid.replace(/&amp;/g, '&').replace(/&#64;/g, '@'))}${quote}`,
  );
}

/**
 * @param {string} body sanitized HTML from the API
 * @param {number} [messageId] for inline images
 * @returns {HTMLIFrameElement}
 */
export function messageFrame(body, messageId) {
  const frame = document.createElement('iframe');
  frame.className = 'message-frame';
  frame.setAttribute('sandbox', 'allow-same-origin allow-popups allow-popups-to-escape-sandbox');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.setAttribute('title', 'Message');
  const doc = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/web/assets/message.css"></head><body><div class="message-body">${withInlineImages(body, messageId)}</div></body></html>`;
  // @ts-ignore: srcdoc takes TrustedHTML where Trusted Types exist
  frame.srcdoc = policy ? policy.createHTML(doc) : doc;
  frame.addEventListener('load', () => fit(frame));
  return frame;
}

/** Sizes the frame to its content (up to MAX_HEIGHT, then it scrolls inside), again when images load or it is resized. */
function fit(frame) {
  const doc = frame.contentDocument;
  const content = doc?.querySelector('.message-body');
  if (!doc || !content) return;
  const measure = () => {
    frame.style.height = `${Math.min(Math.ceil(content.getBoundingClientRect().height) + 2, MAX_HEIGHT)}px`;
  };
  measure();
  for (const img of doc.images) img.addEventListener('load', measure);
  new ResizeObserver(measure).observe(frame);
}

/** True when a body has something to show (tracking messages have none). @param {string | null | undefined} body */
export function hasBody(body) {
  return !!body && /\S/.test(body.replace(/<\/?(p|br|div)\s*\/?>/gi, '')) ;
}
