// What a label says, taken from one provisioning record. The record's strings are exactly what the
// handset sent, so everything printed as text is made inert here (controls and bidi overrides as
// visible escapes, other non-ASCII as \u escapes, capped) and the 2-D code's data is percent-encoded,
// before any backend sees it.
import type { LabelContent, LabelTextField } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { LabelError } from './errors.ts';

/** No label field is longer than this before it is fitted to its box; a 1 MB value costs one slice. */
const MAX_TEXT_CHARS = 96;
/**
 * Encoded characters of the serial and the IMEI in the 2-D code: longer than any real one, and short
 * enough that the longest payload still fits the shipped templates' QR codes.
 */
const MAX_PAYLOAD_SERIAL = 32;
const MAX_PAYLOAD_IMEI = 20;
/** Ends a value cut short in the 2-D code: U+2026 (…) percent-encoded. */
const PAYLOAD_CUT = '%E2%80%A6';
/** Hex digits of the record hash in the 2-D code: 64 bits tie the label to its record. */
export const HASH_PREFIX_CHARS = 16;

/** Asset tags are Code 128 data: the literal characters a tag pattern allows, at most 32. */
const ASSET_TAG = /^[A-Z0-9_./-]{1,32}$/;

/** Text safe for every backend's font: escapes for controls, bidi and anything outside printable ASCII. */
export function labelText(value: string): string {
  let out = '';
  for (const char of displaySafe(value, MAX_TEXT_CHARS)) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += codePoint >= 0x20 && codePoint <= 0x7e ? char : `\\u${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** Characters that stand for themselves in the 2-D payload; everything else is %XX of its UTF-8 bytes. */
const PAYLOAD_PLAIN = /[A-Za-z0-9 ._/:+-]/;

function payloadValue(value: string | null, limit: number): string {
  if (value === null) return '';
  let out = '';
  for (const char of value) {
    const piece = PAYLOAD_PLAIN.test(char) ? char : [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    if (out.length + piece.length > limit) return out + PAYLOAD_CUT;
    out += piece;
  }
  return out;
}

/**
 * The 2-D code's data: `LS1|TAG|SERIAL|IMEI|HASH16`, each value percent-encoded so `|` always
 * separates fields. `LS1` names this layout so a scanner app can tell it from other codes.
 */
export function matrixPayload(tag: string, serial: string, imei: string | null, hash: string): string {
  return ['LS1', tag, payloadValue(serial, MAX_PAYLOAD_SERIAL), payloadValue(imei, MAX_PAYLOAD_IMEI), hash.slice(0, HASH_PREFIX_CHARS)].join('|');
}

/** The label content of a provisioned record that has an asset tag. */
export function labelContent(record: ProvisioningRecord): LabelContent {
  if (record.outcome !== 'provisioned') {
    throw new LabelError('NOT_LABELLABLE', `record ${record.seq} is a failed record; only provisioned handsets get an asset label.`);
  }
  const assetTag = 'assetTag' in record ? record.assetTag : null;
  if (assetTag === null) {
    throw new LabelError('NOT_LABELLABLE', `record ${record.seq} has no asset tag (its batch has no tag pattern), so there is nothing to label.`);
  }
  if (!ASSET_TAG.test(assetTag)) {
    throw new LabelError('NOT_LABELLABLE', `record ${record.seq}'s asset tag ${displaySafe(assetTag, 40)} is not one a tag pattern makes; it is not printed.`);
  }
  return {
    recordSeq: record.seq,
    assetTag,
    serial: record.serial,
    imei: record.imei,
    model: record.product,
    imageVersion: record.bundleVersion,
    date: record.recordedAt.slice(0, 10),
    matrixPayload: matrixPayload(assetTag, record.serial, record.imei, record.hash),
  };
}

/** The text a template's field prints, before fitting. */
export function fieldText(content: LabelContent, field: LabelTextField): string {
  const value = field === 'imei' ? (content.imei ?? '-') : content[field];
  return labelText(value);
}
