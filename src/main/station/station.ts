import type { StationApi } from '../../shared/api.ts';
import type { PipelineSnapshot } from '../../shared/pipeline.ts';
import type { AttachedHandset, StationMode } from '../../shared/types.ts';
import type { HandsetRegistry } from '../discovery/registry.ts';
import type { Presence } from '../discovery/presence.ts';
import type { ProvisioningBatch } from '../pipeline/batch.ts';
import { openStationRecords, type StationRecords } from '../records/station-records.ts';
import { startProvisioning } from './provisioning.ts';
import { loadSettings } from './settings.ts';
import { STATION_VERSION } from './version.ts';

export interface StationOptions {
  readonly mode: StationMode;
  /** Where the station finds handsets; started by whoever built it. */
  readonly registry: HandsetRegistry;
  /** The station's data folder: records database, station key, settings. */
  readonly dataDir: string;
  /** Demo mode: the DEMO signing key is trusted and batches are labelled demo. */
  readonly demo: boolean;
}

export interface Station extends StationApi {
  /** Stops the batch (journaling each handset's state) and closes the records. */
  close(): Promise<void>;
}

/** The station core: the one object that the Electron UI, the CLI and the tests all drive. */
export function createStation(options: StationOptions): Station {
  let records: StationRecords | null = null;
  let batch: ProvisioningBatch | null = null;
  /** Front ends hear every batch this station runs, including one started after they subscribed. */
  const listeners = new Set<(snapshot: PipelineSnapshot) => void>();
  const requireBatch = (): ProvisioningBatch => {
    if (!batch) throw new Error('no batch is running; start one first');
    return batch;
  };

  return {
    'station.info': async () => ({
      name: 'lockstep',
      version: STATION_VERSION,
      mode: options.mode,
      runtime: {
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        platform: process.platform,
      },
    }),
    'devices.scan': async () => ({
      scannedAt: new Date().toISOString(),
      handsets: options.registry.list().map(attached),
      transports: options.registry.statuses(),
    }),
    'batch.start': async (request) => {
      if (batch) throw new Error('a batch is already running on this station; finish it first');
      records ??= openStationRecords(options.dataDir);
      const settings = await loadSettings(options.dataDir);
      const started = await startProvisioning({
        records,
        registry: options.registry,
        bundlePath: request.bundlePath,
        trustDirs: request.trustDirs ?? [],
        demo: options.demo,
        operator: request.operator,
        supervisor: request.supervisor,
        deviceCap: request.deviceCap,
        parallel: request.parallel ?? 4,
        continueBatch: true,
        assetTagPattern: request.assetTagPattern ?? null,
        slotNames: settings.slotNames,
      });
      batch = started.batch;
      batch.subscribe((snapshot) => {
        for (const listener of [...listeners]) listener(snapshot);
      });
      return batch.snapshot;
    },
    'batch.pause': async () => {
      requireBatch().pause();
      return requireBatch().snapshot;
    },
    'batch.resume': async () => {
      requireBatch().resume();
      return requireBatch().snapshot;
    },
    'handset.retry': async ({ serial }) => requireBatch().retry(serial),
    'handset.abort': async ({ serial }) => requireBatch().abort(serial),
    'pipeline.snapshot': async () => batch?.snapshot ?? null,
    subscribe(event, listener) {
      if (event !== 'pipeline.snapshot') throw new Error(`no such event: ${String(event).slice(0, 40)}`);
      listeners.add(listener);
      if (batch) listener(batch.snapshot);
      return () => void listeners.delete(listener);
    },
    async close() {
      await batch?.stop();
      batch = null;
      listeners.clear();
      records?.close();
      records = null;
    },
  };
}

function attached(presence: Presence): AttachedHandset {
  return {
    transport: presence.kind === 'at' ? 'serial' : presence.slot.kind === 'tcp' ? 'tcp' : 'usb',
    slot: presence.kind === 'at' ? presence.path : presence.id,
    mode: presence.kind === 'at' ? 'at' : 'fastboot',
    vendorId: presence.vendorId,
    productId: presence.productId,
    serialNumber: presence.serialNumber,
  };
}
