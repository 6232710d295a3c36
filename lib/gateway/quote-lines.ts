import planer from 'planer';
import REGEXES from 'planer/lib/regexes.js';

/**
 * talon's line rules, as `planer` ports them, with one change: a splitter ("On … wrote:", "From: …", "-----Original
 * Message-----") counts only where it starts a line, and planer searches each line's next four lines for one
 * anywhere before checking where it starts — most of a parse's quote-trimming time. Here each pattern is tried at
 * the start only (sticky), which gives the same marks.
 */
const SPLITTERS = REGEXES.SPLITTER_PATTERNS.map((re) => new RegExp(re.source, `${re.flags.replace(/[gy]/g, '')}y`));
/** lines a splitter may span */
const SPLITTER_MAX_LINES = 4;
/** planer's limits: longer blocks are never splitters; a text is split into at most this many lines */
const MAX_LINE_LENGTH = 200_000;
const MAX_LINES = 1000;

/** one mark per line: e empty, m `>` quote, f forward, s splitter, t text (planer's `markMessageLines`) */
export function markLines(lines: string[]): string {
  const marks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') marks[i] = 'e';
    else if (REGEXES.QUOT_PATTERN.test(line)) marks[i] = 'm';
    else if (REGEXES.FWD.test(line)) marks[i] = 'f';
    else {
      const splitter = splitterAt(lines.slice(i, i + SPLITTER_MAX_LINES).join('\n'));
      if (!splitter) {
        marks[i] = 't';
        continue;
      }
      // planer marks one line past the splitter's own (and the loop then skips it): kept, so the marks are the same
      const spans = splitter.split('\n').length;
      for (let j = 0; j <= spans; j++) marks[i + j] = 's';
      i += spans - 1;
    }
  }
  return marks.join('');
}

/** the splitter ("On … wrote:", "From: …", "-----Original Message-----") that starts `block`, if one does */
export function splitterAt(block: string): string | null {
  if (block.length > MAX_LINE_LENGTH) return null;
  for (const re of SPLITTERS) {
    re.lastIndex = 0;
    const m = re.exec(block);
    if (m) return m[0];
  }
  return null;
}

/** planer's `extractFromPlain` on `markLines`: the text without its quoted history (as much as talon cuts) */
export function extractReply(text: string): string {
  const delimiter = /\r?\n/.exec(text)?.[0] ?? '\n';
  const lines = preprocess(text, delimiter).split(delimiter, MAX_LINES);
  const kept = planer.processMarkedLines(lines, markLines(lines));
  return kept.join(delimiter).replace(REGEXES.NORMALIZED_LINK, '<$1>').trim();
}

/** planer's preprocessing: the first link out of the rules' way, and an "On … wrote:" inside a line onto its own */
function preprocess(text: string, delimiter: string): string {
  let out = text.replace(REGEXES.LINK, (all: string, url: string, at: number) => {
    const lineStart = text.lastIndexOf('\n', at);
    return lineStart > 0 && text[lineStart + 1] === '>' ? all : `@@${url}@@`;
  });
  if (out.length < MAX_LINE_LENGTH) {
    const body = out;
    out = body.replace(REGEXES.ON_DATE_SMB_WROTE, (...args: unknown[]) => {
      const all = args[0] as string;
      const at = args[args.length - 2] as number;
      return at && body[at - 1] !== '\n' ? `${delimiter}${all}` : all;
    });
  }
  return out;
}
