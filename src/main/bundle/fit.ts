// Precheck: does a verified bundle fit this handset? Every reason it does not is reported, so the
// operator sees the whole story at once. Values come from the handset and are hostile: they are
// compared as given and only shown through displaySafe.
import type { BundleManifest, FitProblem } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';

export interface HandsetFacts {
  readonly product: string;
  readonly hwRevision: string;
  readonly bootloaderVersion: string;
  /** The anti-rollback index the handset reports, when its profile says how to read one. */
  readonly rollbackIndex?: number;
}

export type FitResult = { readonly fits: true } | { readonly fits: false; readonly problems: readonly FitProblem[] };

export function checkBundleFits(manifest: BundleManifest, device: HandsetFacts): FitResult {
  const problems: FitProblem[] = [];
  if (!manifest.products.includes(device.product)) {
    const params = { product: displaySafe(device.product, 64), products: manifest.products.join(', ') };
    problems.push({ code: 'WRONG_PRODUCT', message: `the handset's product is ${params.product}; this bundle is for ${params.products}. Use the bundle built for this product.`, params });
  }
  if (manifest.hardwareRevisions !== 'any' && !manifest.hardwareRevisions.includes(device.hwRevision)) {
    const params = { revision: displaySafe(device.hwRevision, 64), revisions: manifest.hardwareRevisions.join(', ') };
    problems.push({
      code: 'WRONG_HARDWARE_REVISION',
      message: `the handset is hardware revision ${params.revision}; this bundle supports ${params.revisions}. Use a bundle built for this revision.`,
      params,
    });
  }
  if (manifest.minBootloaderVersion !== null && compareVersions(device.bootloaderVersion, manifest.minBootloaderVersion) < 0) {
    const params = { version: displaySafe(device.bootloaderVersion, 64), needed: manifest.minBootloaderVersion };
    problems.push({
      code: 'BOOTLOADER_TOO_OLD',
      message: `the handset's bootloader ${params.version} is older than the ${params.needed} this bundle needs. Update the bootloader first, or set the handset aside.`,
      params,
    });
  }
  if (device.rollbackIndex !== undefined && device.rollbackIndex > manifest.rollbackIndex) {
    problems.push({
      code: 'ROLLBACK',
      message: `the handset's anti-rollback index is ${device.rollbackIndex}, above this bundle's ${manifest.rollbackIndex}: flashing it would be a downgrade the handset must refuse. Use a newer bundle.`,
      params: { index: String(device.rollbackIndex), bundleIndex: String(manifest.rollbackIndex) },
    });
  }
  return problems.length === 0 ? { fits: true } : { fits: false, problems };
}

/**
 * Orders version strings the way people read them: runs of digits compare as numbers, other runs
 * as text, so 1.10 > 1.9 and 2.0-rc1 < 2.0-rc2. Negative when `a` is older than `b`.
 */
export function compareVersions(a: string, b: string): number {
  const left = tokens(a);
  const right = tokens(b);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index];
    const y = right[index];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const order = /^\d/.test(x) && /^\d/.test(y) ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return 0;
}

function tokens(version: string): string[] {
  return version.slice(0, 256).match(/\d+|\D+/g) ?? [];
}

/** Compares digit runs of any length without converting them (a hostile 300-digit "version" stays exact). */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, '');
  const b = y.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
