import { join } from 'node:path';
import type { ApiEvents, BatchStatus, BundleProgress, EventListener, StationApi } from '../../shared/api.ts';
import type { ApiEvent } from '../../shared/channels.ts';
import { depotSyncSettingsSchema, type DepotSyncSettings, type DepotSyncState, type OperatorOffer } from '../../shared/depot.ts';
import type { SlotNames } from '../../shared/handset.ts';
import type { PipelineSnapshot } from '../../shared/pipeline.ts';
import type { OperatorSummary } from '../../shared/records.ts';
import type { AttachedHandset, ScanResult, StationMode, TransportStatus } from '../../shared/types.ts';
import { VerificationCache } from '../bundle/verification-cache.ts';
import { wakeOnOutcomes } from '../depot/depot-link.ts';
import type { DepotOperatorRequest } from '../depot/operators-admin.ts';
import type { HandsetRegistry } from '../discovery/registry.ts';
import type { Presence } from '../discovery/presence.ts';
import type { StationLabels } from '../labels/station-labels.ts';
import { loadProfiles, type ProfileSet } from '../profiles/profile-store.ts';
import { RecordsError } from '../records/errors.ts';
import type { Credentials, Operators } from '../records/operators.ts';
import { verifyJsonlExport } from '../records/verify-export.ts';
import { DATABASE_FILE, openStationRecords, type StationRecords } from '../records/station-records.ts';
import { profilesFor, verifyBundleOverview } from './bundle-overview.ts';
import { preparedDemoBundle } from './demo-station.ts';
import { authoriseBatch, liveAuthorisation, startProvisioning, type StartedBatch } from './provisioning.ts';
import { openStationLabels, stationTemplates } from './label-setup.ts';
import { createDepotMembership } from './depot-membership.ts';
import { changeOperatorAtDepot } from './operators-at-depot.ts';
import { offerFromWindow, readOfferFromWindow, resolveFromWindow } from './operator-offer-from-window.ts';
import { listRecords, showRecord } from './records-query.ts';
import { OperatorSession } from './session.ts';
import { loadSettings } from './settings.ts';
import { setIdleLock, setLabelPrinter, setSlotName } from './settings-store.ts';
import { readSettingsView } from './settings-view.ts';
import { signedInOnly } from './signed-in-gate.ts';
import { Topic } from './topic.ts';
import { STATION_VERSION } from './version.ts';
import { displaySafe } from '../../shared/untrusted.ts';

export interface StationOptions {
  readonly mode: StationMode;
  /** Where the station finds handsets; started by whoever built it (handset-sources.ts). */
  readonly registry: HandsetRegistry;
  /** Settings entries that name no usable handset source, shown beside the transports' statuses. */
  readonly sourceProblems?: readonly TransportStatus[];
  /** The station's data folder: records database, station key, settings. */
  readonly dataDir: string;
  /** Demo mode: the DEMO signing key is trusted and batches are labelled demo. */
  readonly demo: boolean;
  /** The shipped profiles' folder, when not resources/profiles (a test with short timeouts). */
  readonly stationProfilesDir?: string;
  /** How the depot sync worker is tuned, when the station joined a depot (defaults otherwise). */
  readonly depotSync?: Partial<DepotSyncSettings>;
}

export interface Station extends StationApi {
  /**
   * The same station (records, registry, batch, events) seen by another operator session: each
   * browser of `lockstep serve` has its own, so its sign-in, sign-out and idle lock end only its own.
   * The station itself answers for its default session (the Electron window, the test bridge).
   */
  forSession(session: OperatorSession): StationApi;
  /** What the process running the station reads for itself, as no person: it changes nothing but the shutdown's pause. */
  readonly owner: StationOwnerView;
  /** Stops the batch (journaling each handset's state) and closes the records. */
  close(): Promise<void>;
}

/**
 * The station as the process that runs it sees it, apart from any operator session (whose channels
 * wait for a sign-in): `lockstep scan`'s bus listing, and the shutdown's pause and watch over steps
 * under way. A station is stopped with nobody signed in at it (a locked window, `lockstep serve`,
 * whose browsers each have their own session), and its handsets must still stop at a step boundary.
 */
export interface StationOwnerView {
  scan(): Promise<ScanResult>;
  /** The latest pipeline snapshot, or null before any batch started. */
  snapshot(): PipelineSnapshot | null;
  subscribe(listener: (snapshot: PipelineSnapshot) => void): () => void;
  /** Pauses the running batch (each handset at its next step boundary) because the station is stopping; nothing without one. */
  pauseForShutdown(): Promise<void>;
}

/** The events the station publishes to every session alike (`session.current` is each session's own). */
type StationEvent = Exclude<ApiEvent, 'session.current'>;

/** The batch this station runs, with what the operator asked for when starting it. */
interface RunningBatch extends Pick<BatchStatus, 'expectedCount' | 'assetTagPattern'> {
  readonly started: StartedBatch;
}

/** Bundle verification reports at most this often; a 2 GiB bundle would otherwise send thousands of events. */
const PROGRESS_INTERVAL_MS = 100;
/** The unprinted labels one call lists: a screenful and more; a backlog past it is a printer problem to fix first. */
const UNPRINTED_SHOWN = 500;

/** The station core: the one object that the Electron UI, the CLI and the tests all drive. */
export function createStation(options: StationOptions): Station {
  let records: StationRecords | null = null;
  let profiles: Promise<ProfileSet> | null = null;
  let running: RunningBatch | null = null;
  /** The setup screen verifies a bundle and `batch.start` verifies it again: the second reads no image file. */
  const verificationCache = new VerificationCache();
  /** Front ends hear every batch this station runs, including one started after they subscribed. */
  const snapshots = new Topic<PipelineSnapshot>();
  const progress = new Topic<BundleProgress>();
  const depotStates = new Topic<DepotSyncState>();
  const topics: { readonly [E in StationEvent]: Topic<ApiEvents[E]> } = { 'pipeline.snapshot': snapshots, 'bundle.progress': progress, 'depot.state': depotStates };
  // A station in a depot pushes its journal from the start, in the background; one in none has no link (null).
  const depot = createDepotMembership({ databasePath: join(options.dataDir, DATABASE_FILE), onState: (state) => depotStates.publish(state), settings: options.depotSync });

  const openRecords = (): StationRecords => (records ??= openStationRecords(options.dataDir));
  let labels: Promise<StationLabels> | null = null;
  /** Labels opened for a printer since replaced: their jobs already sent still get an outcome before closing. */
  const retiredLabels: Promise<StationLabels>[] = [];
  /** The running batch's slot names, changed in place so a handset plugged in after a rename gets the new name. */
  const liveSlotNames: Record<string, string> = {};
  const adoptSlotNames = (names: SlotNames): SlotNames => {
    for (const key of Object.keys(liveSlotNames)) delete liveSlotNames[key];
    return Object.assign(liveSlotNames, names);
  };
  const stationLabels = (): Promise<StationLabels> => {
    labels ??= openStationLabels({ databasePath: openRecords().databasePath, settingsDir: options.dataDir });
    // Settings fixed after a failure (an unknown template, say) are read again on the next call.
    labels.catch(() => (labels = null));
    return labels;
  };
  const loadedProfiles = (): Promise<ProfileSet> => {
    profiles ??= loadProfiles(options.stationProfilesDir ? { stationDir: options.stationProfilesDir } : {});
    // A profile folder fixed after a failure is read again on the next call.
    profiles.catch(() => (profiles = null));
    return profiles;
  };
  const settingsView = async () =>
    readSettingsView({ dataDir: options.dataDir, mode: options.mode, demo: options.demo, records: openRecords(), profiles: await loadedProfiles() });
  const depotTimeoutMs = (): number => depotSyncSettingsSchema.parse(options.depotSync ?? {}).timeoutMs;
  /** A change the depot's operators follow: the sync applies them now rather than at its next poll. */
  const afterOperatorOffer = async (offer: OperatorOffer): Promise<OperatorOffer> => {
    (await depot.link())?.wake();
    return offer;
  };
  /** An admin's change to the operators: at the depot when the depot manages them, else in this station's records. */
  const changeOperator = async (
    admin: Credentials,
    request: DepotOperatorRequest,
    local: (operators: Operators) => OperatorSummary,
  ): Promise<OperatorSummary> => {
    const stationRecords = openRecords();
    if (!stationRecords.operators.managedByDepot()) return local(stationRecords.operators);
    return changeOperatorAtDepot({ records: stationRecords, admin, request, timeoutMs: depotTimeoutMs(), now: () => new Date() });
  };
  const requireBatch = (): RunningBatch => {
    if (!running) throw new Error('no batch is running; start one first');
    return running;
  };
  const status = async (batch: RunningBatch): Promise<BatchStatus> => {
    const { info } = batch.started;
    return {
      info,
      startedBy: batch.started.operatorId,
      expectedCount: batch.expectedCount,
      assetTagPattern: batch.assetTagPattern,
      profiles: profilesFor(await loadedProfiles(), info.products),
      gateRequired: info.fuses.length > 0 || info.lockBootloader,
      authorisation: liveAuthorisation(openRecords(), info),
    };
  };
  const throttledProgress = (): ((value: BundleProgress) => void) => {
    let last = 0;
    return (value) => {
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS && value.overallDone < value.overallTotal) return;
      last = now;
      progress.publish(value);
    };
  };

  const sessionApi = (session: OperatorSession): StationApi => ({
    'station.info': async () => ({
      name: 'lockstep',
      version: STATION_VERSION,
      mode: options.mode,
      runtime: {
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        platform: process.platform,
      },
      // A path on the station is for the setup screen of someone signed in, not for the sign-in screen.
      demoBundlePath: options.demo && session.current !== null ? preparedDemoBundle(options.dataDir) : null,
    }),
    'devices.scan': async () => ({
      scannedAt: new Date().toISOString(),
      handsets: options.registry.list().map(attached),
      transports: [...options.registry.statuses(), ...(options.sourceProblems ?? [])],
    }),
    'session.signIn': async (credentials) => session.signIn(openRecords(), credentials),
    'session.signOut': async () => {
      session.signOut();
      return null;
    },
    'session.current': async () => session.current,
    'bundle.verify': async ({ bundlePath, trustDirs }) => {
      return verifyBundleOverview({
        bundlePath,
        trustDirs: trustDirs ?? [],
        demo: options.demo,
        profiles: await loadedProfiles(),
        onProgress: throttledProgress(),
        cache: verificationCache,
      });
    },
    'bundle.progress': async () => progress.latest,
    'profiles.list': async () => {
      return (await loadedProfiles()).summaries();
    },
    'batch.start': async (request) => {
      const operator = session.require();
      if (running) throw new Error('a batch is already running on this station; finish it first');
      const settings = await loadSettings(options.dataDir);
      const onProgress = throttledProgress();
      const started = await startProvisioning({
        records: openRecords(),
        registry: options.registry,
        bundlePath: request.bundlePath,
        trustDirs: request.trustDirs ?? [],
        demo: options.demo,
        operator: { signedIn: operator },
        supervisor: null,
        deviceCap: request.expectedCount,
        parallel: request.parallel ?? 4,
        continueBatch: true,
        assetTagPattern: request.assetTagPattern ?? null,
        slotNames: adoptSlotNames(settings.slotNames),
        verificationCache,
        ...(options.stationProfilesDir ? { stationProfilesDir: options.stationProfilesDir } : {}),
        onVerifyProgress: (value) =>
          onProgress({ bundlePath: request.bundlePath, partition: value.partition, overallDone: value.overallDone, overallTotal: value.overallTotal }),
      });
      running = { started, expectedCount: request.expectedCount, assetTagPattern: request.assetTagPattern ?? null };
      const wakeDepot = wakeOnOutcomes(() => void depot.link().then((link) => link?.wake()));
      started.batch.subscribe((snapshot) => {
        snapshots.publish(snapshot);
        wakeDepot(snapshot);
      });
      return status(running);
    },
    'batch.current': async () => (running ? status(running) : null),
    'batch.authorise': async ({ supervisor, deviceCap }) => {
      const batch = requireBatch();
      // Wakes the handsets waiting before their fuse step; a person's pause stays as it is.
      authoriseBatch(openRecords(), supervisor, batch.started.info, deviceCap, batch.started.batch);
      return status(batch);
    },
    'batch.pause': async () => {
      const batch = requireBatch();
      batch.started.batch.pause();
      return batch.started.batch.snapshot;
    },
    'batch.resume': async () => {
      // Undoes a person's pause only: the supervisor's gate is not a pause, and only an authorisation opens it.
      const batch = requireBatch();
      batch.started.batch.resume();
      return batch.started.batch.snapshot;
    },
    'handset.retry': async ({ serial }) => {
      return requireBatch().started.batch.retry(serial);
    },
    'handset.abort': async ({ serial }) => {
      return requireBatch().started.batch.abort(serial);
    },
    'handset.detail': async ({ serial }) => {
      const { started } = requireBatch();
      const store = openRecords();
      const device = store.journal.findDevice(started.info.id, serial);
      if (!device) {
        const shown = displaySafe(serial, 64);
        throw new RecordsError('RECORDS_REFUSED', `handset ${shown} has not been identified in this batch yet.`, { detail: 'HANDSET_NOT_IDENTIFIED', params: { serial: shown } });
      }
      const shown = started.batch.snapshot.handsets.find((handset) => handset.serial === serial);
      const seq = shown?.recordSeq ?? store.log.provisionedSeq(device.id);
      return {
        serial: device.serial,
        batchId: device.batchId,
        registeredAt: device.registeredAt,
        identity: device.identity,
        events: store.journal.stepEvents(device.id),
        record: seq === null ? null : store.log.get(seq),
      };
    },
    'pipeline.snapshot': async () => running?.started.batch.snapshot ?? null,
    'records.list': async (query) => {
      return listRecords(openRecords(), query);
    },
    'records.show': async ({ seq }) => {
      return showRecord(openRecords(), seq);
    },
    'records.export': async ({ format, path, filter }) => {
      const summary = await openRecords().export(format, filter ?? {}, path);
      return { path, ...summary };
    },
    'records.verify': async ({ path }) => {
      // Pinned to this station's key: an export from elsewhere is reported as signed by another station.
      return verifyJsonlExport(path, openRecords().identity.publicKey);
    },
    'settings.read': async () => {
      return settingsView();
    },
    'settings.slotName': async ({ slot, name }) => {
      session.require(['admin', 'supervisor']);
      adoptSlotNames((await setSlotName(options.dataDir, slot, name)).slotNames);
      running?.started.batch.slotNamesChanged();
      return settingsView();
    },
    'settings.labelPrinter': async ({ printer }) => {
      session.require(['admin']);
      // A template the station cannot load would stop the next batch from starting: refuse it now.
      if (printer) (await stationTemplates(options.dataDir)).get(printer.template);
      await setLabelPrinter(options.dataDir, printer);
      // Status, previews and reprints use the new printer from now on; a running batch keeps the one it started with.
      if (labels) retiredLabels.push(labels);
      labels = null;
      return settingsView();
    },
    'settings.idleLock': async ({ minutes }) => {
      // A station policy: technicians and supervisors see it, only an admin changes it.
      session.require(['admin']);
      await setIdleLock(options.dataDir, minutes);
      return settingsView();
    },
    'operators.list': async () => {
      session.require(['admin']);
      return openRecords().operators.list();
    },
    // The records authorise each change by the admin's own PIN (a wrong one counts towards the lock-out).
    // In a depot that manages the operators, the change is made at the depot (operators-at-depot.ts).
    'operators.add': async ({ adminPin, operator }) => {
      const admin = { id: session.require(['admin']).id, pin: adminPin };
      const { id, displayName, role, pin } = operator;
      return changeOperator(admin, { change: 'added', id, displayName, role, pin }, (operators) => operators.add(admin, { id, displayName, role, pin }));
    },
    'operators.disable': async ({ adminPin, id }) => {
      const admin = { id: session.require(['admin']).id, pin: adminPin };
      return changeOperator(admin, { change: 'disabled', id }, (operators) => operators.disable(admin, id));
    },
    // A lock-out is this station's own: unlocked here, in a depot too.
    'operators.unlock': async ({ adminPin, id }) => {
      const admin = session.require(['admin']);
      return openRecords().operators.unlock({ id: admin.id, pin: adminPin }, id);
    },
    'operators.enable': async ({ adminPin, id }) => {
      const admin = { id: session.require(['admin']).id, pin: adminPin };
      return changeOperator(admin, { change: 'enabled', id }, (operators) => operators.enable(admin, id));
    },
    'operators.resetPin': async ({ adminPin, id, pin }) => {
      const admin = { id: session.require(['admin']).id, pin: adminPin };
      return changeOperator(admin, { change: 'pin-reset', id, pin }, (operators) => operators.resetPin(admin, id, pin));
    },
    'operators.setRole': async ({ adminPin, id, role }) => {
      const admin = { id: session.require(['admin']).id, pin: adminPin };
      return changeOperator(admin, { change: 'role-changed', id, role }, (operators) => operators.setRole(admin, id, role));
    },
    'operators.changes': async ({ id }) => {
      session.require(['admin']);
      return openRecords().operators.changes(id);
    },
    'labels.status': async () => {
      const station = await stationLabels();
      return { printer: station.printer, status: station.printer ? await station.printerStatus() : null };
    },
    'labels.preview': async ({ serial }) => {
      return { png: (await (await stationLabels()).preview(serial)).toString('base64') };
    },
    'labels.batchPreview': async (input) => {
      return { png: (await (await stationLabels()).batchPreview(input, new Date())).toString('base64') };
    },
    'labels.reprint': async ({ serial, reason }) => {
      const operator = session.require();
      return (await (await stationLabels()).reprint(serial, operator.id, reason)).job;
    },
    'labels.unprinted': async () => {
      const station = await stationLabels();
      const labels = station.unprinted(UNPRINTED_SHOWN).map(({ recordSeq, serial, assetTag, recordedAt }) => ({
        recordSeq,
        serial,
        assetTag,
        recordedAt,
        lastJob: station.service.jobs(recordSeq).at(-1) ?? null,
      }));
      return { printer: station.printer?.address ?? null, labels };
    },
    'depot.state': async () => (await depot.link())?.state() ?? null,
    'depot.join': async ({ credentialsPath }) => {
      session.require(['admin']);
      return depot.join(credentialsPath, openRecords().identity.fingerprint);
    },
    'depot.operatorOffer': async () => {
      session.require(['admin']);
      return (await depot.link()) === null ? null : readOfferFromWindow(openRecords(), depotTimeoutMs());
    },
    'depot.offerOperators': async ({ adminPin, ids, joinId }) => {
      const admin = session.require(['admin']);
      return afterOperatorOffer(await offerFromWindow(openRecords(), { id: admin.id, pin: adminPin }, { ids, joinId }, depotTimeoutMs()));
    },
    'depot.resolveOperator': async ({ adminPin, id, resolution, renameTo }) => {
      const admin = session.require(['admin']);
      const clash = { operatorId: id, resolution, renameTo };
      return afterOperatorOffer(await resolveFromWindow(openRecords(), { id: admin.id, pin: adminPin }, clash, depotTimeoutMs()));
    },
    subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>) {
      // The session is this front end's own: a browser hears its own tabs sign in and out, never another browser.
      if (event === 'session.current') return session.follow(listener as EventListener<'session.current'>);
      const topic = Object.hasOwn(topics, event) ? (topics[event as StationEvent] as Topic<unknown>) : null;
      if (!topic) throw new Error(`no such event: ${String(event).slice(0, 40)}`);
      return topic.subscribe(listener as (value: unknown) => void);
    },
  });
  const forSession = (session: OperatorSession): StationApi => signedInOnly(sessionApi(session), session);
  const defaultSession = new OperatorSession();
  return {
    ...forSession(defaultSession),
    forSession,
    owner: {
      scan: () => sessionApi(defaultSession)['devices.scan'](undefined),
      snapshot: () => snapshots.latest,
      subscribe: (listener) => snapshots.subscribe(listener),
      pauseForShutdown: async () => running?.started.batch.pause(),
    },
    async close() {
      await running?.started.batch.stop();
      // Label jobs already sent get their outcome recorded before the records close.
      for (const opened of [...retiredLabels, labels]) await (await opened?.catch(() => null))?.service.idle();
      running = null;
      await depot.close();
      depotStates.close();
      snapshots.close();
      progress.close();
      defaultSession.signOut();
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
    serial: presence.serial,
  };
}
