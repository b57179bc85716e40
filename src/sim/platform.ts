// What every virtual handset shares whatever its model: the partition layout of the reference
// handset (DESIGN.md, "The handset contract"), the A/B slots, the OTP fuse geometry and the
// fastboot packet limits. What differs per model (dialects, fuse map, identity) is in models/.

const MIB = 1024 * 1024;

export interface PartitionSpec {
  readonly name: string;
  readonly size: number;
  /** Answer to `getvar:partition-type:<name>`. */
  readonly type: string;
}

export const REFERENCE_PARTITIONS: readonly PartitionSpec[] = [
  { name: 'boot_a', size: 64 * MIB, type: 'raw' },
  { name: 'boot_b', size: 64 * MIB, type: 'raw' },
  { name: 'system_a', size: 2048 * MIB, type: 'raw' },
  { name: 'system_b', size: 2048 * MIB, type: 'raw' },
  { name: 'vendor_a', size: 512 * MIB, type: 'raw' },
  { name: 'vendor_b', size: 512 * MIB, type: 'raw' },
  { name: 'misc', size: 1 * MIB, type: 'raw' },
  { name: 'userdata', size: 4096 * MIB, type: 'ext4' },
];

/** Base names for which `getvar:has-slot:<name>` answers yes. */
export const SLOTTED_PARTITIONS: readonly string[] = ['boot', 'system', 'vendor'];

export const BOOT_SLOTS = ['a', 'b'] as const;
export type BootSlot = (typeof BOOT_SLOTS)[number];

/** OTP fuse geometry: banks × words of 32 bits. Each model's fuse map places its bits in it. */
export const FUSE_BANKS = 8;
export const FUSE_WORDS_PER_BANK = 8;

/** The fastboot protocol version this bootloader reports (`getvar:version`). */
export const FASTBOOT_PROTOCOL_VERSION = '0.4';

/** A fastboot packet (command or response, code included) is at most this many bytes. */
export const FASTBOOT_PACKET_LIMIT = 64;
