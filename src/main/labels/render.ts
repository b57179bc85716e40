// One call per output: the label of a record in ZPL, PDF or PNG, and its preview. For ZPL the
// preview is rendered from the ZPL bytes themselves; for PDF and PNG it is the PNG drawing.
import type { LabelFormat, LabelTemplate } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { labelContent } from './content.ts';
import { layoutLabel } from './layout.ts';
import { pdfLabel } from './pdf.ts';
import { pngLabel } from './png.ts';
import { zplTextWidth } from './zpl-font.ts';
import { zplLabel } from './zpl.ts';
import { renderZplPng } from './zpl-preview.ts';

export const LABEL_MEDIA_TYPES: Readonly<Record<LabelFormat, string>> = { zpl: 'application/vnd.zebra-zpl', pdf: 'application/pdf', png: 'image/png' };

export async function renderLabel(record: ProvisioningRecord, template: LabelTemplate, format: LabelFormat): Promise<Buffer> {
  const content = labelContent(record);
  if (format === 'zpl') return zplLabel(layoutLabel(template, content, zplTextWidth));
  return format === 'pdf' ? pdfLabel(template, content) : pngLabel(template, content);
}

/** A PNG of the label as it will print in `format`: for ZPL, rendered from the ZPL bytes. */
export async function renderLabelPreview(record: ProvisioningRecord, template: LabelTemplate, format: LabelFormat = 'zpl'): Promise<Buffer> {
  if (format !== 'zpl') return renderLabel(record, template, 'png');
  return renderZplPng(await renderLabel(record, template, 'zpl'), template);
}
