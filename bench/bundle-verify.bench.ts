// Bundle verification benchmark: a signed bundle (directory, then the same as a stored zip) holding one 1 GiB raw image, verified
// by the station (signature, then the file streamed through SHA-256 with its checkpoint digests),
// against coreutils `sha256sum` on the same file in the same run. Page cache warm for both, each
// run twice, best of two. Also measured: the flash-time re-read through the verified image source
// (the second hash the flasher pays), the expansion of a sparse image of tiny FILL chunks against
// hashing as many plain bytes, and the peak RSS, which must stay flat whatever the size.
// Target: station verification ≥ 0.9 × sha256sum's throughput.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { createBundle } from '../src/main/bundle/create.ts';
import { demoKey } from '../src/main/bundle/demo-key.ts';
import { verifiedImage } from '../src/main/bundle/image-source.ts';
import { loadTrustStore } from '../src/main/bundle/trust-store.ts';
import { verifyBundle } from '../src/main/bundle/verify.ts';
import { expandedDigest } from '../src/main/bundle/sparse-digest.ts';
import { CHUNK_TYPE } from '../src/lib/sparse/reader.ts';
import { encodeChunk, encodeSparseHeader } from '../src/lib/sparse/writer.ts';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.LOCKSTEP_BENCH_BUNDLE_MIB ?? 1024) * MiB;
const RUNS = 2;
const FILL_CHUNKS = 65_536;
const FILL_BLOCK = 4096;

const work = mkdtempSync(join(tmpdir(), 'lockstep-bundle-bench-'));
try {
  const source = join(work, 'system.img');
  await pipeline(pseudoRandom(SIZE), createWriteStream(source));
  const location = join(work, 'bundle');
  await createBundle({
    products: ['lockstep-ref'],
    hardwareRevisions: 'any',
    version: '1.0.0',
    partitions: [{ name: 'system', path: source, sparse: false }],
    fuses: [],
    lockBootloader: true,
    signingKeys: [demoKey().privateKey],
    out: location,
    demo: true,
  });
  rmSync(source);
  const image = join(location, 'images', 'system.img');
  const trust = await loadTrustStore({ demo: true });

  const sha256sum = await best(async () => {
    const run = spawnSync('sha256sum', [image], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sha256sum failed: ${run.stderr}`);
  });
  const verify = await best(async () => {
    await verifyBundle(location, { trust });
  });
  const bundle = await verifyBundle(location, { trust });
  const reread = await best(async () => {
    for await (const block of verifiedImage(bundle, 'system').open()) void block;
  });

  const zipped = join(work, 'bundle.zip');
  const zip = new yazl.ZipFile();
  for (const name of ['manifest.json', 'manifest.sig', 'images/system.img']) zip.addFile(join(location, name), name, { compress: false });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipped));
  const verifyZip = await best(async () => {
    await verifyBundle(zipped, { trust });
  });

  // A sparse image made of one-block FILL chunks: the expansion must cost about what hashing the
  // expanded bytes costs, however small the chunks (unverified bytes drive this work).
  const fillImage = oneBlockFills(FILL_CHUNKS);
  const fillExpanded = FILL_CHUNKS * FILL_BLOCK;
  const expandFills = await best(async () => {
    await expandedDigest(Readable.from([fillImage]), fillExpanded);
  });
  const hashPlain = await best(async () => {
    const hash = createHash('sha256');
    const zeros = Buffer.alloc(MiB);
    for (let left = fillExpanded; left > 0; left -= MiB) hash.update(zeros);
    hash.digest();
  });

  const rate = (seconds: number): string => `${(SIZE / MiB / seconds).toFixed(0)} MiB/s`;
  process.stdout.write(`image: ${SIZE / MiB} MiB raw, page cache warm, best of ${RUNS}\n`);
  process.stdout.write(`sha256sum (coreutils)            ${sha256sum.toFixed(3)} s  ${rate(sha256sum)}\n`);
  process.stdout.write(`lockstep bundle verification     ${verify.toFixed(3)} s  ${rate(verify)}  ratio ${(sha256sum / verify).toFixed(2)} of sha256sum (target ≥ 0.90)\n`);
  process.stdout.write(`  same bundle as a stored zip     ${verifyZip.toFixed(3)} s  ${rate(verifyZip)}  ratio ${(sha256sum / verifyZip).toFixed(2)} of sha256sum\n`);
  process.stdout.write(`flash-time re-read (image source) ${reread.toFixed(3)} s  ${rate(reread)}  ratio ${(sha256sum / reread).toFixed(2)} of sha256sum\n`);
  process.stdout.write(
    `sparse: ${FILL_CHUNKS} one-block FILL chunks (${fillExpanded / MiB} MiB expanded) ${expandFills.toFixed(3)} s  ratio ${(hashPlain / expandFills).toFixed(2)} of hashing ${fillExpanded / MiB} MiB of plain bytes (${hashPlain.toFixed(3)} s)\n`,
  );
  process.stdout.write(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Runs `work` once to warm the page cache, then RUNS times; returns the best wall time in seconds. */
async function best(work: () => Promise<void>): Promise<number> {
  await work();
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    await work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return fastest;
}

function oneBlockFills(chunks: number): Buffer {
  const parts = [encodeSparseHeader(FILL_BLOCK, chunks, chunks)];
  for (let chunk = 0; chunk < chunks; chunk++) parts.push(encodeChunk(CHUNK_TYPE.FILL, 1, 4, Uint8Array.of(chunk & 0xff, 0x53, 0x54, 0x50)));
  return Buffer.concat(parts);
}

/** Incompressible deterministic bytes (AES-256-CTR keystream), generated at memory speed. */
async function* pseudoRandom(length: number): AsyncGenerator<Uint8Array> {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update('lockstep bundle bench').digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(4 * MiB);
  for (let left = length; left > 0; left -= zeros.length) yield cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
}
