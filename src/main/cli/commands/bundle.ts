import { describeFailure } from '../../../shared/describe-failure.ts';
import type { KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BOOT_SLOT_HANDLING, type BundleManifest, type BundleSigner, type BootSlotHandling } from '../../../shared/bundle.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { withContainer } from '../../bundle/container.ts';
import { BundleCreateError, createBundle, type PartitionInput } from '../../bundle/create.ts';
import { DEMO_DEFAULTS, generateDemoBundle } from '../../bundle/demo.ts';
import { BundleError } from '../../bundle/errors.ts';
import { checkBundleFits, type HandsetFacts } from '../../bundle/fit.ts';
import { KeyFileError, parseKeyPem } from '../../bundle/keys.ts';
import { inspectManifest } from '../../bundle/signed-manifest.ts';
import { loadTrustStore, type TrustStore } from '../../bundle/trust-store.ts';
import { verifyBundle, type VerifiedBundle } from '../../bundle/verify.ts';
import { parseByteSize } from '../byte-size.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, failureText, jsonLine, type CliIo } from '../io.ts';

const USAGE = [
  'lockstep bundle create --product P [--hw-rev R]... --version V --partition NAME=FILE... [--sparse NAME]... [--boot-slot NAME=none|active|both]...',
  '                       [--fuse NAME]... [--lock] [--min-bootloader V] [--rollback-index N] [--build-id ID] --key KEY.pem... --out DIR|FILE.zip',
  'lockstep bundle verify BUNDLE [--trust DIR]... [--demo] [--json] [--product P --hw-rev R --bootloader V [--rollback-index N]]',
  'lockstep bundle inspect BUNDLE [--trust DIR]... [--demo] [--json]',
  'lockstep bundle demo --out DIR|FILE.zip [--boot-size BYTES] [--system-size BYTES] [--product P]',
].join('\n       ');

export const TRUST_OPTIONS = {
  trust: { type: 'string' as const, multiple: true as const, default: [] as string[] },
  demo: { type: 'boolean' as const, default: false },
};

export async function loadTrustFromArgs(values: { trust: string[]; demo: boolean }, io: CliIo): Promise<TrustStore> {
  try {
    const trust = await loadTrustStore({ userDirs: values.trust, demo: values.demo });
    for (const warning of trust.warnings) io.err(`warning: ${warning}\n`);
    return trust;
  } catch (error) {
    if (error instanceof KeyFileError) throw new CliError(failureText(error));
    throw error;
  }
}

export const bundleCommand: CliCommand = {
  usage: USAGE,
  async run(argv, io) {
    const [action, ...rest] = argv;
    try {
      switch (action) {
        case 'create':
          return await create(rest, io);
        case 'verify':
          return await verify(rest, io);
        case 'inspect':
          return await inspect(rest, io);
        case 'demo':
          return await demo(rest, io);
        default:
          throw new CliError(`unknown action '${displaySafe(String(action ?? ''), 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
      }
    } catch (error) {
      if (error instanceof BundleError) throw new CliError(`bundle refused ${failureText(error)}`);
      if (error instanceof BundleCreateError || error instanceof KeyFileError) throw new CliError(failureText(error));
      throw error;
    }
  },
};

async function create(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      product: { type: 'string', multiple: true, default: [] },
      'hw-rev': { type: 'string', multiple: true, default: [] },
      version: { type: 'string' },
      'build-id': { type: 'string' },
      partition: { type: 'string', multiple: true, default: [] },
      sparse: { type: 'string', multiple: true, default: [] },
      'boot-slot': { type: 'string', multiple: true, default: [] },
      fuse: { type: 'string', multiple: true, default: [] },
      lock: { type: 'boolean', default: false },
      'min-bootloader': { type: 'string' },
      'rollback-index': { type: 'string', default: '0' },
      key: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
    },
    strict: true,
  });
  const missing = [values.product.length === 0 && '--product', !values.version && '--version', values.partition.length === 0 && '--partition', values.key.length === 0 && '--key', !values.out && '--out'].filter(Boolean);
  if (missing.length > 0 || !values.version || !values.out) throw new CliError(`missing ${missing.join(', ')}.\nUsage: ${USAGE}`, EXIT_USAGE);
  const bootSlots = keyedValues(values['boot-slot'], '--boot-slot');
  const partitions: PartitionInput[] = values.partition.map((spec) => {
    const [name, path] = splitPair(spec, '--partition');
    const bootSlot = bootSlots.get(name) ?? 'none';
    if (!(BOOT_SLOT_HANDLING as readonly string[]).includes(bootSlot)) {
      throw new CliError(`--boot-slot ${displaySafe(`${name}=${bootSlot}`, 80)}: use none, active or both.`, EXIT_USAGE);
    }
    return { name, path, bootSlot: bootSlot as BootSlotHandling, sparse: values.sparse.includes(name) ? true : undefined };
  });
  for (const name of [...values.sparse, ...bootSlots.keys()]) {
    if (!partitions.some((partition) => partition.name === name)) throw new CliError(`--sparse/--boot-slot name '${displaySafe(name, 64)}' is not a --partition.`, EXIT_USAGE);
  }
  const rollbackIndex = Number(values['rollback-index']);
  if (!/^\d+$/.test(values['rollback-index'])) throw new CliError('--rollback-index: a whole number (0 or more).', EXIT_USAGE);
  const signingKeys = await Promise.all(values.key.map((path) => readPrivateKey(path, io)));
  const progress = progressLine(io);
  const bundle = await createBundle({
    products: values.product,
    hardwareRevisions: values['hw-rev'].length === 0 ? 'any' : values['hw-rev'],
    version: values.version,
    buildId: values['build-id'],
    minBootloaderVersion: values['min-bootloader'] ?? null,
    rollbackIndex,
    partitions,
    fuses: values.fuse,
    lockBootloader: values.lock,
    signingKeys,
    out: values.out,
    onProgress: progress.update,
  });
  progress.done();
  io.out(`Created ${bundle.kind} bundle ${displaySafe(bundle.location)}\n`);
  io.out(describe(bundle.manifest, bundle.signer, bundle.manifestSha256));
  return 0;
}

const HANDSET_OPTIONS = {
  product: { type: 'string' },
  'hw-rev': { type: 'string' },
  bootloader: { type: 'string' },
  'rollback-index': { type: 'string' },
} as const;

async function verify(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...TRUST_OPTIONS, ...HANDSET_OPTIONS, json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  const location = onlyBundle(positionals);
  const handset = handsetFacts(values);
  const trust = await loadTrustFromArgs(values, io);
  const progress = progressLine(io);
  let bundle: VerifiedBundle;
  try {
    bundle = await verifyBundle(location, { trust, onProgress: (step) => progress.update(`bundle (now ${step.partition})`, step.overallDone, step.overallTotal) });
  } catch (error) {
    progress.done();
    if (values.json && error instanceof BundleError) {
      io.out(jsonLine({ valid: false, location, code: error.code, message: error.message }));
      return 1;
    }
    throw error;
  }
  progress.done();
  const fit = handset ? checkBundleFits(bundle.manifest, handset) : null;
  const problems = fit && !fit.fits ? fit.problems : [];
  if (values.json) {
    const { manifest, signer, manifestSha256, kind } = bundle;
    const report = { valid: true, location, kind, manifestSha256, signer, demo: signer.demo, manifest };
    io.out(jsonLine(fit ? { ...report, fits: fit.fits, problems } : report));
    return problems.length === 0 ? 0 : 1;
  }
  const demoWarning = bundle.signer.demo ? ' — signed with the DEMO KEY — NOT FOR PRODUCTION' : '';
  io.out(`VALID ${bundle.kind} bundle ${displaySafe(location)}${demoWarning}\n`);
  io.out(describe(bundle.manifest, bundle.signer, bundle.manifestSha256));
  if (problems.length > 0) {
    throw new CliError(`the bundle is valid but does not fit this handset:\n${problems.map((problem) => `  [${problem.code}] ${problem.message}`).join('\n')}`);
  }
  if (fit) io.out('  fits the handset described.\n');
  return 0;
}

function handsetFacts(values: { product?: string; 'hw-rev'?: string; bootloader?: string; 'rollback-index'?: string }): HandsetFacts | null {
  const given = [values.product, values['hw-rev'], values.bootloader, values['rollback-index']].some((value) => value !== undefined);
  if (!given) return null;
  if (values.product === undefined || values['hw-rev'] === undefined || values.bootloader === undefined) {
    throw new CliError('to check that the bundle fits a handset, pass --product, --hw-rev and --bootloader together (and --rollback-index if the handset reports one).', EXIT_USAGE);
  }
  const rollback = values['rollback-index'];
  if (rollback !== undefined && !/^\d{1,10}$/.test(rollback)) throw new CliError('--rollback-index: a whole number (0 or more).', EXIT_USAGE);
  return { product: values.product, hwRevision: values['hw-rev'], bootloaderVersion: values.bootloader, ...(rollback === undefined ? {} : { rollbackIndex: Number(rollback) }) };
}

/**
 * The manifest and its signer without hashing the images: quick, says plainly that files were not
 * checked, and still shows a manifest whose signature is refused (marked so, exit 1).
 */
async function inspect(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...TRUST_OPTIONS, json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  const location = onlyBundle(positionals);
  const trust = await loadTrustFromArgs(values, io);
  const inspected = await withContainer(location, (container) => inspectManifest(container, trust));
  const problem = inspected.signatureProblem;
  if (values.json) {
    const signature = problem ? { valid: false, code: problem.code, message: problem.message } : { valid: true };
    const { signatureKeyIds, sha256: manifestSha256, signer, manifest } = inspected;
    const report = { location, signature, filesChecked: false, signatureKeyIds, manifestSha256, signer, manifest };
    io.out(jsonLine(report));
    return problem ? 1 : 0;
  }
  if (problem) {
    io.out(`Bundle ${displaySafe(location)}: SIGNATURE REFUSED [${problem.code}] — `);
    io.out('the manifest below is NOT trusted and this bundle will not be flashed\n');
    io.out(`  signed by    ${inspected.signatureKeyIds.length === 0 ? '(nobody)' : inspected.signatureKeyIds.join(', ')}\n`);
    io.out(describeManifest(inspected.manifest, inspected.sha256));
    throw problem;
  }
  io.out(`Bundle ${displaySafe(location)}: signature valid; image files NOT checked (run 'lockstep bundle verify' for that)\n`);
  io.out(describe(inspected.manifest, inspected.signer as BundleSigner, inspected.sha256));
  return 0;
}

async function demo(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, 'boot-size': { type: 'string' }, 'system-size': { type: 'string' }, product: { type: 'string' } },
    strict: true,
  });
  if (!values.out) throw new CliError(`--out is required.\nUsage: ${USAGE}`, EXIT_USAGE);
  const progress = progressLine(io);
  const bundle = await generateDemoBundle({
    out: values.out,
    product: values.product,
    bootImageBytes: values['boot-size'] === undefined ? DEMO_DEFAULTS.bootImageBytes : parseByteSize(values['boot-size'], '--boot-size'),
    systemImageBytes: values['system-size'] === undefined ? DEMO_DEFAULTS.systemImageBytes : parseByteSize(values['system-size'], '--system-size'),
    onProgress: progress.update,
  });
  progress.done();
  io.out(`Created DEMO bundle ${displaySafe(bundle.location)} — signed with the DEMO KEY — NOT FOR PRODUCTION; `);
  io.out('it verifies only with --demo\n');
  io.out(describe(bundle.manifest, bundle.signer, bundle.manifestSha256));
  return 0;
}

function describe(manifest: BundleManifest, signer: BundleSigner, manifestSha256: string): string {
  const lines = [`  signed by    ${signer.keyId}  ${displaySafe(signer.label)}`, describeManifest(manifest, manifestSha256).trimEnd()];
  if (signer.demo) lines.push('  !! DEMO KEY — NOT FOR PRODUCTION: anyone can sign with this key; never flash such a bundle onto a real handset.');
  return `${lines.join('\n')}\n`;
}

/** A manifest's fields, all schema-checked (so free of control characters) before they get here. */
function describeManifest(manifest: BundleManifest, manifestSha256: string): string {
  const lines = [
    `  manifest     sha256 ${manifestSha256}`,
    `  products     ${manifest.products.join(', ')}  (hardware revisions: ${manifest.hardwareRevisions === 'any' ? 'any' : manifest.hardwareRevisions.join(', ')})`,
    `  version      ${manifest.version}  build ${manifest.buildId}  created ${manifest.createdAt}`,
    `  bootloader   ${manifest.minBootloaderVersion === null ? 'any version' : `at least ${manifest.minBootloaderVersion}`};  anti-rollback index ${manifest.rollbackIndex}`,
    `  policy       fuses: ${manifest.policy.fuses.length === 0 ? 'none' : manifest.policy.fuses.join(', ')};  lock bootloader: ${manifest.policy.lockBootloader ? 'yes' : 'no'}`,
    '  partitions',
    ...manifest.partitions.map(
      (partition) =>
        `    ${partition.name.padEnd(12)} ${partition.file}  ${partition.size} bytes  ${partition.sparse ? `sparse → ${partition.expanded.size} bytes` : 'raw'}  boot slot ${partition.bootSlot}  sha256 ${partition.sha256}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** A status line on a terminal, redrawn at most a few times a second; silent when output is piped. */
function progressLine(io: CliIo): { update: (label: string, done: number, total: number) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    update(label, done, total) {
      const now = Date.now();
      if (!io.isTty || (now - last < 200 && done < total)) return;
      last = now;
      shown = true;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      io.err(`\r  hashing ${label}: ${(done / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB (${percent}%)   `);
    },
    done() {
      if (shown) io.err('\n');
    },
  };
}

function onlyBundle(positionals: string[]): string {
  const [location, ...extra] = positionals;
  if (!location || extra.length > 0) throw new CliError(`pass exactly one bundle (a directory or a .zip).\nUsage: ${USAGE}`, EXIT_USAGE);
  return location;
}

function splitPair(spec: string, option: string): [string, string] {
  const at = spec.indexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new CliError(`${option} ${displaySafe(spec, 80)}: expected NAME=VALUE.`, EXIT_USAGE);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

function keyedValues(specs: readonly string[], option: string): Map<string, string> {
  return new Map(specs.map((spec) => splitPair(spec, option)));
}

async function readPrivateKey(path: string, io: CliIo): Promise<KeyObject> {
  const shown = displaySafe(path);
  let text: string;
  let mode: number;
  try {
    [text, { mode }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (error) {
    const reason = describeFailure(error);
    throw new KeyFileError('KEY_FILE_UNREADABLE', `cannot read signing key ${shown} (${reason}). Create one with 'lockstep keys generate --out DIR'.`, {
      cause: error,
      detail: 'KEY_FILE_UNREADABLE',
      params: { file: shown },
    });
  }
  const parsed = parseKeyPem(text, shown);
  if (parsed.kind !== 'private') {
    throw new KeyFileError('KEY_FILE_INVALID', `${shown} is a public key; --key needs the private key (NAME.key.pem) to sign.`, {
      detail: 'KEY_FILE_NOT_PRIVATE',
      params: { file: shown },
    });
  }
  // Like ssh: a signing key others can read may already be someone else's signing key too.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const modeText = (mode & 0o777).toString(8);
    io.err(`warning: signing key ${shown} is readable by other users (mode ${modeText}); restrict it with 'chmod 600 ${shown}'.\n`);
  }
  return parsed.key;
}
