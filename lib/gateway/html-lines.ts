import { collapseSpaces } from '../thread/html.js';

/**
 * An HTML body as the lines a reader sees, each with the offset in the HTML where it starts: the line-based quote
 * rules (talon's, via `planer`) run on the text, and a cut found there maps back to a cut in the HTML.
 */
export interface HtmlLine {
  /** visible text, entities decoded, whitespace collapsed, trimmed */
  text: string;
  /** offset in the HTML of the block tag (or `<br>`) that starts the line */
  start: number;
}

/** tags that start a new visible line */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tbody',
  'thead', 'tfoot', 'tr', 'ul',
]);
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(script|style|head|title|xml)\b[\s\S]*?(?:<\/\1\s*>|$)|<\/?([a-zA-Z][\w:-]*)[^>]*>?|<![^>]*>?|[^<]+|</g;

export function htmlLines(html: string): HtmlLine[] {
  const lines: HtmlLine[] = [];
  let text = '';
  let start = 0;
  for (const m of html.matchAll(TOKEN)) {
    const token = m[0];
    if (token[0] !== '<' || token === '<') {
      text += decodeEntities(token);
      continue;
    }
    if (m[1] || token.startsWith('<!')) continue; // comments, styles, scripts: nothing visible
    const tag = m[2]?.toLowerCase();
    if (!tag || !BLOCK.has(tag)) continue;
    // a block boundary: the current line ends; an empty one just moves its start to this boundary
    const visible = collapseSpaces(text).trim();
    if (visible) lines.push({ text: visible, start });
    text = '';
    start = m.index;
  }
  const visible = collapseSpaces(text).trim();
  if (visible) lines.push({ text: visible, start });
  return lines;
}

const NAMED: Record<string, string> = { nbsp: ' ', gt: '>', lt: '<', amp: '&', quot: '"', apos: "'", ndash: '–', mdash: '—' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (all, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return NAMED[name.toLowerCase()] ?? all;
  });
}
