// Fastboot response packets: a 4-byte ASCII code and up to 60 bytes of text (AOSP
// system/core/fastboot/README.md, "Client/Device interaction").

/** Both commands and responses are at most 64 bytes on the wire. */
export const MAX_PACKET_SIZE = 64;

export type ResponseCode = 'OKAY' | 'FAIL' | 'DATA' | 'INFO' | 'TEXT';

export interface ResponsePacket {
  readonly code: ResponseCode;
  /**
   * The payload exactly as the device sent it, one character per byte (latin1): a grammar check
   * must see the real bytes, so nothing is escaped here. Show it only through `printable`.
   */
  readonly text: string;
}

const CODES: ReadonlySet<string> = new Set<ResponseCode>(['OKAY', 'FAIL', 'DATA', 'INFO', 'TEXT']);

/** Parses one packet, or returns what is wrong with it in words (already escaped) for a protocol error. */
export function parseResponse(packet: Uint8Array): ResponsePacket | { readonly problem: string } {
  if (packet.length > MAX_PACKET_SIZE) {
    return { problem: `sent a ${packet.length}-byte response (fastboot responses are at most ${MAX_PACKET_SIZE} bytes): ${printable(packet.subarray(0, 24))}…` };
  }
  if (packet.length < 4) return { problem: `sent a ${packet.length}-byte response, too short to hold a response code: '${printable(packet)}'` };
  const code = rawText(packet.subarray(0, 4));
  if (!CODES.has(code)) return { problem: `sent an unknown response code '${printable(code)}' (expected OKAY, FAIL, DATA, INFO or TEXT)` };
  return { code: code as ResponseCode, text: rawText(packet.subarray(4)) };
}

/** Bytes as a string of one character per byte: lossless, so the raw value can be judged and compared. */
export function rawText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A device's answer as the text it means: its UTF-8 decoded when the bytes are valid UTF-8 (as the
 * USB serial descriptor already is), so a serial reads the same over fastboot and on USB and is
 * escaped once, as `\u202E`, wherever it is shown; otherwise the raw text unchanged, byte for byte.
 */
export function deviceText(raw: string): string {
  try {
    return UTF8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return raw;
  }
}

/**
 * Device text is hostile: escaping control and non-ASCII bytes (and the backslash, so an escape
 * always means one) where text is shown means no terminal escape, NUL or line break from a device
 * reaches a log, a terminal or the UI. Takes the bytes, or their raw text (`rawText`).
 */
export function printable(data: Uint8Array | string): string {
  let text = '';
  for (let at = 0; at < data.length; at++) {
    const code = typeof data === 'string' ? data.charCodeAt(at) : (data[at] as number);
    if (code >= 0x20 && code < 0x7f && code !== 0x5c) text += String.fromCharCode(code);
    else text += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return text;
}
