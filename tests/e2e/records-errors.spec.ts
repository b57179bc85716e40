// Issue 20 #7, #9 and #10 as the operator sees them, in English and Chinese: a refused sign-in is
// said once, an export to a missing folder names the folder, and a CSV or PDF given to verify is
// refused with the reason (only the JSON Lines export carries the signed chain), never called damaged; and (#5)
// the records' other refusals and a damaged export's verdict are worded, no English on a Chinese screen.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TECHNICIAN } from './depot.ts';
import { expect, test } from './fixtures.ts';
import { escapeRegExp, fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, signIn, untranslated } from './ui-flow.ts';

test.use({ viewport: { width: 1366, height: 768 } });

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('sign-in refusal once; export to a missing folder and verify of a CSV or PDF, each said in words', async ({ page }) => {
      const m = LANGUAGE_MESSAGES[language];
      const dir = mkdtempSync(join(tmpdir(), 'ls-e2e-'));
      try {
        // #7: a wrong PIN is worded once, in the operator's language, with no English copy beside it.
        await signIn(page, m, { id: TECHNICIAN.id, pin: '00000000' });
        const refusal = page.getByRole('alert');
        await expect(refusal).toHaveText(new RegExp(`^\\W*${escapeRegExp(m.errors.SIGN_IN_FAILED)}$`));
        if (language !== 'en') await expect(refusal).not.toContainText(LANGUAGE_MESSAGES.en.errors.SIGN_IN_FAILED);
        await signIn(page, m, TECHNICIAN);
        await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();

        // #10: the missing folder is named, and neither the errno nor the temporary file shows.
        const missing = join(dir, 'x1');
        const exportPanel = page.getByRole('form', { name: m.history.export });
        await exportPanel.getByLabel(m.history.exportPath).fill(join(missing, 'out.csv'));
        await exportPanel.getByRole('button', { name: m.history.save }).click();
        const exportAlert = exportPanel.getByRole('alert');
        await expect(exportAlert).toContainText(fill(m.errors.EXPORT_FOLDER_MISSING, { folder: missing }));
        await expect(exportAlert).not.toContainText('ENOENT');
        await expect(exportAlert).not.toContainText('.partial-');

        // #9: a CSV and a PDF export, written here, are refused by Verify with the reason.
        const verifyPanel = page.getByRole('form', { name: m.history.verify });
        for (const format of ['csv', 'pdf'] as const) {
          const file = join(dir, `out.${format}`);
          await exportPanel.getByLabel(m.history.format).selectOption(format);
          await exportPanel.getByLabel(m.history.exportPath).fill(file);
          await exportPanel.getByRole('button', { name: m.history.save }).click();
          await expect(exportPanel.getByRole('status')).toContainText(file);
          await verifyPanel.getByLabel(m.history.verifyPath).fill(file);
          await verifyPanel.getByRole('button', { name: m.history.verifyButton }).click();
          const verifyAlert = verifyPanel.getByRole('alert');
          await expect(verifyAlert).toContainText(fill(m.errors.VERIFY_NOT_JSONL, { file, format: format.toUpperCase() }));
          await expect(verifyPanel.getByRole('status')).toHaveCount(0);
        }
        expect(await untranslated(page, language)).toEqual([]);

        // #5: the records' other refusals name their finding in words: a file to verify that is not there, an export
        // onto a folder; a JSON Lines export edited after it was written is NOT intact, the problem in words.
        const absent = join(dir, 'absent.jsonl');
        await verifyPanel.getByLabel(m.history.verifyPath).fill(absent);
        await verifyPanel.getByRole('button', { name: m.history.verifyButton }).click();
        await expect(verifyPanel.getByRole('alert')).toContainText(m.errors.RECORDS_REFUSED);
        await expect(verifyPanel.getByRole('alert')).toContainText(fill(m.failureDetail.READ_FILE_MISSING, { file: absent }));
        await exportPanel.getByLabel(m.history.format).selectOption('jsonl');
        await exportPanel.getByLabel(m.history.exportPath).fill(dir);
        await exportPanel.getByRole('button', { name: m.history.save }).click();
        await expect(page.getByRole('alert').filter({ hasText: fill(m.failureDetail.EXPORT_WRITE_FAILED, { file: dir }) })).toBeVisible();
        expect(await untranslated(page, language)).toEqual([]);
        const jsonl = join(dir, 'records.jsonl');
        await exportPanel.getByLabel(m.history.exportPath).fill(jsonl);
        await exportPanel.getByRole('button', { name: m.history.save }).click();
        await expect(exportPanel.getByRole('status')).toContainText(jsonl);
        // A byte lost at the start of the first line: the line is no longer JSON.
        writeFileSync(jsonl, readFileSync(jsonl).subarray(1));
        await verifyPanel.getByLabel(m.history.verifyPath).fill(jsonl);
        await verifyPanel.getByRole('button', { name: m.history.verifyButton }).click();
        await expect(verifyPanel.getByRole('status')).toContainText(fill(m.history.notIntact, { line: 1, problem: m.verifyProblem.malformed }));
        // The path is data (its file name, records.jsonl, is not the UI's word "records").
        expect(await untranslated(page, language, [jsonl])).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
