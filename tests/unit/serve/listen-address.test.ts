// Where `lockstep serve` may listen: loopback by default, a named address beyond it only with TLS,
// never a wildcard that no browser could name in its Host header.
import { expect, it } from 'vitest';
import { authorityOf, parseListenAddress } from '../../../src/main/serve/listen-address.ts';
import { runCli } from '../../lockstep-cli.ts';

it('reads HOST:PORT and [IPv6]:PORT and knows loopback', () => {
  expect(parseListenAddress('127.0.0.1:8420')).toEqual({ host: '127.0.0.1', port: 8420, loopback: true });
  expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0, loopback: true });
  expect(parseListenAddress('localhost:9000')).toEqual({ host: 'localhost', port: 9000, loopback: true });
  expect(parseListenAddress('station7.depot.example:8443')).toEqual({ host: 'station7.depot.example', port: 8443, loopback: false });
  expect(parseListenAddress('192.0.2.7:8443')).toMatchObject({ loopback: false });
  expect(authorityOf('::1', 8420)).toBe('[::1]:8420');
});

it('refuses wildcards, missing ports and what is not an address', () => {
  expect(parseListenAddress('0.0.0.0:8420')).toMatch(/not a wildcard/);
  expect(parseListenAddress('[::]:8420')).toMatch(/not a wildcard/);
  expect(parseListenAddress('127.0.0.1')).toMatch(/HOST:PORT/);
  expect(parseListenAddress('127.0.0.1:70000')).toMatch(/beyond 65535/);
  expect(parseListenAddress('evil host:80')).toMatch(/neither an IP address nor a host name/);
  expect(parseListenAddress('[not-v6]:80')).toMatch(/HOST:PORT|not an IPv6/);
});

it('will not listen beyond loopback without TLS, and says so', () => {
  const run = runCli(['serve', '--listen', '192.0.2.7:8443']);
  expect(run.status).toBe(64);
  expect(run.stderr).toContain('needs TLS: give --tls-cert FILE and --tls-key FILE');
  expect(runCli(['serve', '--listen', '127.0.0.1:8420', '--tls-cert', 'a.pem']).stderr).toContain('--tls-cert and --tls-key go together');
  expect(runCli(['serve', '--demo', '--hardware']).status).toBe(64);
});
