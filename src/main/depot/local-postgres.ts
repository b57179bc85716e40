// A throwaway PostgreSQL for `lockstep depot demo` and the depot tests: Debian's server binaries run
// from a temporary folder of their own (data directory, unix socket directory, log), listening on a
// free loopback port, and removed afterwards; nothing of the machine's own clusters is touched. PostgreSQL refuses to run
// as root, so under root the server runs as the unprivileged `postgres` account (runuser), which
// owns the folder; under any other account it runs as that account.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientConfig } from 'pg';

/** The newest server of Debian's `postgresql` package, version 15 or later (15 where none is installed, for the message). */
export const POSTGRES_BIN = newestServer('/usr/lib/postgresql');

function newestServer(root: string): string {
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^[0-9]+$/.test(name) && Number(name) >= 15 && existsSync(join(root, name, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return join(root, newest, 'bin');
}
const RUNUSER = '/usr/sbin/runuser';

/** The account the server runs as, or why none can be used. */
function serverAccount(): { uid: number; gid: number; name: string | null } | { problem: string } {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? -1, name: null };
  if (!existsSync(RUNUSER)) return { problem: `running as root and ${RUNUSER} is missing (package util-linux), so PostgreSQL cannot run as the postgres account` };
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const user = id('-u');
  const group = id('-g');
  if (user.status !== 0 || group.status !== 0) return { problem: 'running as root and there is no postgres account to run PostgreSQL as (package postgresql creates it)' };
  return { uid: Number(user.stdout.trim()), gid: Number(group.stdout.trim()), name: 'postgres' };
}

/** Why a throwaway PostgreSQL cannot be started here, or null when it can. */
export function postgresUnavailable(): string | null {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(POSTGRES_BIN, tool))) return `${join(POSTGRES_BIN, tool)} is missing (Debian package postgresql, version 15 or later)`;
  }
  const account = serverAccount();
  return 'problem' in account ? account.problem : null;
}

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The superuser (`postgres`) and its password, for the depot administrator's connection. */
  readonly adminUser: 'postgres';
  readonly adminPassword: string;
  /** A connection as the superuser to `database`. */
  readonly adminConfig: (database?: string) => ClientConfig;
  /** `postgres://postgres@127.0.0.1:PORT/DATABASE`, without the password. */
  readonly url: (database: string) => string;
  /** Creates an empty UTF-8 database. */
  readonly createDatabase: (name: string) => void;
  /** Stops the server; `immediate` is a crash (no checkpoint), as `pg_ctl stop -m immediate`. */
  readonly stop: (mode?: 'fast' | 'immediate') => void;
  /** Starts it again on the same port and data directory. */
  readonly start: () => void;
  /** Stops the server and removes its folder. */
  readonly destroy: () => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** A server certificate and its private key (PEM), for a server that offers TLS. */
export interface ServerTls {
  readonly certificate: string;
  readonly key: string;
}

export async function startPostgres(options: { tls?: ServerTls } = {}): Promise<PostgresServer> {
  const problem = postgresUnavailable();
  if (problem) throw new Error(`cannot start PostgreSQL: ${problem}`);
  const account = serverAccount() as { uid: number; gid: number; name: string | null };
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  const log = join(dir, 'server.log');
  mkdirSync(sockets);
  const adminPassword = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'superuser-password');
  writeFileSync(passwordFile, `${adminPassword}\n`, { mode: 0o600 });
  chmodSync(dir, 0o700);
  for (const path of [dir, sockets, passwordFile]) chownSync(path, account.uid, account.gid);

  /** Runs a server binary as the server's account, in its folder (the caller's cwd may be unreadable to it). */
  function run(tool: string, args: string[]): void {
    const command = join(POSTGRES_BIN, tool);
    const result = account.name
      ? spawnSync(RUNUSER, ['-u', account.name, '--', command, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
      : spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.error?.message}): ${result.stderr}\n${serverLog}`);
    }
  }

  // Local (socket) connections are trusted: only the server's account can enter the folder. TCP
  // connections, which the stations use, authenticate with SCRAM passwords as in a real depot.
  run('initdb', ['-D', data, '-U', 'postgres', '--pwfile', passwordFile, '-E', 'UTF8', '--locale', 'C', '--auth-local', 'trust', '--auth-host', 'scram-sha-256']);
  rmSync(passwordFile);
  let tlsSettings = '';
  if (options.tls) {
    // PostgreSQL insists that its key belongs to its account and that nobody else can read it.
    const certificate = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    writeFileSync(certificate, options.tls.certificate, { mode: 0o644 });
    writeFileSync(key, options.tls.key, { mode: 0o600 });
    for (const path of [certificate, key]) chownSync(path, account.uid, account.gid);
    tlsSettings = ` -c ssl=on -c ssl_cert_file=${certificate} -c ssl_key_file=${key}`;
  }

  let port = 0;
  const start = (): void => {
    const settings = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${sockets} -c max_connections=60${tlsSettings}`;
    run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', log, '-o', settings]);
  };
  // A free port can be taken by someone else before the server binds it; try a few.
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      start();
      break;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }

  const psql = (sql: string): void => {
    const result = spawnSync(account.name ? RUNUSER : join(POSTGRES_BIN, 'psql'), [
      ...(account.name ? ['-u', account.name, '--', join(POSTGRES_BIN, 'psql')] : []),
      '-h', sockets, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql,
    ], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}${result.error?.message ?? ''}`);
  };

  let running = true;
  const stop = (mode: 'fast' | 'immediate' = 'fast'): void => {
    if (!running) return;
    run('pg_ctl', ['stop', '-w', '-D', data, '-m', mode]);
    running = false;
  };
  return {
    host: '127.0.0.1',
    port,
    adminUser: 'postgres',
    adminPassword,
    adminConfig: (database = 'postgres') => ({ host: '127.0.0.1', port, user: 'postgres', password: adminPassword, database }),
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    createDatabase: (name) => {
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name '${name}' is not a plain identifier`);
      psql(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
    },
    stop,
    start: () => {
      if (running) return;
      start();
      running = true;
    },
    destroy: () => {
      try {
        stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
