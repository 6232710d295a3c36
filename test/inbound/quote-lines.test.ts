import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import planer from 'planer';
import { htmlLines } from '../../lib/gateway/html-lines.js';
import { extractReply, markLines } from '../../lib/gateway/quote-lines.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

/** every corpus mail's text part and the visible lines of its HTML part (what quote trimming runs on) */
async function corpusTexts(): Promise<{ texts: string[]; htmlLineSets: string[][] }> {
  const texts: string[] = [];
  const htmlLineSets: string[][] = [];
  for (const entry of readManifest()) {
    const parsed = await simpleParser(readCorpusMail(entry), { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    if (parsed.text?.trim() && parsed.text.length < 256 * 1024) texts.push(parsed.text);
    if (typeof parsed.html === 'string' && parsed.html.length < 1024 * 1024) htmlLineSets.push(htmlLines(parsed.html).map((l) => l.text));
  }
  return { texts, htmlLineSets };
}

describe("talon's line rules, tried only where a splitter counts", () => {
  it('mark every line of every corpus mail as planer does, and cut the same plain-text replies', async () => {
    const { texts, htmlLineSets } = await corpusTexts();
    expect(texts.length).toBeGreaterThan(500);
    expect(htmlLineSets.length).toBeGreaterThan(100);
    for (const lines of [...htmlLineSets, ...texts.map((t) => t.split('\n'))]) {
      expect(markLines(lines)).toBe(planer.markMessageLines(lines));
    }
    let cut = 0;
    for (const text of texts) {
      const ours = extractReply(text);
      expect(ours).toBe(planer.extractFromPlain(text));
      if (ours.length < text.trim().length) cut++;
    }
    // the comparison covered mails with quotes, not only mails where nothing is cut
    expect(cut).toBeGreaterThan(50);
  });

  it('mark a splitter that spans lines, and one at the very end, as planer does', () => {
    const cases = [
      ['Thanks!', '', 'On Mon, Jan 5, 2026 at 10:00 AM, Jane Doe <jane@example.test>', 'wrote:', '> hello'],
      ['Fine.', '-----Original Message-----'],
      ['Yes', 'From: Jane <jane@example.test>', 'Sent: Monday', 'To: Bob', 'Subject: x', '', 'old text'],
      ['see <https://example.test/a> and', 'Le 5 janv. 2026 à 10:00, Jane a écrit :', '> bonjour'],
    ];
    for (const lines of cases) expect(markLines(lines)).toBe(planer.markMessageLines(lines));
    for (const lines of cases) expect(extractReply(lines.join('\n'))).toBe(planer.extractFromPlain(lines.join('\n')));
  });
});
