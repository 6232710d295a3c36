import { compile } from 'html-to-text';

/** headings keep their case (html-to-text writes them in capitals by default) */
const headings = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

/**
 * html-to-text (the converter mailparser uses for the other direction) with a mail's conventions: links as
 * `text (URL)` (the URL alone when it is the text), lists bulleted, tables as aligned columns, images by their alt
 * text, lines left unwrapped (mail clients wrap, and quoted-printable keeps the wire's lines short).
 */
const convert = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { linkBrackets: ['(', ')'], hideLinkHrefIfSameAsText: true, ignoreHref: false, noAnchorUrl: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    { selector: 'hr', options: { length: 20 } },
    ...headings,
  ],
});

/** one post's body is converted for each of its recipients' mails: the last few results are kept */
const CACHE_SIZE = 16;
const cache = new Map<string, string>();

/** The text/plain part of a mail from its (sanitized) HTML. */
export function htmlToText(html: string): string {
  let text = cache.get(html);
  if (text === undefined) {
    text = convert(html)
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(html, text);
  }
  return text;
}
