// Label templates a depot adds: validated like the shipped ones, with the file and the field named.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLabelTemplates, shippedTemplatesDir } from '../../../src/main/labels/templates.ts';

const dir = mkdtempSync(join(tmpdir(), 'lockstep-label-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shipped = JSON.parse(readFileSync(join(shippedTemplatesDir(), '4x2-203.json'), 'utf8')) as Record<string, unknown> & { text: Record<string, unknown>[] };

function depot(name: string, template: unknown): string {
  const folder = mkdtempSync(join(dir, 'depot-'));
  writeFileSync(join(folder, name), typeof template === 'string' ? template : JSON.stringify(template));
  return folder;
}

describe('depot label templates', () => {
  it('adds a valid template beside the shipped ones', async () => {
    const set = await loadLabelTemplates({ depotDir: depot('wide.json', { ...shipped, name: 'depot7-wide' }) });
    expect(set.get('depot7-wide')).toMatchObject({ dpi: 203, matrix: { ecLevel: 'M' } });
  });

  it('names the file and the field at fault', async () => {
    const bad = { ...shipped, name: 'depot7-bad', dpi: 600, text: [{ ...shipped.text[0], field: 'password', width: 5000 }] };
    const folder = depot('bad.json', bad);
    await expect(loadLabelTemplates({ depotDir: folder })).rejects.toThrow(
      new RegExp(`label template ${join(folder, 'bad.json')} is not valid:\\n  dpi: dpi is 203 or 300\\n  text\\[0\\]\\.field: .*\\n  text\\[0\\]\\.width: `),
    );
  });

  it('refuses a text box or barcode quiet zone outside the stock', async () => {
    const bad = { ...shipped, name: 'depot7-tight', barcode: { x: 4, y: 10, height: 60, module: 3 }, text: [{ ...shipped.text[0], x: 700, width: 200 }] };
    await expect(loadLabelTemplates({ depotDir: depot('tight.json', bad) })).rejects.toThrow(/text\[0\]: reaches 900,.*outside the 812x406-dot stock[\s\S]*barcode\.x: leaves less than the 10-module quiet zone/);
  });

  it('refuses duplicate keys, a name the station already ships, and unreadable JSON', async () => {
    await expect(loadLabelTemplates({ depotDir: depot('dup.json', '{"name":"a","name":"b"}') })).rejects.toThrow(/appears twice/);
    await expect(loadLabelTemplates({ depotDir: depot('same.json', shipped) })).rejects.toThrow(/are both named 4x2-203; rename one/);
    await expect(loadLabelTemplates({ depotDir: depot('junk.json', '{') })).rejects.toThrow(/is not valid JSON/);
  });

  it('treats a missing depot folder as none, and names an unknown template', async () => {
    const set = await loadLabelTemplates({ depotDir: join(dir, 'absent') });
    expect(() => set.get('9x9-203')).toThrow('there is no label template 9x9-203; known: 2x1-203, 2x1-300, 4x2-203, 4x2-300.');
  });
});
