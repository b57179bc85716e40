import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PrefixDigester } from '../../../src/main/bundle/prefix-digest.ts';

describe('PrefixDigester', () => {
  it('records the SHA-256 of every block-aligned prefix, however the bytes are chunked', () => {
    const data = randomBytes(10 * 1024 + 17);
    const blockSize = 1024;
    for (const chunk of [1, 7, 1000, 1024, 4096, data.length]) {
      const digester = new PrefixDigester(blockSize);
      for (let at = 0; at < data.length; at += chunk) digester.update(data.subarray(at, at + chunk));
      const result = digester.finish();
      expect(result.size).toBe(data.length);
      expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(result.checkpoints).toHaveLength(10);
      result.checkpoints.forEach((checkpoint, index) => {
        expect(checkpoint.toString('hex')).toBe(createHash('sha256').update(data.subarray(0, (index + 1) * blockSize)).digest('hex'));
      });
    }
  });
});
