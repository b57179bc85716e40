// The Lockstep reference handset (resources/profiles/lockstep-ref.json is the station's view of
// it): AOSP variable names, `oem sha256`, `oem fuse read|prog`, `flashing lock`, and an OS with
// 3GPP-style AT commands plus `+X…` vendor extensions.
import type { SimHandset } from '../handset.ts';
import { Refusal } from '../refusal.ts';
import { atError, ok, type HandsetModel } from './model.ts';
import { burnFuses, expectArgs, fuseAddress, hex8, lockBootloader, parseNumber, partitionDigest, readFuseWord, UINT32_MAX } from './operations.ts';

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
const presence = (present: boolean): string => (present ? 'PRESENT' : 'ABSENT');

export const referenceModel: HandsetModel = {
  id: 'lockstep-ref',
  // Google's fastboot USB identity, which AOSP's client and udev rules recognise.
  factory: { product: 'lockstep-ref', hwRevision: 'B2', bootloaderVersion: 'LSBL-1.4.2', batteryVoltage: '4100', usb: { vendorId: 0x18d1, productId: 0x4ee0 } },
  fuses: {
    SECURE_BOOT: { bank: 3, word: 0, bit: 0 },
    CAMERA_DISABLE: { bank: 3, word: 0, bit: 4 },
    GPS_DISABLE: { bank: 3, word: 0, bit: 5 },
  },
  vendorVariables: (facts) => [
    ['version-bootloader', facts.bootloaderVersion],
    ['hw-revision', facts.hwRevision],
    ['unlocked', yesNo(facts.unlocked)],
    ['battery-voltage', facts.batteryVoltage],
  ],
  async vendorCommand(handset, words, info) {
    const [verb, ...args] = words;
    if (verb === 'oem') return oem(handset, args, info);
    if (verb === 'flashing') return flashing(handset, args, info);
    throw new Refusal('unknown command');
  },
  atCommands: {
    'AT+CGSN': (system) => ok(system.imei),
    'AT+CGMR': async (system) => ok(await system.firmwareVersion()),
    'AT+XCAPS?': ({ reportsPresent }) => ok(`+XCAPS: CAMERA=${presence(reportsPresent.camera)},GPS=${presence(reportsPresent.gps)}`),
    // 3GPP's "operation not supported": the receiver is fused off, not merely switched off.
    'AT+CGPS=1': ({ fusedOff }) => (fusedOff.gps ? atError('+CME ERROR: 4') : ok()),
    'AT+CGPS=0': () => ok(),
    'AT+XBLSTATE?': ({ locked }) => ok(`+XBLSTATE: ${locked ? 'LOCKED' : 'UNLOCKED'}`),
    'AT+XSERIAL?': ({ serial }) => ok(`+XSERIAL: ${serial}`),
  },
};

async function oem(handset: SimHandset, args: readonly string[], info: (text: string) => void): Promise<void> {
  const [name, ...rest] = args;
  if (name === 'sha256') {
    const [partition = '', bytes = ''] = expectArgs(rest, 2, 'usage: oem sha256 <partition> <bytes>');
    // 64 hex digits do not fit one packet (4-byte code + 60 bytes), so the digest comes as two INFO
    // lines of 32 digits; hosts concatenate the INFO text of the command.
    const digest = await partitionDigest(handset, partition, bytes, 'either');
    info(digest.slice(0, 32));
    return info(digest.slice(32));
  }
  if (name === 'fuse' && rest[0] === 'read') {
    const [bank = '', word = ''] = expectArgs(rest.slice(1), 2, 'usage: oem fuse read <bank> <word>');
    const address = fuseAddress(parseNumber(bank, 'bank', UINT32_MAX), parseNumber(word, 'word', UINT32_MAX));
    return info(hex8(readFuseWord(handset, address.bank, address.word)));
  }
  if (name === 'fuse' && rest[0] === 'prog') {
    const [bank = '', word = '', mask = ''] = expectArgs(rest.slice(1), 3, 'usage: oem fuse prog <bank> <word> <mask>');
    const address = fuseAddress(parseNumber(bank, 'bank', UINT32_MAX), parseNumber(word, 'word', UINT32_MAX));
    return burnFuses(handset, address.bank, address.word, parseNumber(mask, 'mask', UINT32_MAX));
  }
  throw new Refusal('unknown oem command');
}

async function flashing(handset: SimHandset, args: readonly string[], info: (text: string) => void): Promise<void> {
  const [action, ...rest] = args;
  if (rest.length > 0) throw new Refusal('unknown flashing command');
  switch (action) {
    case 'lock':
      return lockBootloader(handset, 'Device already : locked!');
    case 'unlock':
      if (handset.state.unlocked) throw new Refusal('Device already : unlocked!');
      // Unlocking wipes user data on every Android bootloader, so a stolen handset's data is not exposed.
      await handset.partitions.erase('userdata');
      return handset.state.setUnlocked(true);
    case 'get_unlock_ability':
      return info('get_unlock_ability: 1');
  }
  throw new Refusal('unknown flashing command');
}
