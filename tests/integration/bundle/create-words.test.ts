// Issue 20: creating a bundle and reading key files fail with coded errors like the rest of the station: a code the CLI
// prints ([CODE]: …, through failureText) and a finding with its values that the UI words in English and Chinese (a trust
// folder or key file refused while a bundle is verified reaches the operator's screen). Each failure is caused for real.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TFunction } from 'i18next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleCreateError } from '../../../src/main/bundle/create.ts';
import { KeyFileError } from '../../../src/main/bundle/keys.ts';
import { loadTrustStore } from '../../../src/main/bundle/trust-store.ts';
import { main } from '../../../src/main/cli/main.ts';
import { uiLanguages, worded } from '../../support/finding-words.ts';
import { buildBundle, capture, signingSetup, tempDir, writeImages } from './fixture.ts';

const work = tempDir('bundle-create-words');
afterAll(() => work.remove());
let t: Record<'en' | 'zh-CN', TFunction>;
beforeAll(async () => {
  t = await uiLanguages();
});

async function rejection<T extends Error>(promise: Promise<unknown>, kind: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(kind);
  return error as T;
}

describe('key files and trust folders', () => {
  it('a key file that is not PEM, and a trust folder that is not there: coded, worded in both languages', async () => {
    const dir = join(work.path, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n');
    const notPem = await rejection(loadTrustStore({ stationDir: join(work.path, 'none'), userDirs: [dir] }), KeyFileError);
    expect([notPem.code, notPem.detail, notPem.params]).toEqual(['KEY_FILE_INVALID', 'KEY_FILE_NOT_PEM', { file: join(dir, 'bad.pem') }]);
    worded(notPem, t);
    const missing = join(work.path, 'no-such-folder');
    const folder = await rejection(loadTrustStore({ stationDir: join(work.path, 'none'), userDirs: [missing] }), KeyFileError);
    expect([folder.code, folder.detail, folder.params]).toEqual(['TRUST_FOLDER_UNREADABLE', 'TRUST_FOLDER_UNREADABLE', { folder: missing }]);
    expect(worded(folder, t).zh).toBe(`无法读取信任文件夹 ${missing}：请提供存放您所信任公钥（*.pem）的文件夹。`);
  });

  it('the CLI prints the code before the sentence: a public key as --key, a trust folder that is not there', async () => {
    const signing = await signingSetup(join(work.path, 'cli'));
    const images = writeImages(join(work.path, 'cli'));
    const create = ['bundle', 'create', '--product', 'lockstep-ref', '--version', '1.0', '--partition', `boot=${images.boot}`, '--out', join(work.path, 'cli', 'b')];
    const publicKey = capture();
    expect(await main([...create, '--key', join(signing.trustDir, 'signing.pub.pem')], publicKey)).toBe(1);
    expect(publicKey.stderr()).toMatch(/^lockstep bundle: \[KEY_FILE_INVALID\]: .*signing\.pub\.pem is a public key; --key needs the private key/);
    const list = capture();
    expect(await main(['keys', 'list', '--trust', join(work.path, 'absent')], list)).toBe(1);
    expect(list.stderr()).toMatch(/^lockstep keys: \[TRUST_FOLDER_UNREADABLE\]: cannot read trust folder .*absent/);
  });
});

describe('bundle create', () => {
  it('an output that exists, a field that is not valid, an image that is not sparse: coded, worded in both languages', async () => {
    const signing = await signingSetup(join(work.path, 'create'));
    const images = writeImages(join(work.path, 'create'));
    const out = join(work.path, 'create', 'out');
    await buildBundle(out, images, signing.privateKey);
    const exists = await rejection(buildBundle(out, images, signing.privateKey), BundleCreateError);
    expect([exists.code, exists.detail, exists.params]).toEqual(['CREATE_OUTPUT_EXISTS', 'CREATE_OUTPUT_EXISTS', { path: out }]);
    worded(exists, t);
    const version = await rejection(buildBundle(join(work.path, 'create', 'v'), images, signing.privateKey, { version: '1.0 beta' }), BundleCreateError);
    expect([version.code, version.detail, version.params]).toEqual(['CREATE_OPTIONS_INVALID', 'CREATE_FIELD_INVALID', { field: 'version' }]);
    worded(version, t);
    const forced = buildBundle(join(work.path, 'create', 'forced'), images, signing.privateKey, { partitions: [{ name: 'boot', path: images.boot, sparse: true }] });
    const notSparse = await rejection(forced, BundleCreateError);
    expect([notSparse.code, notSparse.detail, notSparse.params]).toEqual(['CREATE_IMAGE_INVALID', 'CREATE_IMAGE_NOT_SPARSE', { file: images.boot, partition: 'boot' }]);
    worded(notSparse, t);
  });

  it('the CLI prints the code of a refused creation', async () => {
    const signing = await signingSetup(join(work.path, 'create-cli'));
    const images = writeImages(join(work.path, 'create-cli'));
    const args = ['bundle', 'create', '--product', 'lockstep-ref', '--version', '1.0', '--partition', `boot=${images.boot}`, '--key', signing.privateKeyPath];
    const io = capture();
    expect(await main([...args, '--out', join(work.path, 'create-cli')], io)).toBe(1);
    expect(io.stderr()).toMatch(/^lockstep bundle: \[CREATE_OUTPUT_EXISTS\]: .*create-cli already exists: choose a new output path/);
  });
});
