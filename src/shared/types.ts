// Domain types shared by the core, the front ends and the tests. No Node or DOM imports here.

export type StationMode = 'hardware' | 'simulated';

export interface StationInfo {
  readonly name: 'lockstep';
  readonly version: string;
  readonly mode: StationMode;
  readonly runtime: { readonly node: string; readonly electron: string | null; readonly platform: string };
  /**
   * The demo bundle, for the setup screen to offer: set only on a station in demo mode (one that
   * trusts the DEMO key) whose data folder holds the prepared demo bundle; null everywhere else.
   */
  readonly demoBundlePath: string | null;
}

/** Whether a way of reaching handsets works on this station right now, and why not if it does not. */
export interface TransportStatus {
  readonly transport: 'usb' | 'serial' | 'tcp' | 'simulator';
  readonly available: boolean;
  /** The status in the station's words (the CLI's). */
  readonly detail: string;
  /** The same status as a key and its values, escaped, for a front end to word in the operator's language. */
  readonly words: TransportStatusWords;
}

/**
 * The host conditions a discovery line or a port failure names, in words the UI translates (`params.condition`); the
 * system's own text for it stays in the station's sentence (`detail`, the CLI's), behind the UI's disclosure.
 */
export const SYSTEM_CONDITIONS = [
  'usbBusMissing',
  'listingToolMissing',
  'permissionDenied',
  'busy',
  'notFound',
  'refused',
  'unreachable',
  'timedOut',
  'hostUnknown',
  'notFastboot',
  'other',
] as const;
export type SystemCondition = (typeof SYSTEM_CONDITIONS)[number];

export const TRANSPORT_STATUS_KEYS = [
  'notStarted',
  'noUsbBus',
  'usbHandsets',
  'usbHandsetsUnplaced',
  'serialPorts',
  'serialPortsNoListing',
  'simulatedPorts',
  'tcpEndpoints',
  'tcpEndpointsSilent',
  'tcpEndpointInvalid',
  'failed',
] as const;

/**
 * `params.bus`, where present, is `system` or `simulated`: which USB bus the line is about; `params.condition`, where present, a
 * SystemCondition.
 */
export interface TransportStatusWords {
  readonly key: (typeof TRANSPORT_STATUS_KEYS)[number];
  readonly params: Readonly<Record<string, string>>;
}

/** A handset seen on a transport, before it has been identified: where it is and what it claims to be. */
export interface AttachedHandset {
  readonly transport: TransportStatus['transport'];
  /** Fastboot: the slot (`1-3.2`, `tcp:HOST:PORT`, src/shared/handset.ts); AT: the serial port's path. */
  readonly slot: string;
  /** In fastboot, or booted into its OS behind an AT port. */
  readonly mode: 'fastboot' | 'at';
  readonly vendorId: number | null;
  readonly productId: number | null;
  /** The handset's serial as it claims it (USB descriptor, unchecked); render with displaySafe. */
  readonly serial: string | null;
}

export interface ScanResult {
  readonly scannedAt: string;
  readonly handsets: readonly AttachedHandset[];
  readonly transports: readonly TransportStatus[];
}
