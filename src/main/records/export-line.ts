// The exact text of the chain lines of a JSON Lines export. The exporter writes these bytes and the
// verifier insists on them: a parsed line can hash correctly while its text says something else
// (JSON.parse keeps the last of duplicate keys), so only the bytes the station wrote are accepted.
import type { ChainLink } from './chain.ts';

function linkText(link: ChainLink): string {
  return `"seq":${link.seq},"prevHash":"${link.prevHash}","hash":"${link.hash}"`;
}

/** A record line; `canonicalBody` is the canonical JSON of the record, as stored and hashed. */
export function recordLineText(link: ChainLink, canonicalBody: string): string {
  return `{"type":"record",${linkText(link)},"record":${canonicalBody}}`;
}

/** A record outside the export's filter: its place in the chain, not its content. */
export function elidedLineText(link: ChainLink): string {
  return `{"type":"elided",${linkText(link)}}`;
}
