// What a step unit test hands a step: fakes of the hardware only — a bootloader behind a real
// FastbootClient and the profile's ProfiledFastboot (the fake speaks the wire protocol, so the client
// under it is the real one), an AT port behind a real AtClient — and a context whose journal notes,
// registration, phases and history the test sees and sets. Every journaled `data` can be checked
// against its schema in src/shared/step-events.ts (`expectData`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { expect } from 'vitest';
import { AtClient, streamLink } from '../../../src/main/at/client.ts';
import type { VerifiedBundle } from '../../../src/main/bundle/verify.ts';
import type { AtPresence, FastbootPresence } from '../../../src/main/discovery/presence.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { TransportError, type FastbootTransport } from '../../../src/main/fastboot/transport.ts';
import { ProfiledFastboot, type FastbootIdentity } from '../../../src/main/handset/fastboot-ops.ts';
import { StepFailure } from '../../../src/main/pipeline/failure.ts';
import { historyOf, type History } from '../../../src/main/pipeline/history.ts';
import { newFacts, type RunFacts } from '../../../src/main/pipeline/run-facts.ts';
import type { HandsetLink, StepContext } from '../../../src/main/pipeline/step.ts';
import type { BatchPlan } from '../../../src/main/pipeline/run-context.ts';
import { defaultProfilesDir, type LoadedProfile } from '../../../src/main/profiles/profile-store.ts';
import type { StationRecords } from '../../../src/main/records/station-records.ts';
import { profileSchema } from '../../../src/shared/profile.ts';
import type { AuthorisationDecision, StepEvent, StepName, StepStatus } from '../../../src/shared/records.ts';
import { stepDataSchema } from '../../../src/shared/step-events.ts';

export const SERIAL = 'LSUT0001';

/** An event an earlier attempt journaled, as much of it as a step reads. */
export type EarlierEvent = Pick<StepEvent, 'step' | 'status' | 'code' | 'data'> & Partial<Pick<StepEvent, 'detail' | 'unconverted'>>;

/** A valid IMEI (Luhn check digit), as the reference handset reports it on AT+CGSN. */
export const IMEI = '490154203237518';

/** The data a step journals for `status` fits that step's and status's schema (the journal refuses it otherwise). */
export function expectData(step: StepName, status: StepStatus, data: unknown): void {
  const parsed = stepDataSchema(step, status).safeParse(data);
  expect(parsed.error?.issues ?? []).toEqual([]);
}

/** What a step's run threw; null when it did not throw. */
export function rejection(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => null,
    (thrown: unknown) => thrown,
  );
}

/** The StepFailure a step's run ends with; anything else fails the test. */
export async function failure(run: Promise<unknown>): Promise<StepFailure> {
  const error = await rejection(run);
  if (!(error instanceof StepFailure)) throw new Error(`expected a StepFailure, got ${String(error)}`);
  return error;
}

/** The SHA-256 a handset computes over `bytes`, lower-case hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function referenceProfile(): LoadedProfile {
  const path = join(defaultProfilesDir(), 'lockstep-ref.json');
  return { profile: profileSchema.parse(JSON.parse(readFileSync(path, 'utf8'))), source: path };
}

/**
 * A bootloader that keeps the state the steps care about — its variables, one fuse word, what each
 * partition holds — and answers as the reference profile says. `answerLost` drops the link after a
 * matching command has taken effect, before its OKAY; `refuse` answers FAIL; `lie` replaces an answer.
 */
export class FakeBootloader {
  readonly commands: string[] = [];
  vars: Record<string, string> = { serialno: SERIAL, product: 'lockstep-ref', 'hw-revision': 'B2', 'version-bootloader': 'LSBL-1.4.2', unlocked: 'yes', 'battery-voltage': '4100' };
  fuseWord = 0x01;
  /** What each partition holds; the handset hashes it (zero bytes past its end) when asked. */
  readonly partitions = new Map<string, Buffer>();
  rebooted = false;
  answerLost: RegExp | null = null;
  refuse: RegExp | null = null;
  lie: ((command: string) => string[] | null) | null = null;
  #queue: Uint8Array[] = [];
  #closed = false;
  /** A download in progress: the bytes it still expects, and those received. */
  #download: { remaining: number; parts: Buffer[] } | null = null;
  #downloaded = Buffer.alloc(0);

  transport(): FastbootTransport {
    return {
      name: `fake:${SERIAL}`,
      send: async (parts) => {
        if (this.#closed) throw new TransportError('disconnected', 'the link is gone');
        const bytes = Buffer.concat(parts.map((part) => Buffer.from(part)));
        if (this.#download) this.#receiveData(bytes);
        else this.#answer(bytes.toString('latin1'));
      },
      receive: async () => {
        const next = this.#queue.shift();
        if (!next) throw new TransportError('disconnected', 'the handset went away before answering');
        return next;
      },
      close: async () => {
        this.#closed = true;
      },
    };
  }

  /** What the handset's own hash of the first `bytes` of `partition` reads. */
  hashOf(partition: string, bytes: number): string {
    const held = this.partitions.get(partition) ?? Buffer.alloc(0);
    return sha256(Buffer.concat([held, Buffer.alloc(Math.max(0, bytes - held.length))]).subarray(0, bytes));
  }

  #receiveData(bytes: Buffer): void {
    const download = this.#download as { remaining: number; parts: Buffer[] };
    download.parts.push(bytes);
    download.remaining -= bytes.length;
    if (download.remaining > 0) return;
    this.#downloaded = Buffer.concat(download.parts);
    this.#download = null;
    this.#queue.push(Buffer.from('OKAY'));
  }

  #answer(command: string): void {
    this.commands.push(command);
    const packets = this.lie?.(command) ?? (this.refuse?.test(command) ? ['FAILrefused'] : this.#execute(command));
    if (this.answerLost?.test(command)) {
      this.answerLost = null;
      this.#closed = true;
      return;
    }
    this.#queue.push(...packets.map((packet) => Buffer.from(packet, 'latin1')));
  }

  #execute(command: string): string[] {
    if (command.startsWith('getvar:')) {
      const value = this.vars[command.slice(7)];
      return value === undefined ? ['FAILunknown variable'] : [`OKAY${value}`];
    }
    const read = /^oem fuse read 3 0$/.exec(command);
    if (read) return [`INFO0x${this.fuseWord.toString(16).padStart(8, '0')}`, 'OKAY'];
    const prog = /^oem fuse prog 3 0 0x([0-9a-f]+)$/.exec(command);
    if (prog) {
      this.fuseWord = (this.fuseWord | Number.parseInt(prog[1] as string, 16)) >>> 0;
      return ['OKAY'];
    }
    if (command === 'flashing lock') {
      this.vars.unlocked = 'no';
      return ['OKAY'];
    }
    if (command === 'reboot') {
      this.rebooted = true;
      return ['OKAY'];
    }
    const download = /^download:([0-9a-f]{8})$/.exec(command);
    if (download) {
      this.#download = { remaining: Number.parseInt(download[1] as string, 16), parts: [] };
      return [`DATA${download[1]}`];
    }
    if (command.startsWith('erase:')) {
      this.partitions.delete(command.slice(6));
      return ['OKAY'];
    }
    if (command.startsWith('flash:')) {
      const name = command.slice(6);
      this.partitions.set(name, Buffer.concat([this.partitions.get(name) ?? Buffer.alloc(0), this.#downloaded]));
      return ['OKAY'];
    }
    const hash = /^oem sha256 (\S+) 0x([0-9a-f]+)$/.exec(command);
    if (hash) {
      const digest = this.hashOf(hash[1] as string, Number.parseInt(hash[2] as string, 16));
      return [`INFO${digest.slice(0, 32)}`, `INFO${digest.slice(32)}`, 'OKAY'];
    }
    return ['FAILunknown command'];
  }
}

/**
 * A booted handset's AT port, answering as the reference profile's checks expect of a provisioned
 * handset. `answers` maps a command to its lines (final result code last); `silent` never answers.
 */
export class FakeAtPort {
  readonly commands: string[] = [];
  readonly answers = new Map<string, readonly string[]>([
    ['AT', ['OK']],
    ['AT+CGSN', [IMEI, 'OK']],
    ['AT+CGMR', ['1.0.0', 'OK']],
    ['AT+XCAPS?', ['+XCAPS: CAMERA=ABSENT,GPS=ABSENT', 'OK']],
    ['AT+CGPS=1', ['+CME ERROR: 4']],
    ['AT+XBLSTATE?', ['+XBLSTATE: LOCKED', 'OK']],
  ]);
  closed = false;

  /** An AtClient over this port, as the context's openAt gives one. */
  client(): AtClient {
    const port = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        const command = chunk.toString('latin1').replace(/\r$/, '');
        this.commands.push(command);
        const lines = this.answers.get(command) ?? ['ERROR'];
        setImmediate(() => port.push(Buffer.from(lines.map((line) => `\r\n${line}\r\n`).join(''), 'utf8')));
        done();
      },
    });
    const link = streamLink(port);
    return new AtClient({ stream: port, close: async () => ((this.closed = true), await link.close()) }, 'fake-at');
  }
}

/** How discovery reports the booted handset's AT port (opened through the context's openAt, never here). */
export function atPresence(path: string): AtPresence {
  return { kind: 'at', id: `at:${path}`, path, serial: SERIAL, vendorId: 6353, productId: 20192, usbPort: '1-1.1', open: () => Promise.reject(new Error('a step opens the AT port through its context')) };
}

export interface Harness<S extends StepName> {
  readonly context: StepContext<S>;
  readonly notes: { data: unknown; detail: string | undefined }[];
  readonly facts: RunFacts;
  /** The serials the step registered the handset under, in order. */
  readonly registered: string[];
  /** The phases the step announced, in order. */
  readonly phases: string[];
}

export interface HarnessOptions {
  readonly bootloader?: FakeBootloader;
  readonly facts?: Partial<RunFacts>;
  /** Events earlier attempts journaled (typed as the journal returns them). */
  readonly earlier?: readonly EarlierEvent[];
  readonly fuses?: readonly string[];
  readonly lockBootloader?: boolean;
  readonly decision?: AuthorisationDecision | null;
  readonly partitions?: readonly { name: string; sha256: string; size: number; bootSlot?: 'none' | 'active' | 'both' }[];
  /** What the bundle's manifest says beyond its partitions and policy (products, revisions, bootloader floor). */
  readonly manifest?: Record<string, unknown>;
  /** A real verified bundle instead of the manifest alone (the flash step reads its images). */
  readonly bundle?: VerifiedBundle;
  /** How discovery saw the handset in fastboot (USB ids and serial; null ids: over TCP). */
  readonly presence?: Partial<FastbootPresence>;
  /** False: the detect step has not run yet, so there is no fastboot session or profile on the link. */
  readonly linked?: boolean;
  /** The profile the station's profile set finds for the handset (null: none matches). */
  readonly profile?: LoadedProfile | null;
  readonly atPort?: FakeAtPort;
  /** The sequence number of the provisioned record the records already hold for this handset. */
  readonly provisionedSeq?: number;
  /** Real records (a temp SQLite store) holding the handset as `deviceId`, for the record step. */
  readonly records?: { readonly store: StationRecords; readonly deviceId: number; readonly operatorId: string };
  /** Why the attempt failed, for the record step of a failed handset. */
  readonly failure?: StepContext['failure'];
}

export function identityOf(bootloader: FakeBootloader): FastbootIdentity {
  const vars = bootloader.vars;
  return {
    serial: vars.serialno as string,
    product: vars.product as string,
    hwRevision: vars['hw-revision'] as string,
    bootloaderVersion: vars['version-bootloader'] as string,
    lockState: vars.unlocked as string,
    unlocked: vars.unlocked === 'yes' ? true : vars.unlocked === 'no' ? false : null,
    batteryMillivolts: vars['battery-voltage'] as string,
  };
}

/** A journaled event as the journal returns it, for `historyOf`. */
function journaled(event: EarlierEvent, index: number): StepEvent {
  return { id: index + 1, deviceId: 1, detail: null, operatorId: 'tech', at: '', authorisation: null, unconverted: false, ...event } as StepEvent;
}

/**
 * A context for `step` over `bootloader`, with the reference profile and a bundle whose policy the
 * options give. Whatever a test does not expect the step to ask for throws when asked; a test hands a
 * step more (an AT port, a label printer, the records) by setting the context's member.
 */
export function harness<S extends StepName>(step: S, options: HarnessOptions = {}): Harness<S> {
  const bootloader = options.bootloader ?? new FakeBootloader();
  const profile = referenceProfile();
  const found = options.profile === undefined ? profile : options.profile;
  const facts: RunFacts = { ...newFacts(), identity: identityOf(bootloader), verified: true, ...options.facts };
  const notes: Harness<S>['notes'] = [];
  const registered: string[] = [];
  const phases: string[] = [];
  const history: History = historyOf((options.earlier ?? []).map(journaled));
  const partitions = options.partitions ?? [{ name: 'boot', sha256: 'a'.repeat(64), size: 4096 }];
  const batch = {
    operatorId: options.records?.operatorId ?? 'tech',
    bundle: options.bundle ?? {
      manifestSha256: 'f'.repeat(64),
      manifest: {
        version: '1.0.0',
        products: ['lockstep-ref'],
        hardwareRevisions: 'any',
        minBootloaderVersion: null,
        rollbackIndex: 0,
        ...options.manifest,
        partitions: partitions.map((partition) => ({
          name: partition.name,
          bootSlot: partition.bootSlot ?? 'none',
          size: partition.size,
          expanded: { size: partition.size, sha256: partition.sha256 },
        })),
        policy: { fuses: options.fuses ?? ['CAMERA_DISABLE', 'GPS_DISABLE'], lockBootloader: options.lockBootloader ?? true },
      },
    },
  } as unknown as BatchPlan;
  const client = new FastbootClient(bootloader.transport());
  const unexpected = (what: string) => () => {
    throw new Error(`the ${step} step asked for ${what}, which this test does not expect`);
  };
  const presence = { kind: 'fastboot', id: '1-1.1', slot: { kind: 'usb', bus: 1, ports: [1, 1] }, serial: null, vendorId: 6353, productId: 20192, ...options.presence };
  const linked = options.linked ?? true;
  const link: HandsetLink = { presence: presence as FastbootPresence, fastboot: linked ? new ProfiledFastboot(client, profile.profile) : null, profile: linked ? profile : null, atPort: null };
  const atPort = options.atPort;
  const context = {
    step,
    slot: '1-1.1',
    batch,
    records: options.records?.store ?? { log: { provisionedSeq: () => options.provisionedSeq ?? null } },
    profiles: { forUsb: () => found, forProduct: () => found },
    labels: { label: unexpected('a label'), unprinted: unexpected('a label') },
    signal: new AbortController().signal,
    facts,
    link,
    decision: options.decision ?? { authorised: true, authorisationId: 7 },
    failure: options.failure ?? null,
    serial: SERIAL,
    history: () => history,
    deviceId: () => options.records?.deviceId ?? 1,
    register: (serial: string) => void registered.push(serial),
    note: async (data: unknown, detail?: string) => void notes.push({ data, detail }),
    phase: (phase: string) => void phases.push(phase),
    progress: () => undefined,
    wait: () => undefined,
    waiting: unexpected('a wait'),
    flashingPlace: async () => () => undefined,
    waitForAtPort: unexpected('an AT port'),
    connectFastboot: async () => client,
    closeFastboot: async () => {
      await client.close();
      link.fastboot = null;
    },
    openAt: atPort ? async () => atPort.client() : unexpected('an AT client'),
    committed: unexpected('a record'),
    committedRecord: unexpected('a record'),
  } as unknown as StepContext<S>;
  return { context, notes, facts, registered, phases };
}
