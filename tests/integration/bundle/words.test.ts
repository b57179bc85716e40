// Issue 20 #5: a bundle the station refuses is worded in the operator's language. Each refusal comes from a real
// damaged or hostile bundle; its error names the finding (a key) and the values it quotes (escaped), and the UI's
// words for that key, in English and Chinese, state the finding with every value filled in. The English sentence
// stays the station's (the CLI's and the logs').
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TFunction } from 'i18next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError } from '../../../src/main/bundle/errors.ts';
import { loadTrustStore } from '../../../src/main/bundle/trust-store.ts';
import { verifyBundle } from '../../../src/main/bundle/verify.ts';
import { uiLanguages, worded as wordedIn } from '../../support/finding-words.ts';
import { buildBundle, resign, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';

const work = tempDir('bundle-words');
afterAll(() => work.remove());

let signing: SigningSetup;
let images: ReturnType<typeof writeImages>;
let bundle: string;
let copies = 0;
let t: Record<'en' | 'zh-CN', TFunction>;

beforeAll(async () => {
  t = await uiLanguages();
  signing = await signingSetup(work.path);
  images = writeImages(join(work.path, 'images'));
  bundle = join(work.path, 'bundle');
  await buildBundle(bundle, images, signing.privateKey);
});

/** A copy of the good bundle, damaged by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = join(work.path, `copy-${copies++}`);
  cpSync(bundle, dir, { recursive: true });
  damage(dir);
  return dir;
}

async function refusal(location: string, trust = signing.trust, signal?: AbortSignal): Promise<BundleError> {
  try {
    await verifyBundle(location, { trust, signal });
  } catch (error) {
    if (error instanceof BundleError) return error;
    throw error;
  }
  throw new Error(`${location} was accepted`);
}

const worded = (error: BundleError) => wordedIn(error, t);

describe("a refused bundle in the operator's language", () => {
  it('a missing image: the file the manifest names', async () => {
    const error = await refusal(damaged((dir) => rmSync(join(dir, 'images', 'boot.img'))));
    expect([error.code, error.detail, error.params]).toEqual(['FILE_MISSING', 'BUNDLE_FILE_MISSING', { file: 'images/boot.img' }]);
    expect(worded(error).zh).toBe('固件包中没有清单列出的文件 images/boot.img：固件包不完整。请从来源重新复制。');
  });

  it('an altered image: its file, partition and both hashes', async () => {
    const error = await refusal(
      damaged((dir) => {
        const path = join(dir, 'images', 'boot.img');
        const bytes = readFileSync(path);
        bytes[10] = (bytes[10] ?? 0) ^ 0xff;
        writeFileSync(path, bytes);
      }),
    );
    expect(error.code).toBe('FILE_HASH_MISMATCH');
    expect(error.params).toMatchObject({ file: 'images/boot.img', partition: 'boot', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    worded(error);
  });

  it('a longer image: its size against the signed one', async () => {
    const error = await refusal(damaged((dir) => appendFileSync(join(dir, 'images', 'boot.img'), Buffer.alloc(10))));
    expect([error.code, error.params]).toEqual(['FILE_SIZE_MISMATCH', { file: 'images/boot.img', partition: 'boot', bytes: '300010', expected: '300000' }]);
    worded(error);
  });

  it('a manifest changed after signing: the key whose signature does not hold', async () => {
    const error = await refusal(damaged((dir) => appendFileSync(join(dir, 'manifest.json'), ' ')));
    expect([error.code, error.params]).toEqual(['BAD_SIGNATURE', { keys: signing.keyId.slice(0, 16) }]);
    worded(error);
  });

  it('a key this station does not trust, an unsigned bundle, a broken signature file', async () => {
    const untrusted = await refusal(bundle, await loadTrustStore({ demo: false }));
    expect([untrusted.code, untrusted.params['keys']]).toEqual(['UNKNOWN_KEY', signing.keyId]);
    worded(untrusted);
    const unsigned = await refusal(damaged((dir) => rmSync(join(dir, 'manifest.sig'))));
    expect([unsigned.code, unsigned.detail]).toEqual(['UNSIGNED', 'NO_SIGNATURE_FILE']);
    worded(unsigned);
    const notJson = await refusal(damaged((dir) => writeFileSync(join(dir, 'manifest.sig'), '{')));
    expect([notJson.code, notJson.detail]).toEqual(['SIGNATURE_FILE_INVALID', 'SIGNATURE_FILE_NOT_JSON']);
    worded(notJson);
  });

  it('a manifest that breaks the format: how many problems and the first field', async () => {
    const error = await refusal(
      damaged((dir) =>
        resign(dir, signing.privateKey, (manifest) => {
          manifest['rollbackIndex'] = 'four';
        }),
      ),
    );
    expect([error.code, error.detail, error.params]).toEqual(['MANIFEST_INVALID', 'MANIFEST_SCHEMA', { field: 'rollbackIndex', count: '1' }]);
    worded(error);
  });

  it('no bundle, a folder that is not one, a file that is not a zip, and a hostile path escaped once', async () => {
    const hostile = join(work.path, 'no\u202ebundle');
    const missing = await refusal(hostile);
    expect([missing.code, missing.params['path']]).toEqual(['BUNDLE_NOT_FOUND', hostile.replace('\u202e', '\\u202E')]);
    worded(missing);
    const empty = await refusal(join(work.path, 'images'));
    expect(empty.code).toBe('MANIFEST_MISSING');
    worded(empty);
    const text = join(work.path, 'not-a-zip.zip');
    writeFileSync(text, 'not a zip');
    const notZip = await refusal(text);
    expect([notZip.code, notZip.detail]).toEqual(['CONTAINER_INVALID', 'ZIP_UNREADABLE']);
    worded(notZip);
  });

  it('a verification the station cancelled: nothing of the bundle used', async () => {
    const error = await refusal(bundle, signing.trust, AbortSignal.abort());
    expect([error.code, error.detail]).toEqual(['CANCELLED', null]);
    expect(worded(error).zh).toBe('工作站在接受固件包之前停止了读取；其任何内容都未被使用。');
  });
});
