import { describe, expect, it } from 'vitest';
import { looksLikeMail } from '../../lib/ingress/http-relay.controller.js';
import { readCorpusMail, readManifest } from '../support/corpus.js';

describe('the HTTP relay\'s "is this a mail" check', () => {
  it('accepts every mail of the corpus (the gateway takes them all), byte-order marks and all-space first lines included', () => {
    const refused = readManifest().filter((entry) => !looksLikeMail(readCorpusMail(entry))).map((entry) => entry.path);
    expect(refused).toEqual([]);
  });

  it('refuses what has no header block', () => {
    for (const body of ['', 'hello world', '\r\n\r\njust text', '<html><body>hi</body></html>', '   \r\n: no name']) {
      expect(looksLikeMail(Buffer.from(body)), JSON.stringify(body)).toBe(false);
    }
    expect(looksLikeMail(Buffer.from('\xEF\xBB\xBFFrom: a@b.test\r\n\r\nx', 'latin1'))).toBe(true);
    expect(looksLikeMail(Buffer.from('   \r\nSubject: hi\r\n\r\nx'))).toBe(true);
  });
});
