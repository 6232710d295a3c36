import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { BODY_HTML, sanitizeBodyHtml } from '../../lib/thread/body-sanitizer.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

/**
 * The body sanitizer is sanitize-html's rules for `BODY_HTML` without its generality: it must give sanitize-html's
 * output, character for character, on every input — real mail, known attacks, and random markup.
 */
const reference = (html: string) => sanitizeHtml(html, BODY_HTML);

const ATTACKS = [
  '<script>alert(1)</script><p>after</p>',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="java<!-- -->script:alert(1)">x</a>',
  '<a href="//evil.test/x">protocol-relative</a>',
  '<a href="http://ok.test" target="_self" rel="opener">link</a>',
  '<a href="mailto:a@b.test">m</a><a href="tel:+1">t</a><a href="cid:x">c</a><a href="ftp://x">f</a>',
  '<img src="data:text/html;base64,PHNjcmlwdD4=">',
  '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
  '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
  '<img src="cid:part1@x" width="10" height="10" onload="x">',
  '<svg><animate attributeName="href" values="javascript:alert(1)"/><a><text>x</text></a></svg>',
  '<style>body { color: red }</style><p>styled</p>',
  '<textarea><img src=x onerror=alert(1)></textarea>',
  '<xmp><script>alert(1)</script></xmp>',
  '<option>&lt;script&gt;alert(1)&lt;/script&gt;</option>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<iframe src="x"><p>fallback <b>bold</b></p></iframe><p>after</p>',
  '<iframe><iframe><script>alert(1)</script>',
  '<p onclick="x" class="" dir="rtl" data-o-mail-quote="1" style="position:fixed">a</p>',
  '<p class>empty class</p><td colspan="">x</td><img alt=""><img alt>',
  '<a title=\'a"b\' name="n&amp;m">q</a>',
  '<div><p>unclosed <b>bold <i>italic</div> after',
  '</p></div>stray closes<p>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<font color="red" face="x">f</font><center>c</center>',
  '<p>&amp; &lt; &gt; &nbsp; &#x27; &quot; &copy; &unknown; & amp</p>',
  '<![CDATA[x]]><!-- comment --><?xml version="1.0"?><!DOCTYPE html>',
  '<p/><br/><hr><col span="2"><br></br>',
  '<table border="1" cellpadding="2" bgcolor="red"><tr><td align="left" valign="top" width="9">x</td></tr></table>',
  '<a name="__proto__" constructor="x" __proto__="y" hasOwnProperty="z">proto</a>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<p>nul\u0000char</p><p title="nul\u0000">t</p>',
  '<a href="http://x.test/?a=1&b=2">q</a>',
  '<img src="http://x.test/a.png" srcset="javascript:alert(1) 1x">',
  '<blockquote cite="javascript:alert(1)">c</blockquote>',
  '<a href="data:text/html,x">d</a><a href="HTTPS://X.TEST">upper</a>',
  '<html><head><title>t</title><meta http-equiv="refresh" content="0;url=javascript:alert(1)"></head><body><p>b</p></body></html>',
  '<select><option>o<b>b</b></option></select><p>p</p>',
  '<div\tclass="a"\nid=b>ws</div>',
  '<p x=">" y=\'<\'>attr brackets</p>',
  '<a href="http://x.test" href="javascript:alert(1)">dup</a>',
];

/** a seeded generator of markup-ish strings: tags allowed and not, attributes, quotes, entities, stray brackets */
function randomMarkup(seed: number, count: number): string[] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const tags = ['p', 'a', 'img', 'div', 'span', 'b', 'script', 'style', 'textarea', 'option', 'xmp', 'iframe', 'table', 'td', 'br', 'font', 'svg', 'math', 'noscript', 'title', 'x-y'];
  const attrs = ['href', 'src', 'class', 'dir', 'title', 'onclick', 'style', 'alt', 'width', 'colspan', 'target', 'rel', 'data-oe-id', 'cite', 'xlink:href'];
  const values = ['', 'x', 'http://a.test/', 'javascript:alert(1)', 'data:image/png;base64,AA', 'data:text/html,x', '//b.test', 'cid:c', ' "q" ', "'", '&amp;&lt;', '>', '<'];
  const texts = ['text', ' ', '&nbsp;', '&amp;', '<', '>', '"', '&#60;', '\n', 'é', '&x;'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let html = '';
    const parts = 1 + Math.floor(next() * 14);
    for (let j = 0; j < parts; j++) {
      const r = next();
      if (r < 0.35) {
        html += `<${pick(tags)}`;
        const n = Math.floor(next() * 3);
        for (let k = 0; k < n; k++) {
          const quote = pick(['"', "'", '']);
          html += ` ${pick(attrs)}=${quote}${pick(values)}${quote}`;
        }
        html += pick(['>', '/>', ' >', '']);
      } else if (r < 0.55) {
        html += `</${pick(tags)}>`;
      } else if (r < 0.6) {
        html += pick(['<!--', '-->', '<![CDATA[', ']]>', '<!x>', '</']);
      } else {
        html += pick(texts);
      }
    }
    out.push(html);
  }
  return out;
}

describe('the body sanitizer', () => {
  it('gives sanitize-html’s output on known attacks and awkward markup', () => {
    for (const html of ATTACKS) expect(sanitizeBodyHtml(html), html).toBe(reference(html));
  });

  it('gives sanitize-html’s output on 20,000 random markup strings', () => {
    for (const html of randomMarkup(20261204, 20_000)) expect(sanitizeBodyHtml(html), JSON.stringify(html)).toBe(reference(html));
  });

  it('gives sanitize-html’s output on every corpus mail’s HTML, and on its text read as HTML', async () => {
    let compared = 0;
    for (const entry of readManifest()) {
      const parsed = await simpleParser(readCorpusMail(entry), { skipTextToHtml: true, skipHtmlToText: true, skipImageLinks: true, skipTextLinks: true });
      for (const html of [typeof parsed.html === 'string' ? parsed.html : '', parsed.text ?? '']) {
        if (!html) continue;
        expect(sanitizeBodyHtml(html), entry.path).toBe(reference(html));
        compared++;
      }
    }
    // 786 mails: 833 bodies, HTML or text
    expect(compared).toBeGreaterThan(800);
  });
});
