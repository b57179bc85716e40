// The grammars of the identifiers that travel between bundles, profiles, records and the wire.
// Each is defined here once and imported everywhere: a partition name a bundle accepts must be one
// `flash:` can carry, and a fuse name an authorisation accepts must be one a profile can map.
import { z } from 'zod';

/**
 * Partition names as AOSP bootloaders take them: letters, digits, `_`, `.`, `-`, starting with a
 * letter or digit, and at most 58 characters so `flash:<name>` fits the 64-byte command packet.
 */
export const PARTITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,57}$/;
export const partitionNameSchema = z.string().regex(PARTITION_NAME, 'partition name: 1-58 of A-Z a-z 0-9 _ . -, starting with a letter or digit');

/** Fuse names as device profiles define them and bundles and authorisations cite them (`CAMERA_DISABLE`). */
export const FUSE_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
export const fuseNameSchema = z.string().regex(FUSE_NAME, 'fuse name: 1-64 of A-Z 0-9 _, starting with a letter');

/** Product, hardware revision and profile ids: inert in a fastboot command, a file name, a label or a log. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const identifierSchema = (what: string) => z.string().regex(IDENTIFIER, `${what}: 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`);

/**
 * Serial numbers the station accepts from a handset: printable ASCII without spaces, at most 64, as
 * USB string descriptors and `getvar:serialno` carry them on every real handset. Anything else (control
 * bytes, bidi overrides, megabytes) cannot be labelled or compared safely, so such a handset is refused.
 */
export const SERIAL_NUMBER = /^[\x21-\x7e]{1,64}$/;

/** A SHA-256 digest as the station writes and compares it: 64 lower-case hex digits. The one definition. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const sha256HexSchema = z.string().regex(SHA256_HEX, 'SHA-256: 64 lower-case hex digits');

/** Signing key ids: the SHA-256 of the key's SubjectPublicKeyInfo, so the same grammar under the name errors use. */
export const keyIdSchema = z.string().regex(SHA256_HEX, 'key id: 64 lower-case hex digits');

/** A bundle as batches, authorisations and records name it: the SHA-256 of its manifest. */
export const bundleHashSchema = z.string().regex(SHA256_HEX, 'the bundle hash is the manifest SHA-256 in 64 lower-case hex digits');
