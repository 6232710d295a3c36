import planer from 'planer';
import { textToHtml } from '../thread/html.js';

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
  /<div[^>]*class=["']?[^"'>]*\b(OutlookMessageHeader|protonmail_quote|zmail_extra|x_gmail_quote)\b/i,
  /<div[^>]*style=["'][^"']*border-top:\s*solid\s+#(B5C4DF|E1E1E1)[^"']*["']/i,
  /-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{3,}/i,
];
/** the attribution line just before a quote: "On … wrote:", and its translations */
const ATTRIBUTION = /(^|>)\s*((On|Le|Am|El|Il|Op|Em|Dnia|W dniu|Den|På)\s[^<]{4,300}?(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|napisał|skrev)\s*:?)\s*(<|$)/i;

/** Trims quoted history from an HTML body; plain text goes through `planer` (a port of Mailgun's talon). */
export function trimQuotes(input: { html?: string; text?: string }): TrimmedBody {
  if (input.html) return trimHtml(input.html);
  return trimText(input.text ?? '');
}

function trimHtml(html: string): TrimmedBody {
  let cut = -1;
  for (const re of HTML_QUOTE_STARTS) {
    const m = re.exec(html);
    if (m && (cut === -1 || m.index < cut)) cut = m.index;
  }
  if (cut <= 0) return { body: html, trimmed: null };
  // pull the "On … wrote:" line that introduces the quote into the trimmed part
  const before = html.slice(Math.max(0, cut - 800), cut);
  const attribution = lastMatch(ATTRIBUTION, before);
  if (attribution !== undefined) {
    const tagStart = before.lastIndexOf('<', attribution);
    cut = Math.max(0, cut - before.length + (tagStart === -1 ? attribution : tagStart));
  }
  const body = html.slice(0, cut);
  if (!visibleText(body)) return { body: html, trimmed: null };
  return { body, trimmed: html.slice(cut) };
}

/** very long texts are not trimmed: the quote detector is line-based and a megabyte of list digest is not a reply */
const MAX_TRIM_CHARS = 256 * 1024;

function trimText(text: string): TrimmedBody {
  if (!text.trim() || text.length > MAX_TRIM_CHARS) return { body: textToHtml(text), trimmed: null };
  let kept: string;
  try {
    kept = planer.extractFromPlain(text);
  } catch {
    return { body: textToHtml(text), trimmed: null };
  }
  const keptTrim = kept.trimEnd();
  if (!keptTrim.trim() || keptTrim.length >= text.trimEnd().length) return { body: textToHtml(text), trimmed: null };
  const rest = text.startsWith(keptTrim) ? text.slice(keptTrim.length) : null;
  return { body: textToHtml(keptTrim), trimmed: rest && rest.trim() ? textToHtml(rest.replace(/^\s*\n/, '')) : null };
}

function lastMatch(re: RegExp, text: string): number | undefined {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  let found: number | undefined;
  for (const m of text.matchAll(global)) found = m.index + m[1].length;
  return found;
}

function visibleText(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>|<head[\s\S]*?<\/head>/gi, '').replace(/<[^>]*>/g, '').replace(/&nbsp;|\s+/g, ' ').trim();
}
