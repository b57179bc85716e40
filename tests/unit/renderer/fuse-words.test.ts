// Fuses in words (issue 20 #8): each fuse a shipped profile names has words in both languages, keyed
// by a code of the shared fuse grammar; the code stays beside the words; a code without words, or a
// string that is no fuse name at all, is shown as itself, escaped, and never looks up other text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInstance, type TFunction } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuseInWords, fusesInWords } from '../../../src/renderer/src/fuse-words.ts';
import { en } from '../../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../../src/renderer/src/i18n/zh-CN.ts';
import { FUSE_NAME } from '../../../src/shared/identifiers.ts';
import { referenceModel } from '../../../src/sim/models/reference.ts';

const PROFILES = join(import.meta.dirname, '../../../resources/profiles');

/** The fuse codes of the device profiles the station ships, and of the simulator's reference handset. */
function shippedFuses(): string[] {
  const fromProfiles = readdirSync(PROFILES)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => Object.keys((JSON.parse(readFileSync(join(PROFILES, name), 'utf8')) as { fuses: Record<string, unknown> }).fuses));
  return [...new Set([...fromProfiles, ...Object.keys(referenceModel.fuses)])];
}

describe('fuses in words', () => {
  const t: Record<'en' | 'zh-CN', TFunction> = {} as never;
  beforeAll(async () => {
    for (const [language, messages] of [['en', en], ['zh-CN', zhCN]] as const) {
      const i18n = createInstance();
      await i18n.init({ lng: language, resources: { [language]: { translation: messages } }, interpolation: { escapeValue: false } });
      t[language] = i18n.t;
    }
  });

  it('words every fuse of the shipped profiles in both languages, keyed by codes of the fuse grammar', () => {
    const fuses = shippedFuses();
    expect(fuses).toEqual(expect.arrayContaining(['CAMERA_DISABLE', 'GPS_DISABLE', 'SECURE_BOOT']));
    for (const code of fuses) {
      expect(Object.keys(en.fuseWords), code).toContain(code);
      expect(Object.keys(zhCN.fuseWords), code).toContain(code);
    }
    for (const code of Object.keys(en.fuseWords)) expect(code).toMatch(FUSE_NAME);
  });

  it('says what a fuse does with its code beside it, in the operator language', () => {
    expect(fuseInWords('CAMERA_DISABLE', t.en)).toBe('CAMERA_DISABLE (permanently disables the camera)');
    expect(fuseInWords('GPS_DISABLE', t['zh-CN'])).toBe('GPS_DISABLE（永久禁用 GPS 定位）');
    expect(fusesInWords(['CAMERA_DISABLE', 'GPS_DISABLE'], t.en)).toBe(
      'CAMERA_DISABLE (permanently disables the camera) and GPS_DISABLE (permanently disables GPS)',
    );
  });

  it('shows a fuse it has no words for as its code alone, and anything else escaped, never as other text', () => {
    expect(fuseInWords('BOOTROM_JTAG_OFF', t.en)).toBe('BOOTROM_JTAG_OFF');
    // Not codes of the grammar: a key path, a namespace, a bidi override; each is shown as it is, escaped.
    expect(fuseInWords('confirm.abortTitle', t.en)).toBe('confirm.abortTitle');
    expect(fuseInWords('translation:fuseNamed', t.en)).toBe('translation:fuseNamed');
    expect(fuseInWords('CAMERA\u202eDISABLE', t.en)).toBe('CAMERA\\u202EDISABLE');
    expect(fuseInWords('', t.en)).toBe('');
  });
});
