import { describe, expect, it } from 'vitest';
import sanitizeHtml from 'sanitize-html';
import { parseInbound } from '../../lib/gateway/inbound-mail.js';
import { htmlToPreview } from '../../lib/thread/html.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

/** the text of any HTML by parsing it (what previews were made with before): the reference */
function parsedText(html: string): string {
  const text = sanitizeHtml(html.replace(/<(br|\/p|\/div|\/li|\/h\d)\s*\/?>/gi, ' '), { allowedTags: [], allowedAttributes: {} });
  return text.replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}

describe('message previews', () => {
  it("are the text a parser finds in every corpus mail's sanitized body", async () => {
    let compared = 0;
    for (const entry of readManifest()) {
      const mail = await parseInbound(readCorpusMail(entry), { envelope: [], bounceAddresses: [], messageId: '<m@example.test>' });
      if (!mail.body) continue;
      expect(htmlToPreview(mail.body, Infinity)).toBe(parsedText(mail.body));
      compared++;
    }
    expect(compared).toBeGreaterThan(700);
  });

  it('drop a tag cut by the excerpt window, and decode what sanitizing escaped', () => {
    const body = `<p>${'word '.repeat(700)}<a href="https://example.test/a?b=1&amp;c=2">link</a></p>`;
    expect(htmlToPreview(body, 200)).toMatch(/^word word .*…$/);
    expect(htmlToPreview('<p>a &lt;b&gt; &amp;lt; &quot;c&quot;</p>')).toBe('a <b> &lt; "c"');
  });
});
