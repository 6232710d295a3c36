import { Parser } from 'htmlparser2';
import { naughtyHref } from 'launder';
import sanitizeHtml from 'sanitize-html';

/** what every link is given: it opens apart from the page, and passes it no referrer or ranking */
const LINK_ATTRIBUTES = { rel: 'noopener noreferrer nofollow', target: '_blank' };

/**
 * What a stored body may contain: formatting, links, images (http(s), cid: and data: images only), tables.
 * No scripts, no event handlers, no styles that could escape the message's box.
 */
export const BODY_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'div', 'span', 'b', 'strong', 'i', 'em', 'u', 's', 'sub', 'sup', 'small', 'big', 'mark',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'hr',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'font', 'center',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'colgroup', 'col',
  ],
  allowedAttributes: {
    // data-oe-*: a mention link to a partner (see mentions.ts), kept so that it can be shown as one
    a: ['href', 'title', 'name', 'target', 'rel', 'data-oe-model', 'data-oe-id'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    td: ['colspan', 'rowspan', 'align', 'valign'],
    th: ['colspan', 'rowspan', 'align', 'valign'],
    table: ['border', 'cellpadding', 'cellspacing', 'width'],
    font: ['color'],
    '*': ['class', 'dir', 'data-o-mail-quote'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', LINK_ATTRIBUTES),
  },
  exclusiveFilter: (frame) => isForeignDataImage(frame.tag, frame.attribs),
};

/** an `img` whose `data:` URL is not an image of a common type: dropped, tag and all */
function isForeignDataImage(tag: string, attribs: Record<string, string>): boolean {
  return tag === 'img' && /^data:/i.test(attribs.src ?? '') && !/^data:image\/(png|gif|jpe?g|webp);/i.test(attribs.src ?? '');
}

// sanitize-html's own defaults for what BODY_HTML leaves to them
const DEFAULTS = sanitizeHtml.defaults as typeof sanitizeHtml.defaults & { nonBooleanAttributes: string[]; allowedEmptyAttributes: string[] };
const ALLOWED_TAGS = new Set(BODY_HTML.allowedTags as string[]);
const TAG_ATTRIBUTES = new Map(Object.entries(BODY_HTML.allowedAttributes as Record<string, string[]>).map(([tag, names]) => [tag, new Set(names)]));
const ANY_TAG_ATTRIBUTES = TAG_ATTRIBUTES.get('*')!;
const SELF_CLOSING = new Set(DEFAULTS.selfClosing);
const SCHEME_CHECKED = new Set(DEFAULTS.allowedSchemesAppliedToAttributes);
const NON_BOOLEAN = new Set(DEFAULTS.nonBooleanAttributes);
const ANY_NON_BOOLEAN = NON_BOOLEAN.has('*');
const EMPTY_ALLOWED = new Set(DEFAULTS.allowedEmptyAttributes);
/** elements whose text goes with them when they are dropped (sanitize-html's `nonTextTags`) */
const TEXT_DROPPED = new Set(['script', 'style', 'textarea', 'option', 'xmp']);
const VALID_ATTRIBUTE_NAME = /^[^\0\t\n\f\r /<=>]+$/;

interface Frame {
  tag: string;
  attribs: Record<string, string>;
  /** where its opening tag starts in the output */
  at: number;
  /** dropped (its text kept) */
  dropped: boolean;
}

class Unsupported extends Error {}

/**
 * `sanitizeHtml(html, BODY_HTML)`, the same output (checked against it over the corpus and adversarial markup in
 * `test/core/body-sanitizer.test.ts`), without its generality: sanitize-html builds its option tables on every call and
 * a frame with two closures per element, and was ~40 µs of a mail's ~300 µs parse (twice that with the collections it
 * caused). Same tokenizer (htmlparser2, entities decoded), same rules for this option set: allowed tags and
 * attributes, the schemes of URL attributes (sanitize-html's own check), the link rewrite, dropped elements whose text
 * is kept or, for raw-text ones, dropped too. An `iframe`'s text (which sanitize-html sanitizes again as markup) goes
 * to sanitize-html itself.
 */
export function sanitizeBodyHtml(html: string): string {
  try {
    return sanitizeDirect(html);
  } catch (error) {
    if (error instanceof Unsupported) return sanitizeHtml(html, BODY_HTML);
    throw error;
  }
}

function sanitizeDirect(html: string): string {
  let out = '';
  const stack: Frame[] = [];
  let textDropDepth = 0;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (textDropDepth) {
          textDropDepth++;
          return;
        }
        const frame: Frame = { tag: name, attribs, at: out.length, dropped: false };
        stack.push(frame);
        if (name === 'iframe') throw new Unsupported();
        if (name === 'a') Object.assign(attribs, LINK_ATTRIBUTES);
        if (!ALLOWED_TAGS.has(name)) {
          frame.dropped = true;
          if (TEXT_DROPPED.has(name)) textDropDepth = 1;
          return;
        }
        out += `<${name}${attributes(name, attribs)}${SELF_CLOSING.has(name) ? ' />' : '>'}`;
      },
      ontext(text) {
        if (!textDropDepth) out += escapeHtml(text, false);
      },
      onclosetag(name) {
        if (textDropDepth && --textDropDepth) return;
        const frame = stack.pop();
        if (!frame) return;
        if (frame.tag !== name) {
          // bad markup: the frame waits for its own closing tag
          stack.push(frame);
          return;
        }
        if (frame.dropped) return;
        if (isForeignDataImage(frame.tag, frame.attribs)) {
          out = out.slice(0, frame.at);
          return;
        }
        if (!SELF_CLOSING.has(name)) out += `</${name}>`;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out;
}

/** the attributes kept, serialized; the others are deleted from `attribs` (the image filter reads what is left) */
function attributes(tag: string, attribs: Record<string, string>): string {
  let out = '';
  const own = TAG_ATTRIBUTES.get(tag);
  for (const name of Object.keys(attribs)) {
    const value = attribs[name];
    const keep =
      VALID_ATTRIBUTE_NAME.test(name) &&
      !(value === '' && !EMPTY_ALLOWED.has(name) && (ANY_NON_BOOLEAN || NON_BOOLEAN.has(name))) &&
      (own?.has(name) || ANY_TAG_ATTRIBUTES.has(name)) &&
      !(SCHEME_CHECKED.has(name) && isNaughty(tag, value)) &&
      !(name === 'class' && !value.length);
    if (!keep) {
      delete attribs[name];
      continue;
    }
    out += ` ${name}`;
    if (value.length) out += `="${escapeHtml(value, true)}"`;
    else if (EMPTY_ALLOWED.has(name)) out += '=""';
  }
  return out;
}

const SCHEMES_BY_TAG = BODY_HTML.allowedSchemesByTag as Record<string, string[]>;

function isNaughty(tag: string, href: string): boolean {
  const allowedSchemes = Object.hasOwn(SCHEMES_BY_TAG, tag) ? SCHEMES_BY_TAG[tag] : (BODY_HTML.allowedSchemes as string[]);
  return naughtyHref(href, { allowedSchemes, allowProtocolRelative: BODY_HTML.allowProtocolRelative });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function escapeHtml(text: string, quote: boolean): string {
  return text.replace(quote ? /[&<>"]/g : /[&<>]/g, (c) => ESCAPES[c]);
}
