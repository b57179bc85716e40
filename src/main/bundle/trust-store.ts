// The public keys a station accepts bundle signatures from: the station's own folder
// (resources/keys, shipped with the app), any folders the operator adds (`--trust DIR`), and the
// DEMO key only when demo mode is asked for explicitly.
import { describeFailure } from '../../shared/describe-failure.ts';
import type { KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_KEY_LABEL } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { demoKey } from './demo-key.ts';
import { KeyFileError, keyIdOf, MAX_KEY_FILE_BYTES, parseKeyPem } from './keys.ts';
import { resourcesDir } from '../resources-dir.ts';

export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** Where the key came from, for people: a file path, or the DEMO label. */
  readonly label: string;
  readonly demo: boolean;
}

export interface TrustStore {
  readonly keys: ReadonlyMap<string, TrustedKey>;
  readonly demo: boolean;
  /** Files that were skipped, said out loud (a private key left in a trust folder, say). */
  readonly warnings: readonly string[];
}

export interface TrustStoreOptions {
  /** The station's bundled keys; a missing folder simply contributes no key. */
  readonly stationDir?: string;
  /** Folders the operator named; each must exist. */
  readonly userDirs?: readonly string[];
  /** Trust the DEMO key as well. Never set outside demo mode. */
  readonly demo?: boolean;
}

export function defaultStationKeysDir(): string {
  return resourcesDir('keys');
}

export async function loadTrustStore(options: TrustStoreOptions = {}): Promise<TrustStore> {
  const keys = new Map<string, TrustedKey>();
  const warnings: string[] = [];
  const folders: { dir: string; required: boolean }[] = [
    { dir: options.stationDir ?? defaultStationKeysDir(), required: false },
    ...(options.userDirs ?? []).map((dir) => ({ dir, required: true })),
  ];
  for (const { dir, required } of folders) {
    for (const key of await keysInFolder(dir, required, warnings)) keys.set(key.keyId, key);
  }
  if (options.demo) {
    const demo = demoKey();
    keys.set(demo.keyId, { keyId: demo.keyId, publicKey: demo.publicKey, label: DEMO_KEY_LABEL, demo: true });
  }
  return { keys, demo: Boolean(options.demo), warnings };
}

async function keysInFolder(dir: string, required: boolean, warnings: string[]): Promise<TrustedKey[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    const reason = describeFailure(error);
    throw new KeyFileError(
      'TRUST_FOLDER_UNREADABLE',
      `cannot read trust folder ${displaySafe(dir)} (${reason}). Pass a folder holding the public keys (*.pem) you trust.`,
      { cause: error, detail: 'TRUST_FOLDER_UNREADABLE', params: { folder: displaySafe(dir) } },
    );
  }
  const keys: TrustedKey[] = [];
  const demoKeyId = demoKey().keyId;
  for (const name of names.filter((entry) => entry.endsWith('.pem')).sort()) {
    const path = join(dir, name);
    // File names are shown in messages and listings: escape anything that could rewrite a terminal.
    const shown = displaySafe(path);
    const info = await stat(path);
    if (!info.isFile()) continue;
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new KeyFileError('KEY_FILE_INVALID', `${shown} is ${info.size} bytes: not a PEM key. Remove it from the trust folder.`, {
        detail: 'KEY_FILE_TOO_LARGE',
        params: { file: shown, bytes: String(info.size) },
      });
    }
    const parsed = parseKeyPem(await readFile(path, 'utf8'), shown);
    if (parsed.kind === 'private') {
      warnings.push(`${shown} is a private key and was ignored: a trust folder holds public keys only; move the private key somewhere safe.`);
      continue;
    }
    const keyId = keyIdOf(parsed.key);
    // A copy of the published DEMO key in a trust folder would otherwise be trusted as a production key.
    if (keyId === demoKeyId) {
      warnings.push(`${shown} is the ${DEMO_KEY_LABEL} (anyone can sign with it) and was ignored: it is trusted only in demo mode (--demo). Delete it from the trust folder.`);
      continue;
    }
    keys.push({ keyId, publicKey: parsed.key, label: shown, demo: false });
  }
  return keys;
}
