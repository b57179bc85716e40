// A handset on a TCP endpoint whose link is reset in the middle of its flash, while its bootloader
// keeps listening: the station's connection breaks, discovery reports the endpoint gone and back,
// and the run starts a new attempt and provisions the handset. The reset is made by a relay between
// the station and the simulated handset's fastboot TCP server, in process.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SimSerialBackend } from '../../../src/main/discovery/sim-serial-backend.ts';
import { TcpBackend } from '../../../src/main/discovery/tcp-backend.ts';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { startProvisioning, type StartedBatch } from '../../../src/main/station/provisioning.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { createSimFleet, parseScenario, readCommandLog, type SimFleet } from '../../../src/sim/index.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { FAST_TIMING, SHORT_TIMEOUTS, writeProfilesWithTimeouts } from '../pipeline/fixture.ts';

/** Bytes from the station on one connection after which the relay resets it: well inside the first download. */
const RESET_AFTER_BYTES = 1024 * 1024;

/** Relays each connection to the handset's port; resets the first one that carries a download, once. */
class ResettingRelay {
  readonly server: Server;
  readonly #sockets = new Set<Socket>();
  resets = 0;

  constructor(target: number) {
    this.server = createServer((station) => {
      const handset = connect({ host: '127.0.0.1', port: target });
      for (const socket of [station, handset]) {
        socket.on('error', () => undefined);
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
      }
      let forwarded = 0;
      station.on('data', (chunk: Buffer) => {
        forwarded += chunk.length;
        if (this.resets === 0 && forwarded > RESET_AFTER_BYTES) {
          this.resets += 1;
          // The link dies: the station sees a reset; the handset's server merely loses its client.
          station.resetAndDestroy();
          handset.destroy();
          return;
        }
        handset.write(chunk);
      });
      handset.on('data', (chunk: Buffer) => station.write(chunk));
      const end = (other: Socket) => () => other.destroy();
      station.once('close', end(handset));
      handset.once('close', end(station));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const SERIAL = 'TCPRESET01';
const dir = mkdtempSync(join(tmpdir(), 'lockstep-tcp-reattach-'));
let fleet: SimFleet;
let relay: ResettingRelay;
let registry: HandsetRegistry;
let records: StationRecords;
let started: StartedBatch;

beforeAll(async () => {
  const bundlePath = join(dir, 'bundle');
  await generateDemoBundle({ out: bundlePath });
  records = openStationRecords(join(dir, 'station'));
  addDepotOperators(records);
  fleet = await createSimFleet({ scenario: parseScenario({ devices: [{ serial: SERIAL }] }), stateDir: join(dir, 'sim'), timing: FAST_TIMING });
  const [handsetPort] = await fleet.serveTcp(0);
  relay = new ResettingRelay(handsetPort as number);
  const relayPort = await relay.listen();
  registry = new HandsetRegistry([new TcpBackend([{ kind: 'tcp', host: '127.0.0.1', port: relayPort }]), new SimSerialBackend(fleet.serial)]);
  await registry.start();
  started = await startProvisioning({
    records,
    registry,
    bundlePath,
    trustDirs: [],
    demo: true,
    operator: TECHNICIAN,
    supervisor: SUPERVISOR,
    deviceCap: 1,
    parallel: 1,
    assetTagPattern: null,
    continueBatch: false,
    stationProfilesDir: await writeProfilesWithTimeouts(join(dir, 'profiles'), SHORT_TIMEOUTS),
  });
}, 60_000);

afterAll(async () => {
  await started?.batch.stop();
  await registry?.stop();
  await relay?.close();
  await fleet?.close();
  records?.close();
  rmSync(dir, { recursive: true, force: true });
});

function outcome(timeoutMs: number): Promise<PipelineSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no outcome within ${timeoutMs} ms: ${JSON.stringify(started.batch.snapshot.handsets.map((handset) => [handset.phase, handset.step, handset.reason?.code]))}`));
    }, timeoutMs);
    const stop = started.batch.subscribe((snapshot) => {
      const handset = snapshot.handsets[0];
      if (handset?.phase !== 'provisioned' && handset?.phase !== 'failed' && handset?.phase !== 'aborted') return;
      clearTimeout(timer);
      queueMicrotask(stop);
      resolve(snapshot);
    });
  });
}

describe('a TCP endpoint whose link is reset mid-flash', () => {
  it('is re-attached once it answers again, and the run starts again and provisions the handset', async () => {
    const done = await outcome(60_000);
    expect(relay.resets).toBe(1);
    expect(done.handsets[0]).toMatchObject({ serial: SERIAL, phase: 'provisioned', reason: null });
    const device = records.journal.findDevice(started.info.id, SERIAL);
    const events = records.journal.stepEvents(device?.id as number).map((event) => `${event.step}:${event.status}`);
    // The broken attempt ended as a failure; the next one started from detect on the same endpoint.
    expect(events.filter((event) => event === 'detect:passed').length).toBe(2);
    // No printer is configured here: the label step ends skipped, the label left unprinted (its cause as data).
    expect(events.at(-1)).toBe('label:skipped');
    // Two connections carried downloads: the one that was reset, and the new attempt's.
    const downloads = (await readCommandLog(join(dir, 'sim'), SERIAL)).filter((entry) => entry.channel === 'fastboot' && entry.command.startsWith('download:'));
    expect(downloads.length).toBeGreaterThan(1);
  }, 90_000);
});
