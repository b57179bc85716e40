// What a step unit test hands a step: a fake bootloader behind a real FastbootClient and the
// profile's ProfiledFastboot (the fake speaks the wire protocol, so the client under it is the real
// one), and a context whose journal notes, registration and history the test sees and sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { TransportError, type FastbootTransport } from '../../../src/main/fastboot/transport.ts';
import { ProfiledFastboot, type FastbootIdentity } from '../../../src/main/handset/fastboot-ops.ts';
import { historyOf, type History } from '../../../src/main/pipeline/history.ts';
import { newFacts, type RunFacts } from '../../../src/main/pipeline/run-facts.ts';
import type { StepContext } from '../../../src/main/pipeline/step.ts';
import type { BatchPlan } from '../../../src/main/pipeline/run-context.ts';
import { defaultProfilesDir, type LoadedProfile } from '../../../src/main/profiles/profile-store.ts';
import { profileSchema } from '../../../src/shared/profile.ts';
import type { AuthorisationDecision, StepEvent, StepName } from '../../../src/shared/records.ts';

export const SERIAL = 'LSUT0001';

/** An event an earlier attempt journaled, as much of it as a step reads. */
export type EarlierEvent = Pick<StepEvent, 'step' | 'status' | 'code' | 'data'>;

export function referenceProfile(): LoadedProfile {
  const path = join(defaultProfilesDir(), 'lockstep-ref.json');
  return { profile: profileSchema.parse(JSON.parse(readFileSync(path, 'utf8'))), source: path };
}

/**
 * A bootloader that keeps the state the fuse and lock steps care about and answers as the reference
 * profile says. `answerLost` drops the link after a matching command has taken effect, before its
 * OKAY; `lie` replaces an answer; `repoint` makes it answer as another handset from then on.
 */
export class FakeBootloader {
  readonly commands: string[] = [];
  vars: Record<string, string> = { serialno: SERIAL, product: 'lockstep-ref', 'hw-revision': 'B2', 'version-bootloader': 'LSBL-1.4.2', unlocked: 'yes', 'battery-voltage': '4100' };
  fuseWord = 0x01;
  hashes = new Map<string, string>();
  answerLost: RegExp | null = null;
  refuse: RegExp | null = null;
  lie: ((command: string) => string[] | null) | null = null;
  #queue: Uint8Array[] = [];
  #closed = false;

  transport(): FastbootTransport {
    return {
      name: `fake:${SERIAL}`,
      send: async (parts) => {
        if (this.#closed) throw new TransportError('disconnected', 'the link is gone');
        this.#answer(Buffer.concat(parts.map((part) => Buffer.from(part))).toString('latin1'));
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
    const hash = /^oem sha256 (\S+) /.exec(command);
    if (hash) {
      const digest = this.hashes.get(hash[1] as string) ?? '0'.repeat(64);
      return [`INFO${digest.slice(0, 32)}`, `INFO${digest.slice(32)}`, 'OKAY'];
    }
    return ['FAILunknown command'];
  }
}

export interface Harness<S extends StepName> {
  readonly context: StepContext<S>;
  readonly notes: { data: unknown; detail: string | undefined }[];
  readonly facts: RunFacts;
}

export interface HarnessOptions {
  readonly bootloader?: FakeBootloader;
  readonly facts?: Partial<RunFacts>;
  /** Events earlier attempts journaled (typed as the journal returns them). */
  readonly earlier?: readonly EarlierEvent[];
  readonly fuses?: readonly string[];
  readonly lockBootloader?: boolean;
  readonly decision?: AuthorisationDecision | null;
  readonly partitions?: readonly { name: string; sha256: string; size: number }[];
}

export function identityOf(bootloader: FakeBootloader): FastbootIdentity {
  const vars = bootloader.vars;
  return {
    serialNumber: vars.serialno as string,
    product: vars.product as string,
    hwRevision: vars['hw-revision'] as string,
    bootloaderVersion: vars['version-bootloader'] as string,
    lockState: vars.unlocked as string,
    unlocked: vars.unlocked === 'yes' ? true : vars.unlocked === 'no' ? false : null,
    batteryMillivolts: vars['battery-voltage'] as string,
  };
}

/** A context for `step` over `bootloader`, with the reference profile and a bundle whose policy the options give. */
export function harness<S extends StepName>(step: S, options: HarnessOptions = {}): Harness<S> {
  const bootloader = options.bootloader ?? new FakeBootloader();
  const profile = referenceProfile();
  const facts: RunFacts = { ...newFacts(), identity: identityOf(bootloader), verified: true, ...options.facts };
  const notes: Harness<S>['notes'] = [];
  const history: History = historyOf(
    (options.earlier ?? []).map((event, index) => ({ id: index + 1, deviceId: 1, detail: null, operatorId: 'tech', at: '', authorisation: null, unconverted: false, ...event }) as StepEvent),
  );
  const partitions = options.partitions ?? [{ name: 'boot', sha256: 'a'.repeat(64), size: 4096 }];
  const batch = {
    id: 1,
    operatorId: 'tech',
    bundle: {
      manifestSha256: 'f'.repeat(64),
      manifest: {
        version: '1.0.0',
        products: ['lockstep-ref'],
        hardwareRevisions: 'any',
        minBootloaderVersion: null,
        rollbackIndex: 0,
        partitions: partitions.map((partition) => ({ name: partition.name, slot: 'none', size: partition.size, expanded: { size: partition.size, sha256: partition.sha256 } })),
        policy: { fuses: options.fuses ?? ['CAMERA_DISABLE', 'GPS_DISABLE'], lockBootloader: options.lockBootloader ?? true },
      },
    },
  } as unknown as BatchPlan;
  const client = new FastbootClient(bootloader.transport());
  const unexpected = (what: string) => () => {
    throw new Error(`the ${step} step asked for ${what}, which this test does not expect`);
  };
  const context = {
    step,
    slot: '1-1.1',
    batch,
    records: { log: { provisionedSeq: () => null } },
    profiles: { forUsb: () => profile, forProduct: () => profile },
    labels: { label: unexpected('a label') },
    signal: new AbortController().signal,
    facts,
    link: { presence: { kind: 'fastboot', id: '1-1.1', serialNumber: null, vendorId: null, productId: null }, fastboot: new ProfiledFastboot(client, profile.profile), profile, atPort: null },
    decision: options.decision ?? { authorised: true, authorisationId: 7 },
    failure: null,
    serial: SERIAL,
    history: () => history,
    deviceId: () => 1,
    register: () => undefined,
    note: async (data: unknown, detail?: string) => void notes.push({ data, detail }),
    phase: () => undefined,
    progress: () => undefined,
    waiting: unexpected('a wait'),
    flashingPlace: async () => () => undefined,
    waitForAtPort: unexpected('an AT port'),
    connectFastboot: async () => client,
    closeFastboot: async () => client.close(),
    openAt: unexpected('an AT client'),
    committed: unexpected('a record'),
    committedRecord: unexpected('a record'),
  } as unknown as StepContext<S>;
  return { context, notes, facts };
}
