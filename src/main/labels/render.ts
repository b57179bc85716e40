// One call per output: the label of a record in ZPL, PDF or PNG, and its preview. For ZPL the
// preview is rendered from the ZPL bytes themselves; for PDF and PNG it is the PNG drawing. A batch
// preview (before any handset is done) draws the same layout with sample values, marked as such.
import { formatTag, parseTagPattern } from '../../shared/asset-tag.ts';
import type { BatchPreviewRequest, LabelContent, LabelFormat, LabelTemplate } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { labelContent, matrixPayload } from './content.ts';
import { LabelError } from './errors.ts';
import { layoutLabel } from './layout.ts';
import { pdfLabel } from './pdf.ts';
import { pngLabel } from './png.ts';
import { zplTextWidth } from './zpl-font.ts';
import { zplLabel } from './zpl.ts';
import { renderZplPng } from './zpl-preview.ts';

async function renderContent(content: LabelContent, template: LabelTemplate, format: LabelFormat): Promise<Buffer> {
  if (format === 'zpl') return zplLabel(layoutLabel(template, content, zplTextWidth));
  return format === 'pdf' ? pdfLabel(template, content) : pngLabel(template, content);
}

async function previewContent(content: LabelContent, template: LabelTemplate, format: LabelFormat): Promise<Buffer> {
  if (format !== 'zpl') return renderContent(content, template, 'png');
  return renderZplPng(await renderContent(content, template, 'zpl'), template);
}

export async function renderLabel(record: ProvisioningRecord, template: LabelTemplate, format: LabelFormat): Promise<Buffer> {
  return renderContent(labelContent(record), template, format);
}

/** A PNG of the label as it will print in `format`: for ZPL, rendered from the ZPL bytes. */
export async function renderLabelPreview(record: ProvisioningRecord, template: LabelTemplate, format: LabelFormat = 'zpl'): Promise<Buffer> {
  return previewContent(labelContent(record), template, format);
}

/**
 * The batch's label before it starts: its first tag, its product and version, and SAMPLE values
 * where a handset's own would go, so an operator checks stock, template and printer up front.
 */
export async function renderBatchPreview(input: BatchPreviewRequest, date: Date, template: LabelTemplate, format: LabelFormat = 'zpl'): Promise<Buffer> {
  const pattern = parseTagPattern(input.assetTagPattern);
  if ('problem' in pattern) throw new LabelError('NOT_LABELLABLE', pattern.problem);
  const assetTag = formatTag(pattern, date, 1);
  const sample = { serial: 'SAMPLE-SERIAL', imei: 'SAMPLE-IMEI', hash: '0'.repeat(64) };
  return previewContent(
    {
      recordSeq: 0,
      assetTag,
      serial: sample.serial,
      imei: sample.imei,
      model: input.product,
      imageVersion: input.bundleVersion,
      date: date.toISOString().slice(0, 10),
      matrixPayload: matrixPayload(assetTag, sample.serial, sample.imei, sample.hash),
    },
    template,
    format,
  );
}
