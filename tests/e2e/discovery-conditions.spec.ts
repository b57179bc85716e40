// Issue 20 #5 for the discovery lines: what the host said about a way of reaching handsets is worded in the operator's
// language, and the system's own English stays behind the disclosure. A station on this host's real buses is given,
// in its settings, a TCP endpoint nothing listens on (the loopback's port 1 refuses at once) and one that is no
// endpoint at all; Settings' scan must name both in words, in English and Chinese, with the accessibility scan.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStation } from '../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../src/main/station/settings.ts';
import { ADMIN, seedOperators } from './depot.ts';
import { expect, uiTest as test } from './fixtures.ts';
import { fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openSignedIn, shoot, untranslated } from './ui-flow.ts';

const REFUSING = 'tcp:127.0.0.1:1';
const NO_ENDPOINT = 'not an endpoint';

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 90_000 });

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test("a TCP endpoint that refuses and one that does not parse: named in words, the system's text behind the disclosure", async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-conditions-'));
      seedOperators(dataDir);
      writeFileSync(join(dataDir, SETTINGS_FILE), JSON.stringify({ tcpEndpoints: [REFUSING, NO_ENDPOINT] }));
      const opened = await openStation({ dataDir, fleet: 'hardware' });
      try {
        expect(await openSignedIn(page, opened.station, rendererUrl, m, ADMIN)).toEqual([]);
        await page.getByRole('navigation').getByRole('button', { name: m.nav.settings }).click();
        await page.getByRole('button', { name: m.settings.scan }).click();
        const transports = page.getByRole('list', { name: m.settings.transports });
        const silent = transports.getByRole('listitem').filter({ hasText: REFUSING });
        await expect(silent).toContainText(fill(m.transportStatus.tcpEndpointsSilent, { present: 0, total: 1, endpoint: REFUSING, condition: m.systemCondition.refused }));
        const invalid = transports.getByRole('listitem').filter({ hasText: NO_ENDPOINT });
        await expect(invalid).toContainText(fill(m.transportStatus.tcpEndpointInvalid, { file: SETTINGS_FILE, endpoint: NO_ENDPOINT }));
        // The system's own words, on request only, under a heading that says what they are.
        const original = silent.locator('details.station-original');
        await expect(original.locator('summary')).toHaveText(m.stationOriginal);
        await expect(original.locator('[data-station-words]')).not.toBeVisible();
        await original.locator('summary').click();
        await expect(original.locator('[data-station-words]')).toContainText('ECONNREFUSED');
        await original.locator('summary').click();
        await shoot(page, testInfo, language, 'settings-discovery-conditions', { scan: true });
        // The endpoints are the settings file's own text and the admin's name a person's: not the UI's to translate.
        expect(await untranslated(page, language, [NO_ENDPOINT, REFUSING, ADMIN.name])).toEqual([]);
      } finally {
        await opened.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
