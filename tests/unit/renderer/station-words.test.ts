// Issue 20 #5: the station sends a finding as a key and escaped parameters, and the UI words it in the
// operator's language; a failed AT check by its profile's texts; a transport's status likewise. A value
// from a handset is shown as the station escaped it, once.
import { join, resolve } from 'node:path';
import i18next, { createInstance, type TFunction } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { AtError } from '../../../src/main/at/errors.ts';
import { FastbootFailError } from '../../../src/main/fastboot/errors.ts';
import { asHandsetFault } from '../../../src/main/handset/errors.ts';
import { classifyFailure, StepFailure } from '../../../src/main/pipeline/failure.ts';
import { readProfile } from '../../../src/main/profiles/profile-store.ts';
import { checkTextsLookup } from '../../../src/renderer/src/check-texts.ts';
import { en } from '../../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../../src/renderer/src/i18n/zh-CN.ts';
import { deviceText, stationText } from '../../../src/renderer/src/shown-text.ts';
import { failureDetailText, transportStatusText } from '../../../src/renderer/src/station-words.ts';
import { atCheckSchema, checkSummary, type ProfileSummary } from '../../../src/shared/profile.ts';
import { SYSTEM_CONDITIONS } from '../../../src/shared/types.ts';
import { displaySafe } from '../../../src/shared/untrusted.ts';

const PROFILES = resolve(import.meta.dirname, '../../../resources/profiles');
const HOSTILE = 'LS\u202e01';

describe('station words', () => {
  const t: Record<'en' | 'zh-CN', TFunction> = {} as never;
  let profiles: ProfileSummary[] = [];
  beforeAll(async () => {
    for (const [language, messages] of [['en', en], ['zh-CN', zhCN]] as const) {
      const i18n = createInstance();
      await i18n.init({ lng: language, resources: { [language]: { translation: messages } }, interpolation: { escapeValue: false } });
      t[language] = i18n.t;
    }
    const profile = await readProfile(join(PROFILES, 'lockstep-ref.json'));
    profiles = [{ id: profile.id, name: profile.name, products: profile.match.products, fuses: Object.keys(profile.fuses), source: 'test', checks: profile.at.checks.map(checkSummary) }];
  });

  it("words a step's finding with its escaped values, escaped once", () => {
    const shown = displaySafe(HOSTILE, 64);
    const reason = classifyFailure(new StepFailure('SERIAL_INVALID', `serial ${shown}`, 'Set it aside.', null, { params: { serial: shown } }));
    expect(reason.detail).toEqual({ key: 'SERIAL_INVALID', params: { serial: 'LS\\u202E01' } });
    const zh = failureDetailText(reason, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'));
    expect(zh).toBe('序列号 LS\\u202E01 不是 1-64 个可打印字符，无法安全地打印标签或记录。');
  });

  it('says in the operator\u2019s language how much of a value the station shortened', () => {
    const shown = displaySafe(`${HOSTILE}${'X'.repeat(100)}`, 64);
    expect(shown).toMatch(/…\[truncated 41 chars\]$/);
    const reason = classifyFailure(new StepFailure('SERIAL_INVALID', `serial ${shown}`, 'Set it aside.', null, { params: { serial: shown } }));
    const zh = failureDetailText(reason, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'));
    expect(zh).toContain(`${shown.replace(/…\[truncated 41 chars\]$/, '')}…[另有 41 个字符未显示]`);
    expect(zh).not.toContain('truncated');
    expect(failureDetailText(reason, null, t.en, checkTextsLookup(profiles, 'en'))).toContain('…[41 more characters not shown]');
  });

  it("words a handset's refusal with its own reason quoted, and a step name in the operator's language", () => {
    const refused = classifyFailure(new FastbootFailError('usb:1-1.2', 'flash:system', 'eMMC write error 0x15'));
    expect(failureDetailText(refused, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBe('手机拒绝了 flash:system：eMMC write error 0x15');
    expect(failureDetailText(refused, null, t.en, checkTextsLookup(profiles, 'en'))).toBe('The handset refused flash:system: eMMC write error 0x15');
    const unauthorised = classifyFailure(new StepFailure('NOT_AUTHORISED', 'the fuse step is not authorised', 'Ask.', null, { params: { step: 'fuse' } }));
    expect(failureDetailText(unauthorised, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBe(`${zhCN.steps.fuse}步骤未获授权。`);
  });

  it("names failed checks by their profile's title and advice in the operator's language, English where it has none", () => {
    const reason = classifyFailure(new StepFailure('CHECK_FAILED', 'Camera absent: …', 'Retry.', null, { params: { checks: 'camera-absent,no-such-check' } }));
    const zh = failureDetailText(reason, 'lockstep-ref', t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'));
    expect(zh).toBe('未通过：摄像头已禁用：虽然禁用摄像头的熔丝已熔断，操作系统仍报告有摄像头。 no-such-check');
    const english = failureDetailText(reason, 'lockstep-ref', t.en, checkTextsLookup(profiles, 'en'));
    expect(english).toMatch(/^Failed: Camera absent: The operating system still reports a camera/);
  });

  it('words every finding of a failure that has several, in order', () => {
    const also = [{ key: 'WRONG_HARDWARE_REVISION', params: { revision: 'C1', revisions: 'B2' } }];
    const reason = classifyFailure(new StepFailure('WRONG_PRODUCT', 'two problems', 'Set it aside.', null, { params: { product: 'x9', products: 'lockstep-ref' }, also }));
    expect(failureDetailText(reason, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBe('手机的产品型号是 x9；此固件包适用于 lockstep-ref。 手机的硬件版本是 C1；此固件包支持 B2。');
  });

  it("keeps an AT link's finding when it becomes the handset's fault", () => {
    const silent = new AtError('AT_TIMEOUT', 'ttyACM0 silent', { params: { port: '/dev/ttyACM0', command: 'AT+CGSN', seconds: '10' } });
    const reason = classifyFailure(asHandsetFault(silent));
    expect(failureDetailText(reason, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBe('AT 端口 /dev/ttyACM0 在 10 秒内没有给出 AT+CGSN 的最终结果。');
  });

  it("leaves a finding the UI has no words for to the station's sentence", () => {
    const reason = { code: 'INTERNAL', message: 'boom', action: 'Set it aside.', detail: { key: 'SOMETHING_NEW', params: {} } };
    expect(failureDetailText(reason, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBeNull();
    expect(failureDetailText({ ...reason, detail: null }, null, t['zh-CN'], checkTextsLookup(profiles, 'zh-CN'))).toBeNull();
  });

  it("words a transport's status, the simulated bus by name", () => {
    const status = { transport: 'usb' as const, available: true, detail: 'Simulated USB: 2 handset(s) in fastboot', words: { key: 'usbHandsets' as const, params: { bus: 'simulated', count: '2' } } };
    expect(transportStatusText(status, t['zh-CN'])).toBe('模拟 USB：2 台手机处于 fastboot 模式');
    expect(transportStatusText(status, t.en)).toBe(status.detail);
  });

  it("words every host condition a status line names, and leaves the system's own text to the station's sentence", () => {
    for (const condition of SYSTEM_CONDITIONS) {
      const status = { transport: 'serial' as const, available: true, detail: 'Serial: 0 AT port(s); … (spawn udevadm ENOENT) …', words: { key: 'serialPortsNoListing' as const, params: { count: '0', condition } } };
      for (const language of ['en', 'zh-CN'] as const) {
        const text = transportStatusText(status, t[language]);
        expect(text).toContain(t[language](`systemCondition.${condition}`));
        expect(text).not.toContain('{{');
        expect(text).not.toContain('ENOENT');
      }
    }
    const silent = { key: 'tcpEndpointsSilent' as const, params: { present: '0', total: '2', endpoint: 'tcp:10.0.0.9:5554', condition: 'refused' } };
    expect(transportStatusText({ transport: 'tcp', available: true, detail: '', words: silent }, t['zh-CN'])).toBe(
      'TCP：已配置的 2 个端点中有 0 个以 fastboot 应答；tcp:10.0.0.9:5554 没有应答：连接被拒绝：该处没有程序在监听',
    );
  });
});

describe('a shortened value', () => {
  it("says how much was cut in the operator's language", async () => {
    await i18next.init({ lng: 'zh-CN', resources: { 'zh-CN': { translation: zhCN } }, interpolation: { escapeValue: false } });
    expect(deviceText(`${'A'.repeat(10)}\u202e${'B'.repeat(99)}`, 10)).toBe('AAAAAAAAAA…[另有 100 个字符未显示]');
    expect(stationText('x'.repeat(405))).toBe(`${'x'.repeat(400)}…[另有 5 个字符未显示]`);
    await i18next.changeLanguage('en');
  });
});

describe('check texts in a profile', () => {
  it('every check of the built-in profiles has its title and advice in Chinese', async () => {
    for (const id of ['lockstep-ref', 'kestrel-k2']) {
      const profile = await readProfile(join(PROFILES, `${id}.json`));
      for (const check of profile.at.checks) {
        expect(check.translations['zh-CN']?.title, `${id} ${check.id}`).toMatch(/\S/);
        expect(check.translations['zh-CN']?.failure, `${id} ${check.id}`).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('refuses a language the UI does not speak and empty texts; a check without translations is shown in English', () => {
    const check = { id: 'imei', title: 'IMEI', command: 'AT+CGSN', final: 'ok', pattern: '^(\\d{15})$', expect: 'luhn-imei', records: 'imei', failure: 'No IMEI.', finding: 'defect' };
    expect(atCheckSchema.safeParse({ ...check, translations: { fr: { title: 'IMEI', failure: 'Pas d’IMEI.' } } }).success).toBe(false);
    expect(atCheckSchema.safeParse({ ...check, translations: { 'zh-CN': { title: '', failure: '没有 IMEI。' } } }).success).toBe(false);
    const parsed = atCheckSchema.parse(check);
    const lookup = checkTextsLookup([{ id: 'p', name: 'P', products: [], fuses: [], source: 'test', checks: [checkSummary(parsed)] }], 'zh-CN');
    expect(lookup('p', 'imei')).toEqual({ title: 'IMEI', failure: 'No IMEI.' });
  });
});
