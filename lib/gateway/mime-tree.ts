/**
 * A light walk over a mail's MIME structure, on the raw text (latin1, so bytes survive). mailparser folds
 * `message/delivery-status` into the body text and hides the structure a bounce is recognised by; this keeps it:
 * content types, parameters, the DSN part, the enclosed original message. Depth and part counts are bounded
 * (adversarial mails nest thousands of levels).
 */
export interface MimeNode {
  /** unfolded headers, keys lower-cased, in order */
  headers: [string, string][];
  /** `type/subtype`, lower-cased; `text/plain` when missing */
  type: string;
  params: Record<string, string>;
  /** the raw body of a leaf (undecoded); '' for multiparts */
  body: string;
  children: MimeNode[];
}

const MAX_DEPTH = 12;
const MAX_PARTS = 400;

export function parseMimeTree(raw: string): MimeNode {
  const budget = { parts: 0 };
  return parseNode(raw, 0, budget);
}

export function header(node: MimeNode, name: string): string | undefined {
  return node.headers.find(([k]) => k === name)?.[1];
}

export function headersNamed(node: MimeNode, name: string): string[] {
  return node.headers.filter(([k]) => k === name).map(([, v]) => v);
}

/** depth-first walk */
export function* walk(node: MimeNode): Generator<MimeNode> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

export function parseHeaderLines(block: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) continue;
    out.push([key, line.slice(i + 1).trim()]);
  }
  return out;
}

export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [head, ...rest] = value.split(';');
  const type = head.trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  for (const m of (';' + rest.join(';')).matchAll(/;\s*([\w.*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g)) {
    const v = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
    params[m[1].toLowerCase()] = v;
  }
  return { type: type.includes('/') ? type : `${type}/plain`, params };
}

/** decodes a leaf body's Content-Transfer-Encoding into latin1 text */
export function decodedBody(node: MimeNode): string {
  const cte = (header(node, 'content-transfer-encoding') ?? '').toLowerCase().trim();
  if (cte === 'base64') return Buffer.from(node.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable') {
    return node.body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return node.body;
}

function parseNode(raw: string, depth: number, budget: { parts: number }): MimeNode {
  budget.parts++;
  const split = /\r?\n\r?\n/.exec(raw);
  // a part that starts with a blank line has no headers
  const headerText = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + split[0].length) : '';
  const headers = /^\r?\n/.test(raw) ? [] : parseHeaderLines(headerText);
  const bodyText = /^\r?\n/.test(raw) ? raw.replace(/^\r?\n/, '') : body;
  const ct = parseContentType(headers.find(([k]) => k === 'content-type')?.[1]);
  const node: MimeNode = { headers, type: ct.type, params: ct.params, body: '', children: [] };
  const canDescend = depth < MAX_DEPTH && budget.parts < MAX_PARTS;
  if (ct.type.startsWith('multipart/') && ct.params.boundary && canDescend) {
    for (const part of splitMultipart(bodyText, ct.params.boundary)) {
      if (budget.parts >= MAX_PARTS) break;
      node.children.push(parseNode(part, depth + 1, budget));
    }
    if (node.children.length === 0) node.body = bodyText;
  } else if ((ct.type === 'message/rfc822' || ct.type === 'message/global') && canDescend) {
    node.children.push(parseNode(decodeIfEncoded(headers, bodyText), depth + 1, budget));
  } else {
    node.body = bodyText;
  }
  return node;
}

function decodeIfEncoded(headers: [string, string][], body: string): string {
  const cte = (headers.find(([k]) => k === 'content-transfer-encoding')?.[1] ?? '').toLowerCase();
  return cte.includes('base64') ? Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1') : body;
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let pos = body.startsWith(delimiter) ? 0 : body.indexOf(`\n${delimiter}`);
  if (pos === -1) return parts;
  while (pos !== -1) {
    const lineStart = body[pos] === '\n' ? pos + 1 : pos;
    const after = lineStart + delimiter.length;
    if (body.startsWith('--', after)) break;
    const lineEnd = body.indexOf('\n', after);
    if (lineEnd === -1) break;
    const next = body.indexOf(`\n${delimiter}`, lineEnd);
    const end = next === -1 ? body.length : next;
    parts.push(body.slice(lineEnd + 1, end > 0 && body[end - 1] === '\r' ? end - 1 : end));
    pos = next;
  }
  return parts;
}
