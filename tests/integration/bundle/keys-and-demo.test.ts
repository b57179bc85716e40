// The trust store's folders, `lockstep keys`, bundle creation guards, and the DEMO bundle: made
// deterministically, trusted only with --demo, and labelled wherever it shows up.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleCreateError } from '../../../src/main/bundle/create.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { demoKey } from '../../../src/main/bundle/demo-key.ts';
import { generateSigningKeyPair, KeyFileError } from '../../../src/main/bundle/keys.ts';
import { loadTrustStore } from '../../../src/main/bundle/trust-store.ts';
import { main } from '../../../src/main/cli/main.ts';
import { buildBundle, capture, signingSetup, tempDir, writeImages } from './fixture.ts';

const work = tempDir('bundle-keys');
afterAll(() => work.remove());
const DEMO_LABEL = 'DEMO KEY — NOT FOR PRODUCTION';

describe('trust store', () => {
  it('loads public keys from the station folder and user folders, and skips a private key out loud', async () => {
    const station = join(work.path, 'station');
    const user = join(work.path, 'user');
    mkdirSync(station);
    mkdirSync(user);
    const stationKey = generateSigningKeyPair();
    const userKey = generateSigningKeyPair();
    writeFileSync(join(station, 'depot.pub.pem'), stationKey.publicKeyPem);
    writeFileSync(join(station, 'README.md'), 'not a key');
    writeFileSync(join(user, 'vendor.pub.pem'), userKey.publicKeyPem);
    writeFileSync(join(user, 'oops.key.pem'), userKey.privateKeyPem);
    const trust = await loadTrustStore({ stationDir: station, userDirs: [user] });
    expect([...trust.keys.keys()].sort()).toEqual([stationKey.keyId, userKey.keyId].sort());
    expect(trust.warnings).toEqual([expect.stringContaining('oops.key.pem is a private key and was ignored')]);
    expect(trust.keys.has(demoKey().keyId)).toBe(false);
    expect((await loadTrustStore({ stationDir: station, demo: true })).keys.get(demoKey().keyId)?.label).toBe(DEMO_LABEL);
  });

  it('never trusts a copy of the DEMO key found in a trust folder as a production key', async () => {
    const dir = join(work.path, 'demo-copy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'publisher.pub.pem'), demoKey().publicKey.export({ type: 'spki', format: 'pem' }));
    const trust = await loadTrustStore({ stationDir: dir });
    expect(trust.keys.size).toBe(0);
    expect(trust.warnings).toEqual([expect.stringContaining(`publisher.pub.pem is the ${DEMO_LABEL} (anyone can sign with it) and was ignored`)]);
    expect((await loadTrustStore({ stationDir: dir, demo: true })).keys.get(demoKey().keyId)).toMatchObject({ label: DEMO_LABEL, demo: true });

    const bundle = join(dir, 'demo-bundle');
    await generateDemoBundle({ out: bundle, bootImageBytes: 4096, systemImageBytes: 64 * 1024 });
    const io = capture();
    expect(await main(['bundle', 'verify', bundle, '--trust', dir], io)).toBe(1);
    expect(io.stderr()).toMatch(/\[DEMO_KEY_NOT_TRUSTED\]/);
  });

  it('refuses an unreadable PEM, a non-Ed25519 key and a missing user folder, naming the file', async () => {
    const dir = join(work.path, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN PUBLIC KEY-----\n=cmd|calc\n-----END PUBLIC KEY-----\n');
    await expect(loadTrustStore({ stationDir: join(work.path, 'none'), userDirs: [dir] })).rejects.toThrow(/bad\.pem is not a readable PEM key/);
    const rsa = join(work.path, 'rsa');
    mkdirSync(rsa);
    writeFileSync(join(rsa, 'rsa.pem'), generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }));
    await expect(loadTrustStore({ stationDir: join(work.path, 'none'), userDirs: [rsa] })).rejects.toThrow(/rsa\.pem holds a rsa key; bundles are signed with Ed25519 keys only/);
    await expect(loadTrustStore({ stationDir: join(work.path, 'none'), userDirs: [join(work.path, 'typo')] })).rejects.toBeInstanceOf(KeyFileError);
  });
});

describe('lockstep keys', () => {
  it('never overwrites a key and lists trusted keys', async () => {
    const dir = join(work.path, 'cli-keys');
    const first = capture();
    expect(await main(['keys', 'generate', '--out', dir], first)).toBe(0);
    const again = capture();
    expect(await main(['keys', 'generate', '--out', dir], again)).toBe(1);
    expect(again.stderr()).toContain("a key named 'signing' already exists");
    const list = capture();
    expect(await main(['keys', 'list', '--trust', dir, '--demo'], list)).toBe(0);
    const keyId = /Key id: ([0-9a-f]{64})/.exec(first.stdout())?.[1] ?? 'missing';
    expect(list.stdout()).toContain(`${keyId}  ${join(dir, 'signing.pub.pem')}`);
    expect(list.stdout()).toContain(`${demoKey().keyId}  ${DEMO_LABEL}`);
  });

  it('leaves no private key behind when its public half cannot be written', async () => {
    const dir = join(work.path, 'half-pair');
    mkdirSync(dir);
    writeFileSync(join(dir, 'depot.pub.pem'), 'someone else\'s key');
    const io = capture();
    expect(await main(['keys', 'generate', '--out', dir, '--name', 'depot'], io)).toBe(1);
    expect(io.stderr()).toContain("a key named 'depot' already exists");
    expect(readdirSync(dir)).toEqual(['depot.pub.pem']);
    const notFolder = capture();
    expect(await main(['keys', 'generate', '--out', join(dir, 'depot.pub.pem')], notFolder)).toBe(1);
    expect(notFolder.stderr()).toMatch(/cannot create the folder .*depot\.pub\.pem \(.*\): pass a folder path for --out/);
  });

  it('shows hostile trust-folder file names escaped', async () => {
    const dir = join(work.path, 'hostile-names');
    mkdirSync(dir);
    writeFileSync(join(dir, '\u001b]0;pwned\u0007.pub.pem'), generateSigningKeyPair().publicKeyPem);
    writeFileSync(join(dir, '\u202egnp.key.pem'), generateSigningKeyPair().privateKeyPem);
    const list = capture();
    expect(await main(['keys', 'list', '--trust', dir], list)).toBe(0);
    expect(list.stdout()).toContain('\\x1B]0;pwned\\x07.pub.pem');
    expect(list.stderr()).toContain('warning: ');
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(`${list.stdout()}${list.stderr()}`).not.toContain(raw);
  });
});

describe('bundle create', () => {
  it('checks fields before hashing, never overwrites, and leaves nothing behind on failure', async () => {
    const signing = await signingSetup(join(work.path, 'create'));
    const images = writeImages(join(work.path, 'create'));
    await expect(buildBundle(join(work.path, 'create', 'bad-version'), images, signing.privateKey, { version: '1.0 beta' })).rejects.toThrow(/invalid bundle field version/);
    const out = join(work.path, 'create', 'out');
    await buildBundle(out, images, signing.privateKey);
    await expect(buildBundle(out, images, signing.privateKey)).rejects.toBeInstanceOf(BundleCreateError);
    const notSparse = buildBundle(join(work.path, 'create', 'forced'), images, signing.privateKey, { partitions: [{ name: 'boot', path: images.boot, sparse: true }] });
    await expect(notSparse).rejects.toThrow(/is not a valid sparse image/);
    expect(readdirSync(join(work.path, 'create')).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('refuses a public key as --key and a --sparse name that is not a partition, and warns about a key others can read', async () => {
    const signing = await signingSetup(join(work.path, 'create-cli'));
    const images = writeImages(join(work.path, 'create-cli'));
    const base = ['bundle', 'create', '--product', 'lockstep-ref', '--version', '1.0', '--partition', `boot=${images.boot}`, '--out', join(work.path, 'create-cli', 'b')];
    const publicKey = capture();
    expect(await main([...base, '--key', join(signing.trustDir, 'signing.pub.pem')], publicKey)).toBe(1);
    expect(publicKey.stderr()).toContain('is a public key; --key needs the private key');
    const shared = join(work.path, 'create-cli', 'shared.key.pem');
    writeFileSync(shared, readFileSync(signing.privateKeyPath), { mode: 0o644 });
    const loose = capture();
    expect(await main([...base, '--key', shared], loose)).toBe(0);
    expect(loose.stderr()).toContain(`warning: signing key ${shared} is readable by other users (mode 644); restrict it with 'chmod 600 ${shared}'`);
    const sparse = capture();
    expect(await main([...base, '--key', signing.privateKeyPath, '--sparse', 'system'], sparse)).toBe(64);
    expect(sparse.stderr()).toContain("--sparse/--boot-slot name 'system' is not a --partition");
  });
});

describe('demo bundle', () => {
  it('is byte-for-byte reproducible', async () => {
    const one = await generateDemoBundle({ out: join(work.path, 'demo-1'), bootImageBytes: 64 * 1024, systemImageBytes: 256 * 1024 });
    const two = await generateDemoBundle({ out: join(work.path, 'demo-2.zip'), bootImageBytes: 64 * 1024, systemImageBytes: 256 * 1024 });
    expect(two.manifestSha256).toBe(one.manifestSha256);
    expect(readFileSync(join(work.path, 'demo-1', 'images', 'system.img')).subarray(0, 4).readUInt32LE(0)).toBe(0xed26ff3a);
    expect(one.signer).toEqual({ keyId: demoKey().keyId, label: DEMO_LABEL, demo: true });
  });

  it('verifies only with --demo, and says DEMO KEY wherever it appears', async () => {
    const out = join(work.path, 'demo-cli');
    const made = capture();
    expect(await main(['bundle', 'demo', '--out', out, '--boot-size', '64K', '--system-size', '1M'], made)).toBe(0);
    expect(made.stdout()).toContain(DEMO_LABEL);
    expect(existsSync(join(out, 'manifest.sig'))).toBe(true);

    const terminal = { ...capture(), isTty: true };
    expect(await main(['bundle', 'verify', out, '--demo'], terminal)).toBe(0);
    expect(terminal.stderr()).toMatch(/^\r {2}hashing bundle \(now boot\): 0\.\d of 0\.\d MiB \(\d+%\)/);
    expect(terminal.stderr()).toMatch(/\(100%\) {3}\n$/);

    const refused = capture();
    expect(await main(['bundle', 'verify', out], refused)).toBe(1);
    expect(refused.stderr()).toMatch(/\[DEMO_KEY_NOT_TRUSTED\]/);

    const verified = capture();
    expect(await main(['bundle', 'verify', out, '--demo'], verified)).toBe(0);
    expect(verified.stdout()).toMatch(/^VALID directory bundle .* — signed with the DEMO KEY — NOT FOR PRODUCTION/);
    const json = capture();
    expect(await main(['bundle', 'verify', out, '--demo', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout())).toMatchObject({ valid: true, demo: true, signer: { label: DEMO_LABEL } });

    const inspected = capture();
    expect(await main(['bundle', 'inspect', out, '--demo'], inspected)).toBe(0);
    expect(inspected.stdout()).toContain('image files NOT checked');
    expect(inspected.stdout()).toContain(`!! ${DEMO_LABEL}`);

    const untrusted = capture();
    expect(await main(['bundle', 'inspect', out], untrusted)).toBe(1);
    expect(untrusted.stdout()).toContain('SIGNATURE REFUSED [DEMO_KEY_NOT_TRUSTED] — the manifest below is NOT trusted');
    expect(untrusted.stdout()).toContain(`signed by    ${demoKey().keyId}`);
    expect(untrusted.stdout()).toContain('policy       fuses: CAMERA_DISABLE, GPS_DISABLE;  lock bootloader: yes');
    expect(untrusted.stderr()).toMatch(/bundle refused \[DEMO_KEY_NOT_TRUSTED\]/);
  });
});
