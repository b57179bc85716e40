import { FASTBOOT_PACKET_LIMIT } from './platform.ts';

export type ResponseCode = 'OKAY' | 'FAIL' | 'INFO' | 'TEXT' | 'DATA';

const encoder = new TextEncoder();
const TEXT_LIMIT = FASTBOOT_PACKET_LIMIT - 4;

/**
 * One response packet. Like a bootloader writing into its fixed 64-byte response buffer, the text
 * is cut at the packet limit by bytes, even inside a multi-byte character: a hostile identity
 * string reaches the host exactly as a real device would send it.
 */
export function responsePacket(code: ResponseCode, text = ''): Uint8Array {
  // A character at index i starts at byte i or later, so the first 61 UTF-16 units (one extra to
  // keep a surrogate pair whole) cover the 60 bytes that fit; the rest of a long string is never encoded.
  const body = encoder.encode(text.slice(0, TEXT_LIMIT + 1)).subarray(0, TEXT_LIMIT);
  const packet = new Uint8Array(4 + body.length);
  packet.set(encoder.encode(code), 0);
  packet.set(body, 4);
  return packet;
}
