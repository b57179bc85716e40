// How Lockstep connects to the depot's PostgreSQL: the administrator with a URL (its password from
// PGPASSWORD or ~/.pgpass, never from the command line), a station with its credentials file.
import { chmod, link, open, rename, rm, writeFile } from 'node:fs/promises';
import type { ClientConfig } from 'pg';
import { depotCredentialsSchema, type DepotCredentials, type DepotTls } from '../../shared/depot.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { issueLines } from '../../shared/zod-issues.ts';
import { DepotError } from './errors.ts';

/** The administrator's connection: `postgres://USER@HOST:PORT/DATABASE[?sslmode=…&sslrootcert=FILE]`. */
export function adminConnection(url: string): ClientConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DepotError(`--url is not a URL: ${displaySafe(url, 200)}; write postgres://USER@HOST:PORT/DATABASE.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DepotError(`--url must start with postgres://, not ${displaySafe(parsed.protocol, 40)}`);
  }
  if (parsed.password) {
    throw new DepotError(
      'the --url holds a password: every user on this machine can read a command line, and shells keep it in history. ' +
        'Give the password in PGPASSWORD or ~/.pgpass instead.',
    );
  }
  if (parsed.pathname.length <= 1) throw new DepotError('--url names no database: write postgres://USER@HOST:PORT/DATABASE.');
  return { connectionString: url };
}

/** node-postgres' TLS options for libpq's sslmode. */
function tlsOptions(tls: DepotTls): ClientConfig['ssl'] {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must lead to the CA; the name in the certificate is not compared with the host.
      return { ca: tls.ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ca: tls.ca, rejectUnauthorized: true };
  }
}

/** A station's connection from its credentials; `timeoutMs` bounds connecting and each statement. */
export function stationConnection(credentials: DepotCredentials, timeoutMs: number): ClientConfig {
  return {
    host: credentials.host,
    port: credentials.port,
    database: credentials.database,
    user: credentials.user,
    password: credentials.password,
    ssl: tlsOptions(credentials.tls),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: `lockstep station ${credentials.station}`,
  };
}

export async function readCredentialsFile(path: string): Promise<DepotCredentials> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { mode } = await handle.stat();
      // The file holds the station's password: one others can read is refused, like the station key.
      if ((mode & 0o077) !== 0) {
        throw new DepotError(`the credentials file ${displaySafe(path)} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it.`);
      }
      text = await handle.readFile({ encoding: 'utf8' });
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof DepotError) throw error;
    throw new DepotError(`cannot read the credentials file ${displaySafe(path)}: ${displaySafe((error as Error).message)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DepotError(`the credentials file ${displaySafe(path)} is not JSON; use the file lockstep depot add-station wrote.`);
  }
  const parsed = depotCredentialsSchema.safeParse(json);
  if (!parsed.success) throw new DepotError(`the credentials file ${displaySafe(path)} is not valid: ${issueLines(parsed.error).lines.join('; ')}`);
  return parsed.data;
}

/**
 * Replaces a station's copy of its credentials with re-issued ones (mode 0600, written under a
 * temporary name and renamed over the old copy, so the station never holds half a file).
 */
export async function replaceCredentialsFile(path: string, credentials: DepotCredentials): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(depotCredentialsSchema.parse(credentials), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new DepotError(`cannot write ${displaySafe(path)}: ${displaySafe((error as Error).message)}`);
  }
}

/**
 * Writes the file with mode 0600 under a temporary name, then links it into place, which (unlike a
 * rename) never replaces a file already there: credentials are never overwritten by accident.
 */
export async function writeCredentialsFile(path: string, credentials: DepotCredentials): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(depotCredentialsSchema.parse(credentials), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(temporary, 0o600);
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new DepotError(`${displaySafe(path)} already exists; credentials files are never overwritten.`);
    throw new DepotError(`cannot write ${displaySafe(path)}: ${displaySafe((error as Error).message)}`);
  } finally {
    await rm(temporary, { force: true });
  }
}
