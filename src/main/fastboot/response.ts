// Fastboot response packets: a 4-byte ASCII code and up to 60 bytes of text (AOSP
// system/core/fastboot/README.md, "Client/Device interaction").

/** Both commands and responses are at most 64 bytes on the wire. */
export const MAX_PACKET_SIZE = 64;

export type ResponseCode = 'OKAY' | 'FAIL' | 'DATA' | 'INFO' | 'TEXT';

export interface ResponsePacket {
  readonly code: ResponseCode;
  /** The payload with every byte outside printable ASCII escaped as `\xNN`. */
  readonly text: string;
}

const CODES: ReadonlySet<string> = new Set<ResponseCode>(['OKAY', 'FAIL', 'DATA', 'INFO', 'TEXT']);

/** Parses one packet, or returns what is wrong with it in words for a protocol error. */
export function parseResponse(packet: Uint8Array): ResponsePacket | { readonly problem: string } {
  if (packet.length > MAX_PACKET_SIZE) {
    return { problem: `sent a ${packet.length}-byte response (fastboot responses are at most ${MAX_PACKET_SIZE} bytes): ${printable(packet.subarray(0, 24))}…` };
  }
  if (packet.length < 4) return { problem: `sent a ${packet.length}-byte response, too short to hold a response code: '${printable(packet)}'` };
  const code = String.fromCharCode(...packet.subarray(0, 4));
  if (!CODES.has(code)) return { problem: `sent an unknown response code '${printable(packet.subarray(0, 4))}' (expected OKAY, FAIL, DATA, INFO or TEXT)` };
  return { code: code as ResponseCode, text: printable(packet.subarray(4)) };
}

/**
 * Device text is hostile until proven otherwise: escaping control and non-ASCII bytes here means
 * no terminal escape, NUL or line break from a device reaches a log, a terminal or the UI.
 */
export function printable(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}
