import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKER = join(dirname(fileURLToPath(import.meta.url)), 'mime-check.py');

/** What Python's `email` package (policy.default) makes of one mail: see mime-check.py. */
export interface MimeReading {
  defects: string[];
  /** content types in walk order, e.g. multipart/alternative, text/plain, text/html */
  structure: string[];
  /** the text/plain body a text-mode client shows; null when there is none */
  text: string | null;
  html: string | null;
  attachments: (string | null)[];
}

/** Reads `raws` with Python's strict parser (one process for all of them). */
export async function readMime(raws: (Buffer | string)[]): Promise<MimeReading[]> {
  if (raws.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'chatter-mime-'));
  try {
    const paths = raws.map((raw, i) => {
      const path = join(dir, `${i}.eml`);
      writeFileSync(path, raw);
      return path;
    });
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile('python3', [CHECKER], { maxBuffer: 1 << 30 }, (error, stdout, stderr) =>
        error ? reject(new Error(`mime-check.py failed (python3 with its standard library is needed): ${error.message}\n${stderr}`)) : resolve(stdout),
      );
      child.stdin!.end(paths.join('\n'));
    });
    return JSON.parse(out) as MimeReading[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads `raws` and throws, listing every defect with the mail's subject, unless all of them are clean. */
export async function assertConformingMime(raws: (Buffer | string)[], where: string): Promise<MimeReading[]> {
  const readings = await readMime(raws);
  const bad = readings
    .map((r, i) => ({ r, i, subject: /^subject:\s*(.*)$/im.exec(raws[i].toString().split(/\r?\n\r?\n/)[0])?.[1] ?? '(no subject)' }))
    .filter(({ r }) => r.defects.length > 0);
  if (bad.length) {
    // kept for whoever reads the failure: the folder is named in the error
    const kept = mkdtempSync(join(tmpdir(), 'chatter-mime-defects-'));
    bad.forEach(({ i }) => writeFileSync(join(kept, `${i}.eml`), raws[i]));
    const lines = bad.slice(0, 10).map(({ r, subject, i }) => `  ${i}.eml "${subject}": ${r.defects.join('; ')}`);
    throw new Error(`${bad.length} of ${raws.length} mails received by ${where} are not conforming MIME (kept in ${kept}):\n${lines.join('\n')}`);
  }
  return readings;
}

/** The same for every `.eml` file an `EmlDirectoryTransport` wrote into `directory` (none is fine). */
export async function assertConformingEmlDirectory(directory: string, where: string): Promise<void> {
  const files = existsSync(directory) ? readdirSync(directory).filter((f) => f.endsWith('.eml')) : [];
  await assertConformingMime(files.map((f) => readFileSync(join(directory, f))), where);
}
