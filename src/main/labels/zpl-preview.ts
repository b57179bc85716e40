// The preview of a ZPL label, rendered from the very bytes that go to the printer by zebrash (Go,
// compiled to WebAssembly, through zpl-renderer-js): not a second drawing of the layout, so what the
// operator sees is what the ZPL says. The 9 MB module is loaded on first use only.
import type { ZplApi } from 'zpl-renderer-js';
import type { LabelTemplate } from '../../shared/labels.ts';
import { LabelError } from './errors.ts';

let api: Promise<ZplApi> | null = null;

function renderer(): Promise<ZplApi> {
  api ??= import('zpl-renderer-js').then(async (module) => (await module.ready).api);
  return api;
}

/** PNG of the one label in `zpl`, at the template's stock size and resolution. */
export async function renderZplPng(zpl: Uint8Array, template: LabelTemplate): Promise<Buffer> {
  // Our ZPL is printable ASCII only (every field is ^FH-escaped), so bytes and text are the same.
  if (zpl.some((byte) => byte > 0x7e || (byte < 0x20 && byte !== 0x0a))) {
    throw new LabelError('TEMPLATE_INVALID', 'the ZPL to preview holds bytes outside printable ASCII; it was not made by Lockstep.');
  }
  const text = Buffer.from(zpl).toString('latin1');
  const dotsPerMm = template.dpi === 300 ? 12 : 8;
  const [png, ...more] = await (await renderer()).zplToBase64MultipleAsync(text, (template.widthDots / dotsPerMm), (template.heightDots / dotsPerMm), dotsPerMm);
  if (png === undefined || more.length > 0) throw new LabelError('TEMPLATE_INVALID', `the ZPL holds ${more.length + (png === undefined ? 0 : 1)} labels, not one.`);
  return Buffer.from(png, 'base64');
}
