// The demo bundle: deterministic pseudo-random images (one raw, one sparse) signed with the DEMO
// key, so `npm run demo`, the tests and a depot's training station have a bundle without any
// image binary in the repository. Same options, same bytes, same bundle.
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CHUNK_TYPE } from '../../lib/sparse/reader.ts';
import { encodeChunk, encodeSparseHeader } from '../../lib/sparse/writer.ts';
import { createBundle, type BundleCreateOptions } from './create.ts';
import { demoKey } from './demo-key.ts';
import type { VerifiedBundle } from './verify.ts';

const SPARSE_BLOCK_BYTES = 4096;
const GENERATOR_CHUNK_BYTES = 1024 * 1024;

export const DEMO_DEFAULTS = {
  product: 'lockstep-ref',
  hardwareRevisions: ['B1', 'B2'],
  version: '1.0.0-demo',
  bootImageBytes: 2 * 1024 * 1024,
  systemImageBytes: 16 * 1024 * 1024,
} as const;

export interface DemoBundleOptions {
  readonly out: string;
  readonly product?: string;
  readonly version?: string;
  /** Size of the raw boot image (data, zero padding, a footer block). */
  readonly bootImageBytes?: number;
  /** Expanded size of the sparse system image (rounded up to whole 4 KiB blocks, at least 8 of them). */
  readonly systemImageBytes?: number;
  readonly onProgress?: BundleCreateOptions['onProgress'];
}

export async function generateDemoBundle(options: DemoBundleOptions): Promise<VerifiedBundle> {
  const staging = await mkdtemp(join(tmpdir(), 'lockstep-demo-'));
  try {
    const boot = join(staging, 'boot.img');
    const system = join(staging, 'system.simg');
    await pipeline(Readable.from(demoBootImage(options.bootImageBytes ?? DEMO_DEFAULTS.bootImageBytes)), createWriteStream(boot));
    const version = options.version ?? DEMO_DEFAULTS.version;
    await pipeline(Readable.from(demoSparseImage(options.systemImageBytes ?? DEMO_DEFAULTS.systemImageBytes, version)), createWriteStream(system));
    return await createBundle({
      products: [options.product ?? DEMO_DEFAULTS.product],
      hardwareRevisions: DEMO_DEFAULTS.hardwareRevisions,
      version,
      buildId: 'DEMO-NOT-FOR-PRODUCTION',
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
      minBootloaderVersion: 'LSBL-1.0.0',
      rollbackIndex: 1,
      partitions: [
        // Raw, as a build ships it; the bundle stores it re-sparsed (its zero padding as a FILL chunk).
        { name: 'boot', path: boot, sparse: false, bootSlot: 'active' },
        { name: 'system', path: system, sparse: true, bootSlot: 'active' },
      ],
      fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
      lockBootloader: true,
      signingKeys: [demoKey().privateKey],
      out: options.out,
      onProgress: options.onProgress,
      demo: true,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** AES-256-CTR over zeros with a key derived from `label`: fast, deterministic, incompressible. */
function* pseudoRandom(label: string, length: number): Generator<Uint8Array> {
  const key = createHash('sha256').update(`lockstep demo image ${label}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(GENERATOR_CHUNK_BYTES);
  for (let left = length; left > 0; left -= GENERATOR_CHUNK_BYTES) {
    yield cipher.update(left >= GENERATOR_CHUNK_BYTES ? zeros : zeros.subarray(0, left));
  }
}

/**
 * A raw boot image laid out as a signed one is: kernel and ramdisk in its first three quarters, zeros
 * up to the partition's size, and the verified-boot footer in its last block. Images of fewer than four blocks are all data.
 */
function* demoBootImage(length: number): Generator<Uint8Array> {
  const blocks = Math.floor(length / SPARSE_BLOCK_BYTES);
  if (blocks < 4) {
    yield* pseudoRandom('boot', length);
    return;
  }
  const data = Math.ceil((blocks * 3) / 4) * SPARSE_BLOCK_BYTES;
  const footer = length - (blocks - 1) * SPARSE_BLOCK_BYTES;
  yield* pseudoRandom('boot', data);
  for (let left = length - data - footer; left > 0; left -= GENERATOR_CHUNK_BYTES) yield new Uint8Array(Math.min(left, GENERATOR_CHUNK_BYTES));
  yield* pseudoRandom('boot footer', footer);
}

/**
 * A sparse image with every chunk kind a real one has: RAW data, a FILL run, DONT_CARE gaps (which
 * the partition must read back as zeros) and a final RAW tail. It opens with the build property
 * line that a booted handset reports as its firmware version (AT+CGMR), so the station's version
 * check has something true to find.
 */
function* demoSparseImage(expandedBytes: number, version: string): Generator<Uint8Array> {
  const blocks = Math.max(8, Math.ceil(expandedBytes / SPARSE_BLOCK_BYTES));
  const head = Math.floor(blocks / 4);
  const fill = Math.floor(blocks / 8);
  const gap = Math.floor(blocks / 4);
  const tail = Math.floor(blocks / 8);
  const trailingGap = blocks - head - fill - gap - tail;
  yield encodeSparseHeader(SPARSE_BLOCK_BYTES, blocks, 5);
  const buildProperty = Buffer.from(`ro.build.display.id=${version}\n`, 'utf8');
  yield encodeChunk(CHUNK_TYPE.RAW, head, head * SPARSE_BLOCK_BYTES);
  yield buildProperty;
  yield* pseudoRandom('system head', head * SPARSE_BLOCK_BYTES - buildProperty.length);
  yield encodeChunk(CHUNK_TYPE.FILL, fill, 4, Uint8Array.of(0x4c, 0x53, 0x54, 0x50));
  yield encodeChunk(CHUNK_TYPE.DONT_CARE, gap, 0);
  yield encodeChunk(CHUNK_TYPE.RAW, tail, tail * SPARSE_BLOCK_BYTES);
  yield* pseudoRandom('system tail', tail * SPARSE_BLOCK_BYTES);
  yield encodeChunk(CHUNK_TYPE.DONT_CARE, trailingGap, 0);
}
