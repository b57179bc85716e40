/**
 * A byte pipe to one fastboot device. The client speaks the protocol; a transport only moves
 * packets, so the same client drives USB, TCP and the virtual handset.
 */
export interface FastbootTransport {
  /** How the device is named in errors and logs, e.g. `tcp:127.0.0.1:5554`. */
  readonly name: string;
  /** Sends the parts as one write (one USB transfer, one TCP frame); resolves once the parts may be reused. */
  send(parts: readonly Uint8Array[], timeoutMs: number): Promise<void>;
  /** Receives one response packet. It may be longer than the protocol allows: the client judges. */
  receive(timeoutMs: number): Promise<Uint8Array>;
  /** Releases the device. Safe to call more than once and after a disconnect. */
  close(): Promise<void>;
}

export type TransportFailure = 'disconnected' | 'protocol' | 'timeout' | 'cancelled';

/** What a transport throws; the client turns it into a typed error naming device and command. */
export class TransportError extends Error {
  readonly failure: TransportFailure;
  constructor(failure: TransportFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransportError';
    this.failure = failure;
  }
}
