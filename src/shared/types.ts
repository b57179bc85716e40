// Domain types shared by the core, the front ends and the tests. No Node or DOM imports here.

export type StationMode = 'hardware' | 'simulated';

export interface StationInfo {
  readonly name: 'lockstep';
  readonly version: string;
  readonly mode: StationMode;
  readonly runtime: { readonly node: string; readonly electron: string | null; readonly platform: string };
}

/** Whether a way of reaching handsets works on this station right now, and why not if it does not. */
export interface TransportStatus {
  readonly transport: 'usb' | 'serial' | 'tcp' | 'simulator';
  readonly available: boolean;
  readonly detail: string;
}

/** A handset seen on a transport, before it has been identified over fastboot. */
export interface AttachedHandset {
  readonly transport: TransportStatus['transport'];
  readonly address: string;
  readonly vendorId: number | null;
  readonly productId: number | null;
  readonly serialNumber: string | null;
}

export interface ScanResult {
  readonly scannedAt: string;
  readonly handsets: readonly AttachedHandset[];
  readonly transports: readonly TransportStatus[];
}
