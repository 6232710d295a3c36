import { describe, expect, it } from 'vitest';
import { headerBlock, headerIndex, headerValues, normalizeRaw } from '../../lib/gateway/raw-mail.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

/**
 * `headerIndex` splits a header block once for every look-up of a parse; it must read each header exactly as
 * `headerValues` (a regular expression per name) does — on every real mail of the corpus, for every name they carry.
 */
describe('headerIndex', () => {
  it('gives every header of every corpus mail the values headerValues finds', () => {
    let checked = 0;
    for (const entry of readManifest()) {
      const block = headerBlock(normalizeRaw(readCorpusMail(entry)));
      const index = headerIndex(block);
      const names = new Set([...index.keys(), 'auto-submitted', 'x-autoreply', 'precedence', 'return-path', 'delivered-to', 'x-original-to', 'resent-to']);
      for (const name of names) {
        // names with characters a regular expression would read otherwise are not asked for by the parser
        if (!/^[a-z0-9-]+$/.test(name)) continue;
        expect(index.get(name) ?? [], `${entry.path}: ${name}`).toEqual(headerValues(block, name));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('reads folded, repeated and oddly spaced headers', () => {
    const block = headerBlock(Buffer.from('Received: a\r\n b\r\nX-Spam : yes\r\nreceived:  c \r\nSubject: x:y\r\n\r\nbody'));
    expect(headerIndex(block).get('received')).toEqual(['a b', 'c']);
    expect(headerIndex(block).get('x-spam')).toEqual(['yes']);
    expect(headerIndex(block).get('subject')).toEqual(['x:y']);
  });
});
