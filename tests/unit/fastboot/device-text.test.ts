// A getvar answer becomes text once: valid UTF-8 decoded (so a serial reads as the USB descriptor
// spells it and is escaped once, as \u202E), anything else kept byte for byte.
import { describe, expect, it } from 'vitest';
import { deviceText, rawText } from '../../../src/main/fastboot/response.ts';
import { displaySafe } from '../../../src/shared/untrusted.ts';

describe('deviceText', () => {
  it('decodes valid UTF-8 answers and keeps invalid ones as their raw bytes', () => {
    const override = rawText(new TextEncoder().encode('LS\u202EX9'));
    expect(override).toBe('LS\u00E2\u0080\u00AEX9');
    expect(deviceText(override)).toBe('LS\u202EX9');
    expect(displaySafe(deviceText(override))).toBe('LS\\u202EX9');
    expect(deviceText(rawText(new TextEncoder().encode('序列号')))).toBe('序列号');
    const invalid = rawText(Uint8Array.of(0x4c, 0xff, 0xc3));
    expect(deviceText(invalid)).toBe(invalid);
    expect(deviceText('LS7A3100')).toBe('LS7A3100');
  });
});
