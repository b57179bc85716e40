// The handset's operating system as its AT commands see it: facts read from the same persistent
// state the bootloader wrote (fuse words, lock state, the flashed system partition), so what the
// OS reports after a reboot follows from what provisioning did, never from a separate script.
import type { SimHandset } from './handset.ts';

export type Capability = 'camera' | 'gps';

export interface RunningSystem {
  readonly serial: string;
  readonly imei: string;
  readonly locked: boolean;
  /** Which parts the OS reports fitted; a capability-lie fault makes it claim a fused-off part. */
  readonly reportsPresent: Readonly<Record<Capability, boolean>>;
  /** Which parts the model's disable fuses switched off in hardware. */
  readonly fusedOff: Readonly<Record<Capability, boolean>>;
  /** The build the active slot's system partition carries, or `unknown`. */
  firmwareVersion(): Promise<string>;
}

/** The build property an Android system image carries, looked for where a build.prop header would be. */
const BUILD_PROPERTY_WINDOW = 4096;
const BUILD_PROPERTY = /(?:^|\n)ro\.build\.display\.id=([^\n]*)\n/;

export function runningSystem(handset: SimHandset): RunningSystem {
  const fusedOff = { camera: handset.fuseBurned('CAMERA_DISABLE'), gps: handset.fuseBurned('GPS_DISABLE') };
  return {
    serial: handset.serial,
    imei: handset.device.imei,
    locked: !handset.state.unlocked,
    fusedOff,
    reportsPresent: {
      camera: !fusedOff.camera || handset.faults.liesAbout('camera'),
      gps: !fusedOff.gps || handset.faults.liesAbout('gps'),
    },
    firmwareVersion: () => firmwareVersion(handset),
  };
}

async function firmwareVersion(handset: SimHandset): Promise<string> {
  const head = await handset.partitions.read(`system_${handset.state.currentBootSlot}`, 0, BUILD_PROPERTY_WINDOW);
  // Latin-1 keeps one character per byte for the search; the value itself is UTF-8 like the rest of build.prop.
  const value = BUILD_PROPERTY.exec(Buffer.from(head).toString('latin1'))?.[1];
  return value === undefined ? 'unknown' : Buffer.from(value, 'latin1').toString('utf8');
}
