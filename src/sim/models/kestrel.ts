// The Kestrel K2, a second vendor's dialect (resources/profiles/kestrel-k2.json is the station's
// view of it): AOSP core commands, but its own identity variable names, `oem hash sha256` with a
// decimal byte count, `oem efuse read|blow b<bank>w<word>`, `oem lock` instead of `flashing lock`,
// and an OS with `$`-prefixed vendor AT commands.
import { Refusal } from '../refusal.ts';
import { atError, ok, type HandsetModel } from './model.ts';
import { burnFuses, expectArgs, fuseAddress, hex8, lockBootloader, parseNumber, partitionDigest, readFuseWord, UINT32_MAX } from './operations.ts';

const onOff = (on: boolean): string => (on ? 'ON' : 'OFF');

export const kestrelModel: HandsetModel = {
  id: 'kestrel-k2',
  factory: { product: 'kestrel-k2', hwRevision: 'R3', bootloaderVersion: 'KBL-2.0.1', batteryVoltage: '4000', usb: { vendorId: 0x3e2a, productId: 0x0b02 } },
  fuses: {
    SECURE_BOOT: { bank: 0, word: 0, bit: 0 },
    CAMERA_DISABLE: { bank: 1, word: 2, bit: 9 },
    GPS_DISABLE: { bank: 1, word: 2, bit: 12 },
  },
  vendorVariables: (facts) => [
    ['blversion', facts.bootloaderVersion],
    ['hwrev', facts.hwRevision],
    ['device-state', facts.unlocked ? 'unlocked' : 'locked'],
    ['battery-mv', facts.batteryVoltage],
  ],
  async vendorCommand(handset, words, info) {
    const [verb, name, ...args] = words;
    if (verb !== 'oem') throw new Refusal('unknown command');
    if (name === 'hash' && args[0] === 'sha256') {
      const [partition = '', bytes = ''] = expectArgs(args.slice(1), 2, 'usage: oem hash sha256 <partition> <bytes>');
      const digest = await partitionDigest(handset, partition, bytes, 'decimal');
      // Split like the reference digest: `INFO` + `digest=` + 64 digits would overflow the 64-byte packet.
      info(`digest=${digest.slice(0, 32)}`);
      return info(digest.slice(32));
    }
    if (name === 'efuse' && args[0] === 'read') {
      const [address = ''] = expectArgs(args.slice(1), 1, 'usage: oem efuse read b<bank>w<word>');
      const { bank, word } = efuseAddress(address);
      return info(`b${bank}w${word}=${hex8(readFuseWord(handset, bank, word))}`);
    }
    if (name === 'efuse' && args[0] === 'blow') {
      const [address = '', mask = ''] = expectArgs(args.slice(1), 2, 'usage: oem efuse blow b<bank>w<word> <0xMASK>');
      const { bank, word } = efuseAddress(address);
      return burnFuses(handset, bank, word, parseNumber(mask, 'mask', UINT32_MAX, 'hex'));
    }
    if (name === 'lock' && args.length === 0) return lockBootloader(handset, 'device is already locked');
    throw new Refusal('unknown oem command');
  },
  atCommands: {
    'AT+GSN': (system) => ok(system.imei),
    'AT+GMR': async (system) => ok(`+GMR: ${await system.firmwareVersion()}`),
    'AT$CAPS?': ({ reportsPresent }) => ok(`$CAPS: CAM:${onOff(reportsPresent.camera)} GNSS:${onOff(reportsPresent.gps)}`),
    'AT$GNSS=ON': ({ fusedOff }) => (fusedOff.gps ? atError() : ok()),
    'AT$GNSS=OFF': () => ok(),
    'AT$BOOTSTATE?': ({ locked }) => ok(`$BOOTSTATE: ${locked ? 'LOCKED' : 'UNLOCKED'}`),
    'AT$SN?': ({ serial }) => ok(`$SN: ${serial}`),
  },
};

function efuseAddress(text: string): { bank: number; word: number } {
  const match = /^b([0-9]{1,3})w([0-9]{1,3})$/.exec(text);
  if (!match) throw new Refusal('fuse address must be b<bank>w<word>');
  return fuseAddress(Number(match[1]), Number(match[2]));
}
