// The station's handset sources as the one composition root builds them: a TCP endpoint of the
// station settings that does not parse is on the station's status line (devices.scan, which the UI
// and `lockstep scan` show; read here as the station's own process reads it), and the endpoints
// that do parse are still watched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStation } from '../../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import { runCliAsync } from '../../lockstep-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'lockstep-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Port 1 on the loopback refuses at once: a configured endpoint with no handset behind it. */
writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ tcpEndpoints: ['tcp:127.0.0.1:1', 'tcp:127.0.0.1:70000', 'not an endpoint'] }));

describe('handset sources from the station settings', () => {
  it('shows each TCP endpoint that does not parse on the status line, and watches the one that does', async () => {
    const opened = await openStation({ dataDir: dir, fleet: 'hardware' });
    try {
      expect(opened.mode).toBe('hardware');
      const { transports } = await opened.station.owner.scan();
      const tcp = transports.filter((status) => status.transport === 'tcp');
      expect(tcp).toEqual([
        {
          transport: 'tcp',
          available: true,
          detail: expect.stringMatching(/^TCP: 0 of 1 configured endpoint\(s\) answering fastboot; tcp:127\.0\.0\.1:1 does not: .*ECONNREFUSED/),
          words: { key: 'tcpEndpointsSilent', params: { present: '0', total: '1', endpoint: 'tcp:127.0.0.1:1', condition: 'refused' } },
        },
        {
          transport: 'tcp',
          available: false,
          detail: expect.stringMatching(/^station-settings\.json tcpEndpoints: .*70000.*; this endpoint is not watched until it is fixed$/),
          words: { key: 'tcpEndpointInvalid', params: { file: SETTINGS_FILE, endpoint: 'tcp:127.0.0.1:70000' } },
        },
        {
          transport: 'tcp',
          available: false,
          detail: expect.stringMatching(/^station-settings\.json tcpEndpoints: 'not an endpoint' is not HOST:PORT or HOST:FIRST-LAST; /),
          words: { key: 'tcpEndpointInvalid', params: { file: SETTINGS_FILE, endpoint: 'not an endpoint' } },
        },
      ]);
    } finally {
      await opened.close();
    }
  }, 30_000);

  it('lockstep scan says the same, and with --json prints one JSON line', async () => {
    const text = (await runCliAsync(['scan', '--fleet', 'hardware', '--data', dir])).stdout;
    expect(text).toMatch(/^tcp: unavailable - station-settings\.json tcpEndpoints: 'not an endpoint' is not HOST:PORT/m);
    const json = (await runCliAsync(['scan', '--fleet', 'hardware', '--data', dir, '--json'])).stdout;
    const lines = json.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const scan = JSON.parse(lines[0] ?? '') as { transports: { transport: string; available: boolean }[] };
    expect(scan.transports.filter((status) => status.transport === 'tcp' && !status.available)).toHaveLength(2);
  }, 30_000);
});
