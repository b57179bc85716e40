// How much one `download:` may carry. The device says so in `getvar:max-download-size`; a device
// that says nothing, zero, or something absurd must not make the station send nonsense.
import { printable } from './response.ts';

/** Used when the device does not report the variable: small enough for any bootloader in the field. */
export const DEFAULT_MAX_DOWNLOAD_SIZE = 256 * 1024 * 1024;
/** Larger claims are clamped: longer downloads gain nothing and make a stall cost more. */
export const MAX_DOWNLOAD_SIZE_CAP = 1024 * 1024 * 1024;
/** Smaller claims are refused: a sparse piece needs its headers plus at least one 4 KiB block. */
export const MIN_DOWNLOAD_SIZE = 64 * 1024;
/** `download:%08x` cannot express more. */
export const PROTOCOL_MAX_DOWNLOAD = 0xffffffff;

/**
 * The usable download size from the variable's raw text (hex `0x…` or decimal), or why it is
 * unusable, in words that follow the device's own text (escaped).
 */
export function parseMaxDownloadSize(text: string): { readonly bytes: number } | { readonly problem: string } {
  const value = /^0x[0-9a-f]{1,16}$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^[0-9]{1,20}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) {
    // Every bootloader answers this variable with a number or a FAIL. Anything else, an empty OKAY
    // above all, is most likely a late or extra answer to an earlier command read as this one's.
    return {
      problem:
        `answered ${text === '' ? 'an empty OKAY' : `'${printable(text)}'`} where a size was due. A bootloader that knows the variable answers ` +
        "a number, so its answers are probably out of step with the station's commands (a late or repeated answer to an earlier command)",
    };
  }
  if (value < MIN_DOWNLOAD_SIZE) return { problem: `reports max-download-size ${value} bytes, below the ${MIN_DOWNLOAD_SIZE} bytes any flash needs` };
  if (value > PROTOCOL_MAX_DOWNLOAD) return { problem: `reports max-download-size ${text}, more than download:%08x can ever request` };
  return { bytes: Math.min(value, MAX_DOWNLOAD_SIZE_CAP) };
}
