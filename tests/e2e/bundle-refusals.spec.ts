// Issue 20 #5 at batch setup, in English and Chinese: a bundle the station refuses is said in the operator's
// language, the finding itself (which file, which key, which hashes) and not only its kind, with the station's
// English behind the disclosure in Chinese. Each bundle is the station's demo bundle, damaged as a bundle is
// in the field: a manifest changed after signing, an image missing, an image altered. And a refusal that has
// no code (a batch started meanwhile from another front end) is the station's generic words, never raw English.
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { TECHNICIAN } from './depot.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openSignedIn, shoot, untranslated, type Messages } from './ui-flow.ts';

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 120_000 });

const openDepot = depotPerTest();

interface Manifest {
  readonly partitions: readonly { readonly name: string; readonly file: string; readonly sha256: string }[];
}

/** A copy of the bundle at `source`, named `name` and damaged by `damage`. */
function damagedCopy(source: string, name: string, damage: (dir: string, manifest: Manifest) => void): string {
  const dir = join(source, '..', name);
  cpSync(source, dir, { recursive: true });
  damage(dir, JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest);
  return dir;
}

async function verify(page: Page, m: Messages, bundlePath: string): Promise<void> {
  await page.getByLabel(m.setup.bundlePath).fill(bundlePath);
  await page.getByRole('button', { name: m.setup.verify }).click();
}

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('a bundle refused for its signature, a missing image and an altered image, each finding in words', async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: [{ serial: 'BR0001', usbPort: '1-1.1' }], timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 } });
      const problems = await openSignedIn(page, depot.station, rendererUrl, m, TECHNICIAN);
      const alert = page.getByRole('main').getByRole('alert');

      const resigned = damagedCopy(depot.bundlePath, 'changed-after-signing', (dir) => appendFileSync(join(dir, 'manifest.json'), ' '));
      await verify(page, m, resigned);
      await expect(alert).toContainText(m.failure.BAD_SIGNATURE.what);
      await expect(alert).toContainText(m.failureDetail.BAD_SIGNATURE.split('{{keys}}')[1] ?? '');
      expect(await untranslated(page, language, [resigned])).toEqual([]);

      let missingFile = '';
      const incomplete = damagedCopy(depot.bundlePath, 'image-missing', (dir, manifest) => {
        missingFile = manifest.partitions[0]?.file ?? '';
        rmSync(join(dir, missingFile));
      });
      await verify(page, m, incomplete);
      await expect(alert).toContainText(m.failure.FILE_MISSING.what);
      await expect(alert).toContainText(fill(m.failureDetail.BUNDLE_FILE_MISSING, { file: missingFile }));
      expect(await untranslated(page, language, [incomplete])).toEqual([]);

      let altered = { file: '', partition: '', expected: '' };
      const tampered = damagedCopy(depot.bundlePath, 'image-altered', (dir, manifest) => {
        const partition = manifest.partitions[0];
        if (!partition) throw new Error('the demo bundle has no partition');
        altered = { file: partition.file, partition: partition.name, expected: partition.sha256 };
        const bytes = readFileSync(join(dir, partition.file));
        bytes[0] = (bytes[0] ?? 0) ^ 0xff;
        writeFileSync(join(dir, partition.file), bytes);
      });
      await verify(page, m, tampered);
      await expect(alert).toContainText(m.failure.FILE_HASH_MISMATCH.what);
      const [before, after] = m.failureDetail.FILE_HASH_MISMATCH.split('{{sha256}}');
      await expect(alert).toContainText(fill(before ?? '', altered));
      await expect(alert).toContainText(fill(after ?? '', altered));
      expect(await untranslated(page, language, [tampered])).toEqual([]);
      await shoot(page, testInfo, language, 'bundle-refused', { scan: true });

      // The station's own sentence is kept for whoever asks: behind the disclosure, in English.
      await alert.getByText(m.stationOriginal).click();
      await expect(alert.locator('[lang="en"]')).toContainText('the signed manifest says');

      // A refusal without a code: another front end started a batch while this one was setting up.
      await verify(page, m, depot.bundlePath);
      await expect(page.getByTestId('bundle-facts')).toContainText(m.setup.verified);
      await depot.station['batch.start']({ bundlePath: depot.bundlePath, expectedCount: 1 });
      await page.getByRole('button', { name: m.setup.start }).click();
      await expect(alert).toContainText(m.errors.generic);
      expect(await untranslated(page, language)).toEqual([]);
      expect(problems).toEqual([]);
    });
  });
}
