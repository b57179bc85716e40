// The pure parts of labels: the printer address grammar, the QR payload encoding, text made inert
// and fitted with a visible `...`.
import { describe, expect, it } from 'vitest';
import { formatPrinterAddress, parsePrinterAddress } from '../../../src/shared/labels.ts';
import { labelText, matrixPayload } from '../../../src/main/labels/content.ts';
import { fitText } from '../../../src/main/labels/fit.ts';

describe('printer addresses', () => {
  it.each([
    ['tcp://10.4.0.21:9100', { kind: 'tcp', host: '10.4.0.21', port: 9100 }],
    ['tcp://zebra-3.depot.example:6101', { kind: 'tcp', host: 'zebra-3.depot.example', port: 6101 }],
    ['tcp://[fe80::1]:9100', { kind: 'tcp', host: 'fe80::1', port: 9100 }],
    ['cups:Zebra_ZT411-bay.2', { kind: 'cups', queue: 'Zebra_ZT411-bay.2' }],
    ['file:/var/lib/lockstep/out/{tag}.zpl', { kind: 'file', path: '/var/lib/lockstep/out/{tag}.zpl' }],
  ])('reads %s and writes it back the same', (text, address) => {
    expect(parsePrinterAddress(text)).toEqual(address);
    expect(formatPrinterAddress(address as never)).toBe(text);
  });

  it.each(['tcp://host', 'tcp://host:0', 'tcp://host:65536', 'tcp://ho st:9100', 'tcp://-x:9100', 'cups:', 'cups:a/b', 'cups:a b', 'file:', 'file:/tmp/a\nb', 'lpt1:', 'http://x:9100', `cups:${'q'.repeat(128)}`])(
    'refuses %j',
    (text) => expect(parsePrinterAddress(text)).toHaveProperty('problem'),
  );
});

describe('the QR payload', () => {
  it('separates fields with | and percent-encodes everything that could be mistaken for one', () => {
    expect(matrixPayload('LS-2026-000001', 'AB|C%D', '356938035643809', 'f'.repeat(64))).toBe(`LS1|LS-2026-000001|AB%7CC%25D|356938035643809|${'f'.repeat(16)}`);
    expect(matrixPayload('T-1', 'é\u202E', null, '0'.repeat(64))).toBe(`LS1|T-1|%C3%A9%E2%80%AE||${'0'.repeat(16)}`);
  });

  it('cuts a long value at a whole escape and marks the cut', () => {
    expect(matrixPayload('T-1', `${'A'.repeat(30)}é`, '1'.repeat(25), '0'.repeat(64))).toBe(`LS1|T-1|${'A'.repeat(30)}%E2%80%A6|${'1'.repeat(20)}%E2%80%A6|${'0'.repeat(16)}`);
  });
});

describe('label text', () => {
  it('shows controls, bidi overrides and non-ASCII as visible escapes', () => {
    expect(labelText('A\x1b[2J\u202Eé中')).toBe('A\\x1B[2J\\u202E\\u00E9\\u4E2D');
  });

  it('caps a megabyte before anything else looks at it', () => {
    expect(labelText('x'.repeat(1 << 20))).toMatch(/^x{96}\\u2026\[truncated 1048480 chars\]$/);
  });

  it('fits text into its width with a visible ... and never returns wider text', () => {
    const mono = (text: string, height: number): number => text.length * height;
    expect(fitText('ABCDEFGH', 80, 10, mono)).toBe('ABCDEFGH');
    expect(fitText('ABCDEFGHI', 80, 10, mono)).toBe('ABCDE...');
    expect(fitText('ABCDEFGHI', 30, 10, mono)).toBe('...');
    expect(fitText('ABCDEFGHI', 20, 10, mono)).toBe('');
  });
});
