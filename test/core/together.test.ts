import { describe, expect, it } from 'vitest';
import { together } from '../../lib/schema/native-query.js';

/**
 * `together` runs a batch's independent statements at once; a failure must surface only after the others have
 * settled, so that none of them is still running when the transaction rolls back.
 */
describe('together', () => {
  it('returns every result, in order', async () => {
    const slow = new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 20));
    expect(await together([slow, Promise.resolve(2)] as const)).toEqual(['slow', 2]);
  });

  it('throws the first failure, once the rest has finished', async () => {
    let finished = false;
    const slow = new Promise<void>((resolve) => setTimeout(() => {
      finished = true;
      resolve();
    }, 30));
    const failing = Promise.reject(new Error('unique violation'));
    const later = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('second')), 10));
    await expect(together([slow, failing, later])).rejects.toThrow('unique violation');
    expect(finished).toBe(true);
  });
});
