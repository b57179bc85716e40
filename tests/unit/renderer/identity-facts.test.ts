// The detail view's identity readback: human labels in both languages, the lock state as one fact,
// the slot not repeated as identity, and an unknown field kept under its own (escaped) name.
import { createInstance, type TFunction } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityFacts } from '../../../src/renderer/src/identity-facts.ts';
import { en } from '../../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../../src/renderer/src/i18n/zh-CN.ts';

/** What the identify step registers for a handset of the reference model (src/main/pipeline/run-facts.ts). */
const IDENTIFIED = {
  serial: 'LS7A3100',
  product: 'lockstep-ref',
  hwRevision: 'B2',
  bootloaderVersion: 'LSBL-1.4.2',
  lockState: 'yes',
  unlocked: 'true',
  batteryMillivolts: '4100',
  slot: '1-1.3',
};

describe('identity facts', () => {
  const t: Record<'en' | 'zh-CN', TFunction> = {} as never;
  beforeAll(async () => {
    for (const [language, messages] of [['en', en], ['zh-CN', zhCN]] as const) {
      const i18n = createInstance();
      await i18n.init({ lng: language, resources: { [language]: { translation: messages } }, interpolation: { escapeValue: false } });
      t[language] = i18n.t;
    }
  });

  it('labels each known field in the operator language and states the lock once', () => {
    expect(identityFacts(IDENTIFIED, t.en).map(({ label, value }) => [label, value])).toEqual([
      ['Serial number', 'LS7A3100'],
      ['Product', 'lockstep-ref'],
      ['Hardware revision', 'B2'],
      ['Bootloader version', 'LSBL-1.4.2'],
      ['Battery (mV)', '4100'],
      ['Bootloader', 'unlocked'],
    ]);
    const chinese = identityFacts(IDENTIFIED, t['zh-CN']);
    expect(chinese.map(({ label }) => label)).toEqual(['序列号', '产品', '硬件版本', '引导加载程序版本', '电池电压（毫伏）', '引导加载程序']);
    expect(chinese.at(-1)?.value).toBe('未锁定');
  });

  it('labels the serial of a handset identified before profile schema 2 (`serialNumber`) as the serial', () => {
    const { serial, ...rest } = IDENTIFIED;
    expect(identityFacts({ ...rest, serialNumber: serial }, t.en)).toEqual(identityFacts(IDENTIFIED, t.en));
  });

  it('names an unrecognised lock answer, and keeps an unknown field under its escaped name', () => {
    const facts = identityFacts({ lockState: 'maybe\u202E', unlocked: null, 'x\u202Ey': 'v' }, t.en);
    expect(facts).toEqual([
      { key: 'bootloader', label: 'Bootloader', value: 'not recognised (the handset answered maybe\\u202E)' },
      { key: 'other:x\u202Ey', label: 'x\\u202Ey', value: 'v' },
    ]);
    expect(identityFacts({}, t.en)).toEqual([]);
  });
});
