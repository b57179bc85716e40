// The verify step against a fake bootloader: the handset's own hash of every written partition must
// equal the manifest's, or the handset stops with VERIFY_MISMATCH before anything irreversible.
import { describe, expect, it } from 'vitest';
import { verify } from '../../../src/main/pipeline/steps/verify.ts';
import { expectData, failure, FakeBootloader, harness, sha256 } from './step-harness.ts';

const BOOT = Buffer.alloc(4096, 0xb0);
const SYSTEM = Buffer.alloc(8192, 0x5e);
const PARTITIONS = [
  { name: 'boot', sha256: sha256(BOOT), size: BOOT.length },
  { name: 'system', sha256: sha256(SYSTEM), size: SYSTEM.length },
];

/** A handset whose partitions hold `boot` and `system`, after a flash step that did not read their hashes. */
function setup(boot: Buffer, system: Buffer) {
  const bootloader = new FakeBootloader();
  bootloader.partitions.set('boot', boot).set('system', system);
  const result = harness('verify', { bootloader, partitions: PARTITIONS, facts: { verified: false } });
  result.facts.targets = result.context.batch.bundle.manifest.partitions.map((partition) => ({ partition, target: partition.name }));
  return { bootloader, ...result };
}

describe('the verify step', () => {
  it("passes when every partition reads back the bundle's hash, journaling the handset's hashes", async () => {
    const { context, facts } = setup(BOOT, SYSTEM);
    const outcome = await verify.run(context);
    expect(outcome).toEqual({ status: 'passed', data: { partitions: [{ name: 'boot', sha256: sha256(BOOT) }, { name: 'system', sha256: sha256(SYSTEM) }] }, detail: 'readback matches the manifest' });
    expectData('verify', 'passed', outcome.data);
    expect(facts.verified).toBe(true);
  });

  it("raises VERIFY_MISMATCH naming the partition whose hash differs, journaling each partition's expected and actual hash", async () => {
    const corrupt = Buffer.from(SYSTEM);
    corrupt[100] = 0;
    const { context, facts } = setup(BOOT, corrupt);
    const error = await failure(verify.run(context));
    expect(error.code).toBe('VERIFY_MISMATCH');
    expect(error.message).toBe("the handset's hash of system does not match the bundle");
    expect(error.data).toEqual({
      partitions: [
        { name: 'boot', expected: sha256(BOOT), actual: sha256(BOOT) },
        { name: 'system', expected: sha256(SYSTEM), actual: sha256(corrupt) },
      ],
    });
    expectData('verify', 'failed', error.data);
    expect(facts.verified).toBe(false);
    // The record of the failed handset shows what the handset read.
    expect(facts.partitions).toEqual([{ name: 'boot', sha256: sha256(BOOT) }, { name: 'system', sha256: sha256(corrupt) }]);
  });

  it('journals a partition the handset never wrote as the hash of what it holds', async () => {
    const { context } = setup(BOOT, Buffer.alloc(0));
    const error = await failure(verify.run(context));
    expect(error.data).toMatchObject({ partitions: [{ name: 'boot' }, { name: 'system', expected: sha256(SYSTEM), actual: sha256(Buffer.alloc(SYSTEM.length)) }] });
    expectData('verify', 'failed', error.data);
  });

  it('does not ask again when the flash step already found every partition right', async () => {
    const { context, bootloader, facts } = setup(BOOT, SYSTEM);
    facts.verified = true;
    facts.partitions = [{ name: 'boot', sha256: sha256(BOOT) }];
    expect(await verify.run(context)).toMatchObject({ status: 'passed', data: { partitions: [{ name: 'boot', sha256: sha256(BOOT) }] } });
    expect(bootloader.commands).toEqual([]);
  });
});
