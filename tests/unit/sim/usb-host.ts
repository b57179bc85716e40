// A minimal fastboot host over the simulator's WebUSB device, written from the protocol (command
// packet out, response packets in until OKAY, FAIL or DATA) so the engine is tested through the
// same USBDevice surface the station's USB transport uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createSimFleet, parseScenario, type SimFleet } from '../../../src/sim/index.ts';

export interface Reply {
  readonly code: string;
  readonly text: string;
  readonly info: string[];
  readonly packets: Uint8Array[];
}

/** transferIn with usb 3.x's third argument, the per-transfer timeout (0 = none), which the simulator honours too. */
export function transferIn(device: USBDevice, length: number, timeoutMs: number): Promise<USBInTransferResult> {
  return (device.transferIn as (endpoint: number, length: number, timeout: number) => Promise<USBInTransferResult>).call(device, 1, length, timeoutMs);
}

export class UsbHost {
  readonly device: USBDevice;
  constructor(device: USBDevice) {
    this.device = device;
  }

  static async connect(device: USBDevice | null): Promise<UsbHost> {
    if (!device) throw new Error('the handset is not on the bus');
    await device.open();
    await device.selectConfiguration(1);
    await device.claimInterface(0);
    return new UsbHost(device);
  }

  async send(bytes: Uint8Array): Promise<void> {
    const result = await this.device.transferOut(1, bytes);
    if (result.status !== 'ok' || result.bytesWritten !== bytes.length) throw new Error(`transferOut: ${result.status}`);
  }

  /** Sends a command and collects INFO lines up to the final OKAY, FAIL or DATA. */
  async command(command: string | Uint8Array, timeoutMs = 5000): Promise<Reply> {
    await this.send(typeof command === 'string' ? Buffer.from(command, 'latin1') : command);
    return this.reply(timeoutMs);
  }

  async reply(timeoutMs = 5000): Promise<Reply> {
    const info: string[] = [];
    const packets: Uint8Array[] = [];
    for (;;) {
      const result = await transferIn(this.device, 64, timeoutMs);
      const packet = new Uint8Array(result.data?.buffer ?? new ArrayBuffer(0));
      packets.push(packet);
      const code = Buffer.from(packet.subarray(0, 4)).toString('latin1');
      const text = Buffer.from(packet.subarray(4)).toString('utf8');
      if (code === 'INFO') info.push(text);
      else return { code, text, info, packets };
    }
  }

  /** download:, the data in pieces, and the final OKAY. */
  async download(data: Uint8Array, piece = 1024 * 1024): Promise<Reply> {
    const start = await this.command(`download:${data.length.toString(16).padStart(8, '0')}`);
    if (start.code !== 'DATA') return start;
    for (let at = 0; at < data.length; at += piece) await this.send(data.subarray(at, at + piece));
    return this.reply();
  }

  async flash(partition: string, data: Uint8Array): Promise<Reply> {
    const downloaded = await this.download(data);
    return downloaded.code === 'OKAY' ? this.command(`flash:${partition}`) : downloaded;
  }

  async sha256(partition: string, bytes: number): Promise<string> {
    const reply = await this.command(`oem sha256 ${partition} 0x${bytes.toString(16)}`);
    if (reply.code !== 'OKAY') throw new Error(`oem sha256 failed: ${reply.text}`);
    return reply.info.join('');
  }
}

export interface TestFleet {
  readonly fleet: SimFleet;
  readonly stateDir: string;
  reopen(): Promise<SimFleet>;
  dispose(): Promise<void>;
}

/** A fleet in a fresh state directory with an unthrottled link; `reopen` restarts it on the same state. */
async function startFleet(scenario: unknown): Promise<TestFleet> {
  const stateDir = mkdtempSync(join(tmpdir(), 'lockstep-sim-'));
  const parsed = parseScenario({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 }, ...(scenario as object) });
  let fleet = await createSimFleet({ scenario: parsed, stateDir });
  return {
    get fleet() {
      return fleet;
    },
    stateDir,
    async reopen() {
      await fleet.close();
      fleet = await createSimFleet({ scenario: parsed, stateDir });
      return fleet;
    },
    async dispose() {
      await fleet.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Call at the top of a test file: fleets started through the returned function are disposed after each test. */
export function fleetPerTest(): (devices: Record<string, unknown>[]) => Promise<TestFleet> {
  const started: TestFleet[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sim) => sim.dispose()));
  });
  return async (devices) => {
    const sim = await startFleet({ devices });
    started.push(sim);
    return sim;
  };
}
