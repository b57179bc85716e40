// A station reaching its depot over TLS as its credentials file says: verify-full with the depot's CA
// carried in the file connects and uploads; a server certificate from another CA, or one naming
// another host, is not accepted; verify-ca accepts the right CA whatever name the certificate holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { missingTools, suiteSkipReason } from '../../support/tools.ts';
import { createDepot, POSTGRES_MISSING, registerStation } from './fixture.ts';

const OPENSSL = POSTGRES_MISSING === null && suiteSkipReason(missingTools(['openssl'])) === null;

const work = mkdtempSync(join(tmpdir(), 'lockstep-depot-tls-'));

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: work, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA (name.ca.pem) and a server certificate it signs for `altNames` (name.crt, name.key). */
function certificates(name: string, altNames: string): { ca: string; certificate: string; key: string } {
  writeFileSync(join(work, `${name}.ext`), `subjectAltName=${altNames}\n`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', `${name}.ca.key`, '-out', `${name}.ca.pem`]);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name} depot`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${name}.ca.pem`, '-CAkey', `${name}.ca.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  return { ca: readFileSync(join(work, `${name}.ca.pem`), 'utf8'), certificate: readFileSync(join(work, `${name}.crt`), 'utf8'), key: readFileSync(join(work, `${name}.key`), 'utf8') };
}

let server: PostgresServer;
let depot: Awaited<ReturnType<typeof createDepot>>;
let station: StationFixture;
let credentials: DepotCredentials;
let depotCa: { ca: string; certificate: string; key: string };
let otherCa: string;

beforeAll(async () => {
  if (POSTGRES_MISSING || !OPENSSL) return;
  // The server's certificate names localhost only, so connecting by its address fails verify-full's name check.
  depotCa = certificates('depot', 'DNS:localhost');
  otherCa = certificates('other', 'DNS:other.example').ca;
  server = await startPostgres({ tls: { certificate: depotCa.certificate, key: depotCa.key } });
  depot = await createDepot(server);
  station = createStationFixture();
  station.provision({ serial: 'TLS0001', imei: null });
  const registered = await registerStation(server, depot, station.records.identity.fingerprint);
  credentials = { ...registered, host: 'localhost', tls: { mode: 'verify-full', ca: depotCa.ca } };
}, 120_000);

afterAll(() => {
  station?.cleanup();
  server?.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(POSTGRES_MISSING || !OPENSSL)('the depot over TLS', () => {
  it('verify-full with the CA in the credentials file connects over TLS and uploads the journal', async () => {
    const path = join(station.dir, 'tls.credentials.json');
    await writeCredentialsFile(path, credentials);
    const joined = await joinDepot({ databasePath: station.records.databasePath, credentialsPath: path, stationFingerprint: station.records.identity.fingerprint });
    expect(joined.pushed.records).toBe(1);
  });

  it('a server certificate from another CA is not accepted', async () => {
    await expect(connectStation({ ...credentials, tls: { mode: 'verify-full', ca: otherCa } }, 5_000)).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify|unable to get issuer/);
  });

  it('verify-full refuses a certificate that does not name the host; verify-ca accepts it for the right CA', async () => {
    const byAddress = { ...credentials, host: '127.0.0.1' };
    await expect(connectStation(byAddress, 5_000)).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list/);
    const client = await connectStation({ ...byAddress, tls: { mode: 'verify-ca', ca: depotCa.ca } }, 5_000);
    expect((await client.hello()).records).toBe(1);
    await client.close();
  });
});
