// The reference handset of DESIGN.md ("The handset contract"): what the virtual handset is, as
// opposed to how a scenario configures one instance of it.

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

export const SLOTS = ['a', 'b'] as const;
export type Slot = (typeof SLOTS)[number];

/** OTP fuse geometry: banks × words of 32 bits. Bank 3 word 0 holds the reference fuse map. */
export const FUSE_BANKS = 8;
export const FUSE_WORDS_PER_BANK = 8;

export const FUSE_BITS = { SECURE_BOOT: 1 << 0, CAMERA_DISABLE: 1 << 4, GPS_DISABLE: 1 << 5 } as const;
export const SECURE_BOOT_WORD = { bank: 3, word: 0 } as const;

/** Google's fastboot USB identity, which AOSP's client and udev rules recognise. */
export const DEFAULT_USB_IDS = { vendorId: 0x18d1, productId: 0x4ee0 } as const;

/** The fastboot protocol version this bootloader reports (`getvar:version`). */
export const FASTBOOT_PROTOCOL_VERSION = '0.4';

/** A fastboot packet (command or response, code included) is at most this many bytes. */
export const FASTBOOT_PACKET_LIMIT = 64;
