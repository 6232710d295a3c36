import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared real-world corpus (read-only): `shared/corpus` beside the repository, or CHATTER_CORPUS_DIR. */
export const CORPUS_DIR =
  process.env.CHATTER_CORPUS_DIR ??
  // from test/support (vitest) or dist/test/support (the bench)
  [join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus'), join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus')].find((d) =>
    existsSync(join(d, 'manifest.tsv')),
  ) ??
  join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

export interface CorpusEntry {
  path: string;
  source: string;
  category: string;
  facts: Record<string, string>;
  notes: string;
}

/** manifest.tsv, with the `expected` column split into facts (`key=value;key=value`, values may hold `;`) */
export function readManifest(dir = CORPUS_DIR): CorpusEntry[] {
  const lines = readFileSync(join(dir, 'manifest.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  return lines.map((line) => {
    const [path, source, category, expected, , notes] = line.split('\t');
    const facts: Record<string, string> = {};
    for (const m of (expected ?? '').matchAll(/(?:^|;)([A-Za-z_]+)=((?:(?!;[A-Za-z_]+=).)*)/g)) facts[m[1]] = m[2];
    return { path, source, category, facts, notes: notes ?? '' };
  });
}

export function readCorpusMail(entry: CorpusEntry, dir = CORPUS_DIR): Buffer {
  return readFileSync(join(dir, entry.path));
}

/** plain text of a stored body, whitespace collapsed, markdown emphasis ignored (sources state facts in Markdown) */
export function comparableText(text: string): string {
  return text
    .replace(/\\n/g, '\n')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/[*_#]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
