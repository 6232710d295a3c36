import planer, { type PlanerReturnFlags } from 'planer';
import { collapseSpaces, textToHtml } from '../thread/html.js';
import { htmlLines } from './html-lines.js';
import { extractReply, markLines, splitterAt } from './quote-lines.js';

/** A reply body split in two: what the sender wrote, and the quoted history (kept, shown folded). */
export interface TrimmedBody {
  /** HTML (not yet sanitized) */
  body: string;
  /** the quoted history, HTML; null when nothing was trimmed */
  trimmed: string | null;
}

/**
 * Where quoted history starts in the HTML mail clients write: Gmail, Apple Mail/Thunderbird (`type=cite`),
 * Outlook (desktop, web, new), Yahoo, Proton, Zimbra, and the "Original Message" separators.
 */
const HTML_QUOTE_STARTS: RegExp[] = [
  /<div[^>]*class=["']?[^"'>]*\bgmail_quote\b/i,
  /<blockquote[^>]*class=["']?[^"'>]*\bgmail_quote\b/i,
  /<div[^>]*class=["']?[^"'>]*\bmoz-cite-prefix\b/i,
  /<blockquote[^>]*type=["']?cite\b/i,
  /<div[^>]*(id|class)=["']?[^"'>]*\byahoo_quoted\b/i,
  /<div[^>]*id=["']?(divRplyFwdMsg|appendonsend|mail-editor-reference-message-container)\b/i,
  /<hr[^>]*id=["']?stopSpelling/i,
  // the footer of our own notification (default layout), when a client copied it without quoting it
  /<[a-z][^>]*\sdata-chatter-footer\b/i,
  /<hr[^>]*(id=["']?zwchr\b|data-marker=["']?__DIVIDER__)/i,
  /<div[^>]*class=["']?[^"'>]*\b(OutlookMessageHeader|protonmail_quote|zmail_extra|x_gmail_quote)\b/i,
  /<div[^>]*style=["'][^"']*border-top:\s*solid\s+#(B5C4DF|E1E1E1)[^"']*["']/i,
  /-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{3,}/i,
];
/** the attribution line just before a quote: "On … wrote:", and its translations */
const ATTRIBUTION = /(^|>)\s*((On|Le|Am|El|Il|Op|Em|Dnia|W dniu|Den|På)\s[^<]{4,300}?(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|napisał|skrev)\s*:?)\s*(<|$)/i;
/** a whole visible line that ends like an attribution, whatever opens it ("Jane via Support wrote:", "写道：") */
const ATTRIBUTION_LINE =
  /^(?=.{4,300}$).*(?:(?:^|\s)(?:wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|napisał(?:\(a\))?|skrev|kirjoitti|napsal|написал[аи]?|пишет)\s*:|写道[：:])\s*$/i;

/** a field of the header block a client writes above the quote, in the languages talon knows and a few more */
const HEADER_FIELD =
  /^\*?\s*(From|To|Cc|Subject|Sent|Date|Von|An|Betreff|Gesendet|Datum|De|À|Objet|Envoyé|Para|Asunto|Enviado|Fecha|Van|Aan|Onderwerp|Verzonden|Fra|Til|Emne|Sendt|Från|Till|Ämne|Skickat|Da|Oggetto|Inviato|Data|Od|Do|Temat|Wysłano)\s?:/i;

/** Trims quoted history from an HTML body; plain text goes through `planer` (a port of Mailgun's talon). */
export function trimQuotes(input: { html?: string; text?: string }): TrimmedBody {
  if (input.html) return trimHtml(input.html);
  return trimText(input.text ?? '');
}

function trimHtml(html: string): TrimmedBody {
  const answers = answersAroundQuoteBlocks(html);
  if (answers !== null) return { body: answers, trimmed: html };
  let cut = -1;
  for (const re of HTML_QUOTE_STARTS) {
    const m = re.exec(html);
    if (m && (cut === -1 || m.index < cut)) cut = m.index;
  }
  // no client's marker: the quote may still be there as text (Outlook's "From:/Sent:" paragraph, `>` lines)
  if (cut === -1) cut = lineQuoteStart(html);
  if (cut <= 0) return { body: html, trimmed: null };
  // pull the "On … wrote:" line that introduces the quote into the trimmed part
  const before = html.slice(Math.max(0, cut - 800), cut);
  const attribution = lastMatch(ATTRIBUTION, before);
  if (attribution !== undefined) {
    const tagStart = before.lastIndexOf('<', attribution);
    cut = Math.max(0, cut - before.length + (tagStart === -1 ? attribution : tagStart));
  } else {
    // "Jane via Support wrote:", "… <jane@x> wrote:": an attribution without the "On …" opening
    const lines = htmlLines(html.slice(0, cut));
    if (lines.length > 1 && ATTRIBUTION_LINE.test(lines[lines.length - 1].text)) cut = lines[lines.length - 1].start;
  }
  const body = html.slice(0, cut);
  if (!visibleText(body)) return { body: html, trimmed: null };
  return { body, trimmed: html.slice(cut) };
}

/** very long texts are not trimmed: the quote detector is line-based and a megabyte of list digest is not a reply */
const MAX_TRIM_CHARS = 256 * 1024;

/**
 * Where talon's line rules (through `planer`, as talon does for HTML) find a quote in the visible lines of an HTML
 * body: an Outlook "From: … Sent: … To:" block, "-----Original Message-----", a run of `>` lines (Hotmail quotes as
 * text). Only a quote that runs to the end counts: text after it is a bottom-posted or inline answer, kept whole.
 * -1 when none.
 */
function lineQuoteStart(html: string): number {
  if (html.length > 4 * MAX_TRIM_CHARS) return -1;
  const lines = htmlLines(html);
  const texts = lines.map((l) => l.text);
  if (lines.length < 2 || lines.length > 1000 || texts.reduce((n, t) => n + t.length, 0) > MAX_TRIM_CHARS) return -1;
  const flags: PlanerReturnFlags = {};
  planer.processMarkedLines(texts, markLines(texts), flags);
  // htmlLines has no empty lines, so a cut that ends before the last line has text after it
  if (!flags.wereLinesDeleted || !flags.firstLine || flags.lastLine !== lines.length) return -1;
  // talon takes one "From:"/"Date:" line for a quote header; in HTML that is also a feed item's or a form's metadata,
  // so a header block needs a second field (Outlook: From/Sent/To/Subject, in the client's language)
  let first = flags.firstLine;
  if (HEADER_FIELD.test(texts[first]) || /^_{5,}$/.test(texts[first])) {
    const fields = new Set(texts.slice(first, first + 6).map((t) => HEADER_FIELD.exec(t)?.[1].toLowerCase()).filter(Boolean));
    if (fields.size < 2) return -1;
    // the block may open with a field talon does not take for a splitter (GMX: "Gesendet:" above "Von:")
    while (first > 1 && HEADER_FIELD.test(texts[first - 1])) first--;
  }
  if (first > 1 && ATTRIBUTION_LINE.test(texts[first - 1])) first--;
  return lines[first].start;
}

function trimText(text: string): TrimmedBody {
  if (!text.trim() || text.length > MAX_TRIM_CHARS) return { body: textToHtml(text), trimmed: null };
  const answers = answersBetweenQuotes(text);
  if (answers !== null) return { body: textToHtml(answers), trimmed: textToHtml(text) };
  let kept: string;
  try {
    kept = extractReply(text);
  } catch {
    return { body: textToHtml(text), trimmed: null };
  }
  let keptTrim = kept.trimEnd();
  if (!keptTrim.trim() || keptTrim.length >= text.trimEnd().length) return { body: textToHtml(text), trimmed: null };
  // talon keeps an attribution it does not know ("Jane via Support wrote:") above the quote it cut
  const lastBreak = keptTrim.lastIndexOf('\n');
  if (lastBreak > 0 && ATTRIBUTION_LINE.test(keptTrim.slice(lastBreak + 1).trim()) && keptTrim.slice(0, lastBreak).trim()) {
    keptTrim = keptTrim.slice(0, lastBreak).trimEnd();
  }
  const rest = text.startsWith(keptTrim) ? text.slice(keptTrim.length) : null;
  return { body: textToHtml(keptTrim), trimmed: rest && rest.trim() ? textToHtml(rest.replace(/^\s*\n/, '')) : null };
}

/** an element that holds a quote whole: a cited blockquote, Gmail's, Yahoo's or Proton's quote container, or any blockquote */
const QUOTE_BLOCK = /<(blockquote|div)\b[^>]*>/gi;
const MARKED_QUOTE = /\btype=["']?cite\b|\bclass=["']?[^"'>]*\b(gmail_quote|yahoo_quoted|protonmail_quote)\b/i;

/**
 * An HTML reply written below a quote or between quotes (a bottom post, an inline answer): the HTML without its quote
 * blocks and the attributions that introduce them. A block counts as a quote when its client marked it so, or when it
 * is a blockquote right after an "On … wrote:" line. null when no visible text follows a quote (a top post: the
 * marker rules below cut it) or there is no quote.
 */
function answersAroundQuoteBlocks(html: string): string | null {
  if (!/<blockquote\b|gmail_quote|yahoo_quoted|protonmail_quote/i.test(html) || html.length > 4 * MAX_TRIM_CHARS) return null;
  const blocks: { start: number; end: number }[] = [];
  QUOTE_BLOCK.lastIndex = 0;
  for (let m = QUOTE_BLOCK.exec(html); m; m = QUOTE_BLOCK.exec(html)) {
    const tag = m[1].toLowerCase();
    const marked = MARKED_QUOTE.test(m[0]);
    if (!marked && tag !== 'blockquote') continue;
    const before = html.slice(Math.max(blocks.at(-1)?.end ?? 0, m.index - 800), m.index);
    const attribution = lastMatch(ATTRIBUTION, before);
    // an attribution's text holds no tag: what follows it up to the blockquote must show nothing
    if (!marked && (attribution === undefined || visibleText(before.slice(attribution).replace(/^[^<]*/, '')))) continue;
    let start = m.index;
    if (attribution !== undefined) {
      const tagStart = before.lastIndexOf('<', attribution);
      start = m.index - before.length + (tagStart === -1 ? attribution : tagStart);
    }
    const end = elementEnd(html, m.index, tag);
    blocks.push({ start, end });
    QUOTE_BLOCK.lastIndex = end;
  }
  if (blocks.length === 0 || !visibleText(html.slice(blocks[blocks.length - 1].end))) return null;
  let body = '';
  let at = 0;
  for (const block of blocks) {
    body += html.slice(at, block.start);
    at = block.end;
  }
  body += html.slice(at);
  return visibleText(body) ? body : null;
}

/** the offset just past the tag that closes the `tag` element opening at `start` (nesting counted); the end when none */
function elementEnd(html: string, start: number, tag: string): number {
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'gi');
  re.lastIndex = start;
  let depth = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return m.index + m[0].length;
  }
  return html.length;
}

const QUOTED_LINE = /^[ \t]*>/;

/**
 * A text answered between its quoted lines, or below them (talon keeps such a text whole, quote and footer included):
 * the sender's lines without the quoted ones and the "On … wrote:" lines that introduce them. As talon does, `>` lines
 * are a quote only under such an introduction or three of them. null when the text is not of that shape.
 */
function answersBetweenQuotes(text: string): string | null {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1000) return null;
  const quoted = lines.map((line) => QUOTED_LINE.test(line));
  const nextNonEmpty = (i: number) => {
    while (i < lines.length && !lines[i].trim()) i++;
    return i;
  };
  // an introduction: an attribution or splitter line whose next non-empty line is quoted (or the end)
  const intro = lines.map((line, i) => {
    if (quoted[i] || !line.trim() || line.length > 300) return false;
    const next = nextNonEmpty(i + 1);
    if (next < lines.length && !quoted[next]) return false;
    return ATTRIBUTION_LINE.test(line.trim()) || splitterAt(line.trim()) !== null;
  });
  const firstQuote = quoted.indexOf(true);
  if (firstQuote === -1) return null;
  if (!intro.includes(true) && quoted.filter(Boolean).length < 3) return null;
  const answerAfterQuote = lines.some((line, i) => i > firstQuote && line.trim() && !quoted[i] && !intro[i]);
  if (!answerAfterQuote) return null;
  const kept = lines.filter((_line, i) => !quoted[i] && !intro[i]).join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return kept || null;
}

function lastMatch(re: RegExp, text: string): number | undefined {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  let found: number | undefined;
  for (const m of text.matchAll(global)) found = m.index + m[1].length;
  return found;
}

function visibleText(html: string): string {
  return collapseSpaces(html.replace(/<style[\s\S]*?<\/style>|<head[\s\S]*?<\/head>/gi, '').replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ')).trim();
}
