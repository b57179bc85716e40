// The address `lockstep serve` listens on, as the operator writes it: HOST:PORT or [IPv6]:PORT.
// Browsers must reach the station by exactly this name (the Host check), so a wildcard address,
// which no browser can name, is refused; anything beyond loopback needs TLS.
import { isIP } from 'node:net';

export interface ListenAddress {
  /** As given, without brackets: `127.0.0.1`, `::1`, `station.depot.example`. */
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
}

export const DEFAULT_LISTEN = '127.0.0.1:8420';

/** The address, or a sentence saying what is wrong with it. */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return `--listen takes HOST:PORT or [IPv6]:PORT, e.g. ${DEFAULT_LISTEN}`;
  const host = (match[1] ?? match[2]) as string;
  const port = Number(match[3]);
  if (port > 65535) return `--listen: port ${port} is beyond 65535`;
  if (match[1] !== undefined && isIP(host) !== 6) return `--listen: ${host} is not an IPv6 address`;
  if (match[2] !== undefined && isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
    return `--listen: ${host} is neither an IP address nor a host name`;
  }
  if (host === '0.0.0.0' || host === '::') return '--listen needs the one address browsers will use (the Host check refuses any other), not a wildcard';
  return { host, port, loopback: isLoopback(host) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** How the address appears in a URL and in the browser's Host header. */
export function authorityOf(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
