// Label templates: the ones shipped in resources/labels and any a depot adds in its own folder
// (`labels/` in the station's data folder). Templates are files people write, so each is validated
// and an error names the file and the field; a depot template may not reuse a shipped name, so a
// printer's template always means one layout.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { labelTemplateSchema, type LabelTemplate } from '../../shared/labels.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { JsonFileError, readJsonFile } from '../../lib/json/read-json-file.ts';
import { resourcesDir } from '../resources-dir.ts';
import { LabelError } from './errors.ts';

const MAX_TEMPLATE_BYTES = 64 * 1024;
/** The folder in a station's data folder where a depot keeps its own templates. */
export const DEPOT_TEMPLATES_DIR = 'labels';

export function shippedTemplatesDir(): string {
  return resourcesDir('labels');
}

export interface LoadedTemplate {
  readonly template: LabelTemplate;
  readonly source: string;
}

export interface TemplateSet {
  readonly templates: readonly LoadedTemplate[];
  /** The template called `name`; a LabelError listing the known names otherwise. */
  get(name: string): LabelTemplate;
}

/** Validates one template file; the error names the file and each field at fault. */
export async function readTemplate(path: string): Promise<LabelTemplate> {
  try {
    return await readJsonFile(path, labelTemplateSchema, { what: 'label template', maxBytes: MAX_TEMPLATE_BYTES });
  } catch (error) {
    if (error instanceof JsonFileError) throw new LabelError('TEMPLATE_INVALID', error.message);
    throw error;
  }
}

async function templateFiles(dir: string, required: boolean): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort().map((name) => join(dir, name));
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LabelError('TEMPLATE_INVALID', `cannot read the label template folder ${displaySafe(dir)}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
}

export interface TemplateOptions {
  /** The shipped templates; defaults to resources/labels. */
  readonly stationDir?: string;
  /** A depot's folder (`<data dir>/labels`); may be absent. */
  readonly depotDir?: string;
}

export async function loadLabelTemplates(options: TemplateOptions = {}): Promise<TemplateSet> {
  const loaded: LoadedTemplate[] = [];
  const sources: [string, boolean][] = [[options.stationDir ?? shippedTemplatesDir(), true], ...(options.depotDir ? [[options.depotDir, false] as [string, boolean]] : [])];
  for (const [dir, required] of sources) {
    for (const file of await templateFiles(dir, required)) {
      const template = await readTemplate(file);
      const clash = loaded.find((other) => other.template.name === template.name);
      if (clash) throw new LabelError('TEMPLATE_INVALID', `label templates ${displaySafe(clash.source)} and ${displaySafe(file)} are both named ${template.name}; rename one.`);
      loaded.push({ template, source: file });
    }
  }
  return {
    templates: loaded,
    get(name) {
      const found = loaded.find((entry) => entry.template.name === name);
      if (!found) throw new LabelError('NO_TEMPLATE', `there is no label template ${displaySafe(name, 48)}; known: ${loaded.map((entry) => entry.template.name).join(', ')}.`);
      return found.template;
    },
  };
}
