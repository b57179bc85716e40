// Fastboot over TCP as a byte stream seen from the middle (AOSP system/core/fastboot/tcp.cpp): a
// 4-byte handshake, then frames of an 8-byte big-endian length and that many bytes. The parser
// splits one direction of a connection into the handshake, whole packets (commands, responses) and
// download data, which passes through unparsed as raw bytes, its frame headers included, so a
// download of any size costs no buffering.

const HANDSHAKE_SIZE = 4;
export const FRAME_HEADER_SIZE = 8;
/** A command or response is at most 64 bytes; a longer packet is still parsed whole up to this size. */
export const MAX_PACKET_BYTES = 64 * 1024;

export type FramePiece =
  | { readonly kind: 'handshake'; readonly bytes: Buffer }
  /** One command or response packet: its payload, without the length header. */
  | { readonly kind: 'packet'; readonly payload: Buffer }
  /** Download data (or an over-long packet), exactly as it travelled: headers and payload bytes. */
  | { readonly kind: 'raw'; readonly bytes: Buffer };

export interface FrameParserOptions {
  /** Whether this direction starts with the 4-byte handshake (both do on a fresh connection). */
  readonly handshake?: boolean;
  /** Bytes of download data the receiver still expects: asked when a frame header arrives. Data frames pass as raw. */
  readonly awaitingData?: () => number;
  /** Told how many payload bytes of download data went past. */
  readonly onData?: (bytes: number) => void;
}

export class FrameParser {
  readonly #options: FrameParserOptions;
  #pending: Buffer = Buffer.alloc(0);
  #handshakeLeft: number;
  /** Payload bytes of the current raw frame still to pass through. */
  #rawLeft = 0;
  /** Whether the current raw frame is download data (counted with onData). */
  #rawIsData = false;

  constructor(options: FrameParserOptions = {}) {
    this.#options = options;
    this.#handshakeLeft = options.handshake === false ? 0 : HANDSHAKE_SIZE;
  }

  /** Every whole piece the bytes so far complete, in order. */
  push(chunk: Uint8Array): FramePiece[] {
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const pieces: FramePiece[] = [];
    for (;;) {
      if (this.#handshakeLeft > 0) {
        if (this.#pending.length < this.#handshakeLeft) return pieces;
        pieces.push({ kind: 'handshake', bytes: this.#take(this.#handshakeLeft) });
        this.#handshakeLeft = 0;
        continue;
      }
      if (this.#rawLeft > 0) {
        if (this.#pending.length === 0) return pieces;
        const bytes = this.#take(Math.min(this.#rawLeft, this.#pending.length));
        this.#rawLeft -= bytes.length;
        if (this.#rawIsData) this.#options.onData?.(bytes.length);
        pieces.push({ kind: 'raw', bytes });
        continue;
      }
      if (this.#pending.length < FRAME_HEADER_SIZE) return pieces;
      const length = this.#pending.readBigUInt64BE(0);
      const data = (this.#options.awaitingData?.() ?? 0) > 0;
      if (data || length > BigInt(MAX_PACKET_BYTES)) {
        if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`a frame of ${length} bytes`);
        this.#rawLeft = Number(length);
        this.#rawIsData = data;
        pieces.push({ kind: 'raw', bytes: this.#take(FRAME_HEADER_SIZE) });
        continue;
      }
      if (this.#pending.length < FRAME_HEADER_SIZE + Number(length)) return pieces;
      this.#take(FRAME_HEADER_SIZE);
      pieces.push({ kind: 'packet', payload: this.#take(Number(length)) });
    }
  }

  #take(count: number): Buffer {
    const taken = this.#pending.subarray(0, count);
    this.#pending = this.#pending.subarray(count);
    return taken;
  }
}

/** One packet as a frame: its 8-byte big-endian length, then the payload. */
export function frame(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload);
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([header, body]);
}

/** The announced size of a `DATA%08x` response, or null for any other packet. */
export function dataAnnounced(payload: Buffer): number | null {
  const text = payload.toString('latin1');
  return /^DATA[0-9a-fA-F]{8}$/.test(text) ? Number.parseInt(text.slice(4), 16) : null;
}
